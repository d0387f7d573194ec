/*
 * op_refresh.c - reading the sources again: a new data center collected
 * off the lock, swapped in under it, every plan held again on it; how old
 * the data center in use may grow while the sources cannot be read; the
 * thread that reads them every refresh_s.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dc.h"
#include "log.h"
#include "ops.h"

/*
 * The resource ids of the reserved servers: Valet's own consumers, which
 * their holds count (a new array of borrowed strings; *n its length).
 */
static const char **own_consumers(const vlt_service_t *s, size_t *n)
{
	size_t cap = 0;

	for (const vlt_svc_plan_t *p = s->st.first; p != NULL; p = p->next)
		cap += p->n_units;
	const char **ids = calloc(cap + 1, sizeof(*ids));

	*n = 0;
	for (const vlt_svc_plan_t *p = s->st.first; ids != NULL && p != NULL; p = p->next) {
		for (size_t i = 0; i < p->n_units; i++) {
			const vlt_svc_unit_t *u = &p->units[i];

			if (u->server && u->reserved && !u->expired && u->resource_id != NULL)
				ids[(*n)++] = u->resource_id;
		}
	}
	return ids;
}

/* How many consumers of the data center in use are Valet's own (credited). */
static size_t n_credited(const vlt_service_t *s)
{
	uint32_t n = 0;
	size_t own = 0;
	const vlt_dc_consumer_t *c = vlt__dc_consumers(vlt__engine_dc(s->engine), &n);

	for (uint32_t i = 0; i < n; i++)
		own += c[i].credited;
	return own;
}

/* Hold every plan again on the data center just swapped in (lock held). */
static void hold_all_again(vlt_service_t *s, const char *where, size_t *n_gone,
			   size_t *n_disabled)
{
	*n_gone = *n_disabled = 0;
	for (vlt_svc_plan_t *p = s->st.first; p != NULL; p = p->next) {
		vlt_err_t err = { 0 };

		vlt__svc_plan_hold(s, p, false, where, &err);
		for (size_t i = 0; i < p->n_units; i++) {
			*n_gone += p->units[i].health == VLT_SVC_HEALTH_GONE;
			*n_disabled += p->units[i].health == VLT_SVC_HEALTH_DISABLED;
		}
	}
}

static void note_failure(vlt_service_t *s, const vlt_err_t *err)
{
	snprintf(s->sources_error, sizeof(s->sources_error), "%s", err->msg);
	s->n_refresh_failed++;
	vlt__log(NULL, VLT_LOG_WARNING,
		 "the sources could not be read: %s; planning goes on with the data center read "
		 "%" PRId64 " s ago",
		 err->msg, (s->sources_tried_ms - s->sources_ok_ms) / 1000);
}

/*
 * The placement ids of reserved servers whose instance the sources do not
 * know (a new array of copies; *n its length), when a source listed every
 * instance. Only servers reserved by an entry up to seen count: one
 * reserved while the sources were read may be too new for their list.
 */
static char **gone_instances(const vlt_service_t *s, uint64_t seen, size_t *n)
{
	const vlt_dc_t *dc = vlt__engine_dc(s->engine);
	size_t cap = 0;
	char **out;

	*n = 0;
	if (!vlt__dc_instances_known(dc))
		return NULL;
	for (const vlt_svc_plan_t *p = s->st.first; p != NULL; p = p->next)
		cap += p->n_units;
	out = calloc(cap + 1, sizeof(*out));
	for (const vlt_svc_plan_t *p = s->st.first; out != NULL && p != NULL; p = p->next) {
		for (size_t i = 0; i < p->n_units; i++) {
			const vlt_svc_unit_t *u = &p->units[i];

			if (u->server && u->reserved && !u->expired && u->resource_id != NULL &&
			    u->pid != NULL && u->reserved_seq <= seen &&
			    !vlt__dc_has_instance(dc, u->resource_id))
				out[(*n)++] = strdup(u->pid);
		}
	}
	return out;
}

/* A plan left with no server (an ad-hoc plan whose server is gone) goes too. */
static void drop_if_empty(vlt_service_t *s, const char *plan_id)
{
	json_t *doc = NULL;
	vlt_err_t err = { 0 };

	if (vlt__service_plan_get(s, plan_id, &doc, &err) == 0 &&
	    json_object_size(json_object_get(json_object_get(doc, "plan"), "placements")) == 0 &&
	    vlt__service_plan_delete(s, plan_id, &err) == 0)
		vlt__log(NULL, VLT_LOG_NOTICE, "plan %s deleted: none of its servers is left",
			 plan_id);
	json_decref(doc);
}

/* Release the placements of servers whose instance is gone (no lock held). */
static void release_gone(vlt_service_t *s, char **pids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *doc = NULL;
		vlt_err_t err = { 0 };
		char plan_id[256] = "";

		if (vlt__service_placement_get(s, pids[i], &doc, &err) == 0)
			snprintf(plan_id, sizeof(plan_id), "%s",
				 json_string_value(json_object_get(json_object_get(doc, "placement"),
								   "plan_id")));
		json_decref(doc);
		if (vlt__service_placement_delete(s, pids[i], &err) == 0) {
			vlt__log(NULL, VLT_LOG_NOTICE,
				 "placement %s released: its instance is gone from the cloud",
				 pids[i]);
			atomic_fetch_add(&s->n_corrections, 1); /* no notification had told it */
			drop_if_empty(s, plan_id);
		}
		free(pids[i]);
	}
	free(pids);
}

int vlt__service_refresh(vlt_service_t *s, vlt_err_t *err)
{
	vlt_snapshot_t *snap = NULL;
	size_t n_gone = 0, n_disabled = 0, n_lost = 0, n_moved = 0;
	char **lost = NULL;
	vlt_svc_moved_t *moved = NULL;

	pthread_mutex_lock(&s->refresh_lock);
	pthread_mutex_lock(&s->lock);
	/* the servers other valetd reserved too: a holder of the lease may serve no request */
	vlt_err_t behind = { 0 };
	if (vlt__journal_catch_up(&s->journal, &behind) < 0)
		vlt__log(NULL, VLT_LOG_WARNING, "refresh: the journal could not be read: %s",
			 behind.msg);
	uint64_t seen = s->journal.applied;
	int64_t read_us = vlt__svc_now_ms(s) * 1000; /* what the reading says is as of now */
	pthread_mutex_unlock(&s->lock);
	double read_start = vlt__clock_mono_ms();
	int rc = vlt__engine_collect(s->engine, &snap, err);
	double read_ms = vlt__clock_mono_ms() - read_start;

	pthread_mutex_lock(&s->lock);
	/* holding every plan again must see the pending creations' plans: wait until they are stored */
	vlt__svc_wait_drained(s);
	double swap_start = vlt__clock_mono_ms();
	s->sources_tried_ms = vlt__svc_now_ms(s);
	if (rc < 0) {
		note_failure(s, err);
	} else {
		const vlt_dc_t *dc = vlt__snapshot_dc(snap);
		uint32_t n_hosts = dc->n_hosts, n_pools = dc->n_pools;
		size_t n_own = 0;
		const char **own = own_consumers(s, &n_own);

		rc = own != NULL ? vlt__engine_swap(s->engine, snap, own, n_own, err)
				 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
		free(own);
		if (rc < 0) {
			if (own == NULL)
				vlt__snapshot_free(snap);
			note_failure(s, err);
			vlt__svc_health_note_sources(s);
			pthread_mutex_unlock(&s->lock);
			pthread_mutex_unlock(&s->refresh_lock);
			return rc;
		}
		hold_all_again(s, "refresh", &n_gone, &n_disabled);
		vlt__svc_outside_after_reading(s, read_us);
		/* every instance reads the sources (its data center is its own, in memory);
		 * only the lease's holder releases what they no longer know and follows
		 * the servers they found moved (both are journal entries) */
		if (vlt__service_lease_held(s)) {
			lost = gone_instances(s, seen, &n_lost);
			moved = vlt__svc_moved_servers(s, &n_moved);
		}
		s->sources_ok_ms = s->sources_tried_ms;
		s->sources_error[0] = '\0';
		s->n_refreshed++;
		s->last_read_ms = read_ms;
		s->last_swap_ms = vlt__clock_mono_ms() - swap_start;
		vlt__log(NULL, n_gone + n_disabled > 0 ? VLT_LOG_WARNING : VLT_LOG_INFO,
			 "sources read: %u hosts, %u pools in %.0f ms, swapped in in %.1f ms; %zu "
			 "plans held again (%zu units on hosts or pools now gone, %zu on disabled "
			 "hosts); %zu of %zu reserved servers found in the sources' allocations, "
			 "counted once",
			 n_hosts, n_pools, read_ms, s->last_swap_ms, s->st.n_plans, n_gone,
			 n_disabled, n_credited(s), n_own);
	}
	vlt__svc_health_note_sources(s);
	pthread_mutex_unlock(&s->lock);
	release_gone(s, lost, n_lost);
	vlt__svc_correct_moves(s, moved, n_moved, read_us);
	pthread_mutex_unlock(&s->refresh_lock);
	return rc;
}

int vlt__svc_hold_after_replay(vlt_service_t *s, vlt_err_t *err)
{
	size_t n_own = 0, n_gone = 0, n_disabled = 0;
	const char **own = own_consumers(s, &n_own);
	int rc = own != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	s->replaying = false;
	if (rc == 0 && n_own > 0)
		rc = vlt__engine_rebase(s->engine, own, n_own, err);
	if (rc == 0)
		hold_all_again(s, "journal replay", &n_gone, &n_disabled);
	if (rc == 0) /* the data center was read at start: newer than any entry */
		vlt__svc_outside_after_reading(s, vlt__svc_now_ms(s) * 1000);
	free(own);
	return rc;
}

int vlt__svc_stale_error(int64_t age_ms, int64_t max_stale_s, const char *sources_error,
			 vlt_err_t *err)
{
	if (max_stale_s <= 0 || sources_error[0] == '\0' || age_ms <= max_stale_s * 1000)
		return 0;
	return vlt_err_set(err, VLT_EBACKEND,
			   "the data center was last read %" PRId64 " s ago, more than "
			   "service.max_stale_s (%" PRId64 " s), and the sources cannot be read: %s",
			   age_ms / 1000, max_stale_s, sources_error);
}

int vlt__svc_check_fresh(vlt_service_t *s, vlt_err_t *err)
{
	return vlt__svc_stale_error(vlt__svc_now_ms(s) - s->sources_ok_ms, s->opts.max_stale_s,
				    s->sources_error, err);
}

static void refresh_now(vlt_service_t *s)
{
	vlt_err_t err = { 0 };

	vlt__service_refresh(s, &err); /* a failure is logged and kept for the status */
}

int vlt__service_refresher_start(vlt_service_t *s, vlt_err_t *err)
{
	if (s->opts.refresh_s <= 0)
		return 0;
	return vlt__svc_ticker_start(s, &s->refresher, (unsigned)(s->opts.refresh_s * 1000),
				     refresh_now, "refresher", err);
}
