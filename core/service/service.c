/*
 * service.c - valet-api's service opened on a store: the journal's op
 * table, replaying the journal at start, closing, and the status reads.
 * The operations are in op_*.c, what they share in common.c, the journal
 * in journal.c and the state it builds in state.c.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dc.h"
#include "decision.h"
#include "log.h"
#include "ops.h"

/* Every entry the journal may hold, and what applies it. */
static const vlt_journal_op_t journal_ops[] = {
	{ "plan_create", vlt__apply_plan_create },
	{ "plan_replace", vlt__apply_plan_replace },
	{ "reserve", vlt__apply_reserve },
	{ "server_at", vlt__apply_server_at },
	{ "server_outside", vlt__apply_server_outside },
	{ "expire", vlt__apply_expire },
	{ "reservation_end", vlt__apply_reservation_end },
	{ "plan_delete", vlt__apply_plan_delete },
	{ "group_put", vlt__apply_group_put },
	{ "group_delete", vlt__apply_group_delete },
};

/* ---------------------------------------------------------------- bodies */

static int check_value(const json_t *v, char *path, size_t len, size_t cap, unsigned depth,
		       vlt_err_t *err);

/* path + key (or [i]) for messages; truncated quietly when long */
static size_t path_push(char *path, size_t len, size_t cap, const char *key, size_t index)
{
	int n = key != NULL ? snprintf(path + len, cap - len, ".%s", key)
			    : snprintf(path + len, cap - len, "[%zu]", index);

	if (n < 0 || (size_t)n >= cap - len)
		return cap - 1;
	return len + (size_t)n;
}

static int check_value(const json_t *v, char *path, size_t len, size_t cap, unsigned depth,
		       vlt_err_t *err)
{
	const char *k;
	json_t *x;
	size_t i;

	if (!json_is_object(v) && !json_is_array(v))
		return 0;
	if (depth >= VLT_SERVICE_MAX_DEPTH)
		return vlt_err_set(err, VLT_EINVAL,
				   "request body: %s: nested deeper than %d levels", path,
				   VLT_SERVICE_MAX_DEPTH);
	if (json_is_array(v)) {
		json_array_foreach((json_t *)v, i, x) {
			size_t l = path_push(path, len, cap, NULL, i);
			int rc = check_value(x, path, l, cap, depth + 1, err);

			path[len] = '\0';
			if (rc < 0)
				return rc;
		}
		return 0;
	}
	json_object_foreach((json_t *)v, k, x) {
		if (k[0] == '$')
			return vlt_err_set(err, VLT_EINVAL,
					   "request body: %s: key '%s': keys starting with '$' "
					   "are not accepted",
					   path, k);
		size_t l = path_push(path, len, cap, k, 0);
		int rc = check_value(x, path, l, cap, depth + 1, err);

		path[len] = '\0';
		if (rc < 0)
			return rc;
	}
	return 0;
}

int vlt__service_check_body(const json_t *body, vlt_err_t *err)
{
	char path[400] = "$";

	return check_value(body, path, 1, sizeof(path), 0, err);
}

/* ---------------------------------------------------------------- open and close */

int vlt__service_open(vlt_service_t **out, vlt_engine_t *engine, vlt_module_t *store,
		      const vlt_service_opts_t *opts, vlt_err_t *err)
{
	vlt_service_t *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (store == NULL || store->ops.store == NULL) {
		free(s);
		return vlt_err_set(err, VLT_ECONFIG, "valet-api needs a store (modules.store)");
	}
	if (opts == NULL || opts->mods == NULL) {
		free(s);
		return vlt_err_set(err, VLT_EINVAL, "valet-api needs the loaded modules");
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->refresh_lock, NULL);
	pthread_mutex_init(&s->snap_lock, NULL);
	pthread_cond_init(&s->snap_due, NULL);
	vlt__svc_decisions_init(s);
	pthread_cond_init(&s->wake, NULL);
	vlt__svc_metrics_init(&s->metrics);
	vlt__svc_health_init(&s->checks);
	s->engine = engine;
	s->store = store;
	s->opts = *opts;
	vlt__journal_init(&s->journal, store, s->opts.collection, journal_ops,
			  sizeof(journal_ops) / sizeof(journal_ops[0]), s, &s->opts.clock,
			  s->opts.max_retries);
	vlt__journal_on_gap(&s->journal, vlt__svc_reload_past_gap);
	s->journal.after_apply = vlt__svc_snapshot_note;
	s->opts.collection = s->journal.coll;
	s->opts.max_retries = s->journal.max_retries;
	if (s->opts.max_resources == 0)
		s->opts.max_resources = VLT_DEFAULT_MAX_RESOURCES;
	if (s->opts.max_members == 0)
		s->opts.max_members = VLT_DEFAULT_MAX_MEMBERS;
	vlt__svc_lease_init(s);
	if (vlt__state_init(&s->st) < 0 || vlt__svc_group_init(s) < 0) {
		vlt__service_free(s);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	s->sources_ok_ms = s->sources_tried_ms = vlt__svc_now_ms(s); /* the engine read them */
	s->last_read_ms = s->last_swap_ms = -1;
	vlt__svc_health_note_sources(s);
	s->replaying = true;
	bool from_snapshot = false;
	rc = vlt__svc_snapshot_load(s, 0, &from_snapshot, err);
	uint64_t snapshot_seq = s->journal.applied;
	if (rc == 0)
		rc = vlt__journal_replay(&s->journal, err);
	if (rc == 0)
		rc = vlt__svc_hold_after_replay(s, err);
	if (rc < 0) {
		vlt__service_free(s);
		return rc;
	}
	vlt__log(NULL, VLT_LOG_NOTICE,
		 "journal replayed: %" PRIu64 " entries (%" PRIu64 " of them from a snapshot), "
		 "%zu plans, %zu groups%s",
		 s->journal.applied, from_snapshot ? snapshot_seq : 0, s->st.n_plans,
		 json_array_size(s->st.groups),
		 s->journal.n_unapplied > 0 ? " (some entries could not be applied: see above)"
					    : "");
	*out = s;
	return 0;
}

void vlt__service_free(vlt_service_t *s)
{
	if (s == NULL)
		return;
	vlt__listener_stop(s->listener); /* it writes through the service: first */
	s->listener = NULL;
	vlt__svc_tickers_stop(s);
	vlt__service_lease_release(s);
	vlt__svc_decisions_stop(s);
	vlt__svc_decision_forget(s);
	vlt__svc_outside_free(s);
	vlt__state_free(&s->st);
	vlt__svc_group_fini(s);
	vlt__svc_health_fini(&s->checks);
	vlt__svc_lease_fini(s);
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->refresh_lock);
	pthread_mutex_destroy(&s->snap_lock);
	pthread_cond_destroy(&s->snap_due);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

uint64_t vlt__service_applied(vlt_service_t *s)
{
	pthread_mutex_lock(&s->lock);
	uint64_t n = s->journal.applied;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* ---------------------------------------------------------------- status, resources */

/* A timing of the last refresh (ms, to the microsecond), or null before the first. */
static json_t *refresh_ms(double ms)
{
	return ms < 0 ? json_null() : json_real((double)(int64_t)(ms * 1000 + 0.5) / 1000);
}

/* How the data center in use stands: when read, the last failure, units gone or disabled. */
static json_t *sources_status(vlt_service_t *s)
{
	const vlt_dc_t *dc = vlt__engine_dc(s->engine);
	size_t n_gone = 0, n_disabled = 0;
	vlt_err_t stale = { 0 };
	const char *type = s->sources_error[0] == '\0'	     ? "ok"
			   : vlt__svc_check_fresh(s, &stale) < 0 ? "stale"
							     : "degraded";

	uint32_t n_consumers = 0, n_own = 0;
	const vlt_dc_consumer_t *c = vlt__dc_consumers(dc, &n_consumers);

	for (uint32_t i = 0; i < n_consumers; i++)
		n_own += c[i].credited;
	for (const vlt_svc_plan_t *p = s->st.first; p != NULL; p = p->next) {
		for (size_t i = 0; i < p->n_units; i++) {
			n_gone += p->units[i].health == VLT_SVC_HEALTH_GONE;
			n_disabled += p->units[i].health == VLT_SVC_HEALTH_DISABLED;
		}
	}
	return json_pack("{s:s, s:I, s:I, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}",
			 "type", type,
			 "consumers", (json_int_t)n_consumers, "consumers_held_by_valet",
			 (json_int_t)n_own, "error",
			 s->sources_error[0] != '\0' ? s->sources_error : NULL, "read_s_ago",
			 (json_int_t)((vlt__svc_now_ms(s) - s->sources_ok_ms) / 1000), "refreshes",
			 (json_int_t)s->n_refreshed, "failures", (json_int_t)s->n_refresh_failed,
			 "hosts", (json_int_t)dc->n_hosts, "pools", (json_int_t)dc->n_pools,
			 "units_gone", (json_int_t)n_gone, "units_on_disabled_hosts",
			 (json_int_t)n_disabled, "read_ms", refresh_ms(s->last_read_ms), "swap_ms",
			 refresh_ms(s->last_swap_ms));
}

int vlt__service_status(vlt_service_t *s, json_t **status, vlt_err_t *err)
{
	vlt_service_health_t health;

	vlt__service_health(s, &health); /* before the lock: it may wait on the store */
	int rc = vlt__svc_read_begin(s, err);

	if (rc < 0)
		return rc;
	*status = json_pack("{s:{s:{s:{s:s, s:s}}, s:{s:s, s:s, s:I, s:I, s:I}, s:o, s:o*}}",
			    "status",
			    "ostro", "status", "type", "ok", "message", "success", "store", "type",
			    "ok", "module", s->store->name, "journal_entries",
			    (json_int_t)s->journal.applied, "plans", (json_int_t)s->st.n_plans,
			    "unapplied", (json_int_t)s->journal.n_unapplied, "sources",
			    sources_status(s), "health", vlt__service_health_json(&health));
	if (*status != NULL) { /* the decision record's counts (decision.c), the lease (lease.c), the
				* listener (op_nova.c) */
		json_object_set_new(json_object_get(*status, "status"), "decisions",
				    vlt__svc_decisions_status(s));
		json_object_set_new(json_object_get(*status, "status"), "lease",
				    vlt__svc_lease_status(s));
		json_object_set_new(json_object_get(*status, "status"), "notifications",
				    vlt__svc_notifications_status(s));
	}
	vlt__svc_read_end(s);
	return *status != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}

static const char *resource_key(const vlt_svc_unit_t *u)
{
	return u->resource_id != NULL ? u->resource_id : u->orch;
}

/* The uuid of the host a server is on (vlt__dc_host_uuid), or NULL. */
static const char *host_uuid_of(const vlt_dc_t *dc, const vlt_svc_unit_t *u)
{
	uint32_t h = u->server && u->loc != NULL ? vlt__dc_find_host(dc, u->loc) : VLT_NONE;

	return h != VLT_NONE ? vlt__dc_host_uuid(dc, h) : NULL;
}

/*
 * What is wrong with u, as GET /v1/resources shows it, or NULL: its
 * plan's hold was not restored (servers), its host or pool is gone, or
 * its host is disabled. A server's host still in the inventory is also
 * named by its uuid, when a source gave one.
 */
static json_t *unit_trouble(const vlt_dc_t *dc, const vlt_svc_plan_t *p,
			    const vlt_svc_unit_t *u)
{
	char msg[600];

	if (u->expired)
		return NULL;
	if (p->hold_error != NULL && u->server)
		snprintf(msg, sizeof(msg), "%s", p->hold_error);
	else if (u->health == VLT_SVC_HEALTH_GONE)
		snprintf(msg, sizeof(msg),
			 "%s %s of plan %s: the inventory no longer has %s '%s'; it holds nothing "
			 "until it is placed again (migrate or replan)",
			 u->server ? "server" : "volume", u->name, p->id,
			 u->server ? "host" : "pool", u->loc);
	else if (u->health == VLT_SVC_HEALTH_DISABLED)
		snprintf(msg, sizeof(msg),
			 "server %s of plan %s: host '%s' is disabled; still held, Nova will not "
			 "build there (migrate or replan places it elsewhere)",
			 u->name, p->id, u->loc);
	else
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s*}", "type", u->type, "status",
			 u->health == VLT_SVC_HEALTH_DISABLED && p->hold_error == NULL ? "warning"
											: "error",
			 "message", msg, "host_uuid", host_uuid_of(dc, u));
}

int vlt__service_resources(vlt_service_t *s, json_t **resources, vlt_err_t *err)
{
	json_t *map = json_object();
	int rc = vlt__svc_read_begin(s, err);

	if (rc < 0) {
		json_decref(map);
		return rc;
	}
	const vlt_dc_t *dc = vlt__engine_dc(s->engine);

	for (vlt_svc_plan_t *p = s->st.first; map != NULL && p != NULL; p = p->next) {
		for (size_t i = 0; i < p->n_units; i++) {
			json_t *why = unit_trouble(dc, p, &p->units[i]);

			if (why != NULL)
				json_object_set_new(map, resource_key(&p->units[i]), why);
		}
	}
	vlt__svc_read_end(s);
	*resources = map != NULL ? json_pack("{s:o}", "resources", map) : NULL;
	return *resources != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");
}
