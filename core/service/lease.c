/*
 * lease.c - which of several valetd sharing a store does the periodic
 * work (expiring holds, releasing what the sources no longer know,
 * expiring decisions, consuming the notifications' queue): the one that
 * holds the lease, one document of the store that every instance reads
 * and writes only by compare-and-set.
 *
 * The document (collection "leases", id "periodic") is
 * {"holder": "<host>:<pid>:<random>", "term": N, "renewed_at_ms": t,
 * "expires_at_ms": t + lease_ms}. An instance takes it when it is absent,
 * released (holder "") or expired, at term N + 1; the holder renews it
 * every third of lease_ms at the same term. A renewal that fails, or that
 * finds another holder, gives the work up at once; a holder that could
 * not renew for two thirds of lease_ms stops by itself, so that a clock
 * of another instance up to a third of lease_ms ahead never makes two
 * holders. The journal still decides every change (each entry is
 * appended by compare-and-set at its number), so a moment with two
 * holders could only do work twice, never apply it twice.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <valet/store.h>

#include "clock.h"
#include "log.h"
#include "service_int.h"

#define LEASE_COLL "leases"
#define LEASE_ID "periodic"

void vlt__svc_lease_init(vlt_service_t *s)
{
	vlt_svc_lease_t *l = &s->lease;
	char host[64] = "";
	char rnd[37];

	pthread_mutex_init(&l->lock, NULL);
	pthread_mutex_init(&l->io, NULL);
	l->lease_ms = s->opts.lease_s * 1000;
	if (gethostname(host, sizeof(host) - 1) != 0)
		snprintf(host, sizeof(host), "unknown");
	vlt__svc_uuid(rnd);
	snprintf(l->self, sizeof(l->self), "%s:%ld:%.8s", host, (long)getpid(), rnd);
}

void vlt__svc_lease_fini(vlt_service_t *s)
{
	pthread_mutex_destroy(&s->lease.io);
	pthread_mutex_destroy(&s->lease.lock);
}

/* ---------------------------------------------------------------- the document */

/* What the stored document says (absent: no holder, term 0, long expired). */
struct lease_doc {
	const char *holder;
	int64_t term, expires_at_ms, version;
};

static struct lease_doc lease_read(const json_t *doc, int64_t version)
{
	struct lease_doc d = { "", 0, 0, version };
	const char *h = json_string_value(json_object_get(doc, "holder"));

	if (h != NULL)
		d.holder = h;
	d.term = json_integer_value(json_object_get(doc, "term"));
	d.expires_at_ms = json_integer_value(json_object_get(doc, "expires_at_ms"));
	return d;
}

/* Read the document into *d (borrowing from *doc, the caller's to decref); absent: as released. */
static int lease_get(vlt_service_t *s, json_t **doc, struct lease_doc *d, vlt_err_t *err)
{
	double t0 = vlt__clock_mono_ms();
	int64_t version = 0;
	int rc = s->store->ops.store->get(s->store->state, LEASE_COLL, LEASE_ID, doc, &version,
					 err);

	vlt__store_stats_note(&s->journal.stats, VLT_STORE_OP_GET, t0, rc);
	if (rc == VLT_ENOENT) {
		*doc = NULL;
		rc = 0;
	}
	*d = lease_read(rc == 0 ? *doc : NULL, rc == 0 ? version : 0);
	return rc;
}

/* Write {holder, term, now, now + lease_ms} over version expect. */
static int lease_put(vlt_service_t *s, const char *holder, int64_t term, int64_t now_ms,
		     int64_t expires_ms, int64_t expect, vlt_err_t *err)
{
	json_t *doc = json_pack("{s:s, s:I, s:I, s:I}", "holder", holder, "term", (json_int_t)term,
				"renewed_at_ms", (json_int_t)now_ms, "expires_at_ms",
				(json_int_t)expires_ms);
	double t0 = vlt__clock_mono_ms();
	int rc;

	if (doc == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	rc = s->store->ops.store->put(s->store->state, LEASE_COLL, LEASE_ID, doc, expect, err);
	vlt__store_stats_note(&s->journal.stats, VLT_STORE_OP_PUT, t0, rc);
	json_decref(doc);
	return rc;
}

/* ---------------------------------------------------------------- what this instance knows */

/* Publish what the last look at the document found (lock not held). */
static void note_seen(vlt_service_t *s, const struct lease_doc *d)
{
	vlt_svc_lease_t *l = &s->lease;

	pthread_mutex_lock(&l->lock);
	snprintf(l->holder, sizeof(l->holder), "%s", d->holder);
	l->term = d->term;
	l->expires_at_ms = d->expires_at_ms;
	pthread_mutex_unlock(&l->lock);
}

/* We hold it at term until now_ms + two thirds of lease_ms. */
static void note_held(vlt_service_t *s, int64_t term, int64_t now_ms, int64_t expires_ms)
{
	vlt_svc_lease_t *l = &s->lease;

	pthread_mutex_lock(&l->lock);
	l->held = true;
	l->term = term;
	l->held_until_ms = now_ms + l->lease_ms * 2 / 3;
	l->expires_at_ms = expires_ms;
	snprintf(l->holder, sizeof(l->holder), "%s", l->self);
	pthread_mutex_unlock(&l->lock);
}

/* Give the work up, logging why when we held it. */
static void note_lost(vlt_service_t *s, const char *why)
{
	vlt_svc_lease_t *l = &s->lease;
	bool was;
	int64_t term;

	pthread_mutex_lock(&l->lock);
	was = l->held;
	term = l->term;
	l->held = false;
	if (was)
		l->n_lost++;
	pthread_mutex_unlock(&l->lock);
	if (was)
		vlt__log(NULL, VLT_LOG_WARNING,
			 "lease of the periodic work lost (term %" PRId64 "): %s; this valetd stops "
			 "expiring holds and reconciling until it holds it again",
			 term, why);
}

static void log_acquired(const vlt_svc_lease_t *l, const struct lease_doc *was, int64_t now_ms)
{
	if (was->holder[0] != '\0' && strcmp(was->holder, l->self) != 0)
		vlt__log(NULL, VLT_LOG_NOTICE,
			 "lease of the periodic work taken over (term %" PRId64 ") from %s, whose "
			 "lease expired %" PRId64 " ms ago",
			 was->term + 1, was->holder, now_ms - was->expires_at_ms);
	else
		vlt__log(NULL, VLT_LOG_NOTICE,
			 "lease of the periodic work acquired (term %" PRId64 ") by %s", was->term + 1,
			 l->self);
}

/* ---------------------------------------------------------------- one look */

/* The document is ours: renew it at the same term. */
static void renew(vlt_service_t *s, const struct lease_doc *d, int64_t now_ms)
{
	vlt_err_t err = { 0 };
	int64_t expires = now_ms + s->lease.lease_ms;
	int rc = lease_put(s, s->lease.self, d->term, now_ms, expires, d->version, &err);

	if (rc == 0) {
		pthread_mutex_lock(&s->lease.lock);
		bool again = !s->lease.held; /* a renewal failed before, and this one got through */
		pthread_mutex_unlock(&s->lease.lock);
		if (again)
			vlt__log(NULL, VLT_LOG_NOTICE,
				 "lease of the periodic work held again (term %" PRId64 ")", d->term);
		note_held(s, d->term, now_ms, expires);
		return;
	}
	note_lost(s, rc == VLT_ECONFLICT ? "another valetd wrote the lease document meanwhile"
					 : err.msg);
}

/* The document is free (absent, released, expired): take it at the next term. */
static void acquire(vlt_service_t *s, const struct lease_doc *d, int64_t now_ms)
{
	vlt_err_t err = { 0 };
	int64_t expires = now_ms + s->lease.lease_ms;
	int rc = lease_put(s, s->lease.self, d->term + 1, now_ms, expires, d->version, &err);

	if (rc == 0) {
		log_acquired(&s->lease, d, now_ms);
		pthread_mutex_lock(&s->lease.lock);
		s->lease.n_acquired++;
		pthread_mutex_unlock(&s->lease.lock);
		note_held(s, d->term + 1, now_ms, expires);
	} else if (rc != VLT_ECONFLICT) { /* a conflict: another took it first; seen next look */
		vlt__log(NULL, VLT_LOG_WARNING, "lease of the periodic work: cannot take it: %s",
			 err.msg);
	}
}

void vlt__service_lease_tick(vlt_service_t *s)
{
	vlt_svc_lease_t *l = &s->lease;
	json_t *doc = NULL;
	struct lease_doc d;
	vlt_err_t err = { 0 };

	if (l->lease_ms <= 0)
		return;
	pthread_mutex_lock(&l->io);
	int64_t now_ms = vlt__svc_now_ms(s);

	if (l->stopping) {
		/* released on stop: never taken again */
	} else if (lease_get(s, &doc, &d, &err) < 0) {
		note_lost(s, err.msg);
	} else {
		note_seen(s, &d);
		if (strcmp(d.holder, l->self) == 0)
			renew(s, &d, now_ms);
		else if (d.holder[0] == '\0' || d.expires_at_ms <= now_ms)
			acquire(s, &d, now_ms);
		else
			note_lost(s, "another valetd holds it");
	}
	json_decref(doc);
	pthread_mutex_unlock(&l->io);
}

/* ---------------------------------------------------------------- asked by the others */

bool vlt__service_lease_held(vlt_service_t *s)
{
	vlt_svc_lease_t *l = &s->lease;

	if (l->lease_ms <= 0)
		return true; /* no lease: this instance does the periodic work itself */
	int64_t now_ms = vlt__svc_now_ms(s);

	pthread_mutex_lock(&l->lock);
	bool held = l->held && now_ms < l->held_until_ms;
	pthread_mutex_unlock(&l->lock);
	return held;
}

int64_t vlt__service_lease_term(vlt_service_t *s)
{
	pthread_mutex_lock(&s->lease.lock);
	int64_t term = s->lease.term;
	pthread_mutex_unlock(&s->lease.lock);
	return term;
}

json_t *vlt__svc_lease_status(vlt_service_t *s)
{
	vlt_svc_lease_t *l = &s->lease;

	if (l->lease_ms <= 0)
		return json_pack("{s:b, s:b, s:I}", "enabled", false, "held", true, "lease_s",
				 (json_int_t)0);
	bool held = vlt__service_lease_held(s);

	pthread_mutex_lock(&l->lock);
	json_t *j = json_pack("{s:b, s:b, s:s, s:s?, s:I, s:I, s:I, s:I, s:I}", "enabled", true,
			      "held", held, "self", l->self, "holder",
			      l->holder[0] != '\0' ? l->holder : NULL, "term", (json_int_t)l->term,
			      "expires_at_ms", (json_int_t)l->expires_at_ms, "lease_s",
			      (json_int_t)(l->lease_ms / 1000), "acquired",
			      (json_int_t)l->n_acquired, "lost", (json_int_t)l->n_lost);
	pthread_mutex_unlock(&l->lock);
	return j;
}

void vlt__svc_lease_write_metrics(vlt_service_t *s, vlt_prom_t *p)
{
	vlt_svc_lease_t *l = &s->lease;
	bool held = vlt__service_lease_held(s);

	pthread_mutex_lock(&l->lock);
	int64_t term = l->term;
	uint64_t acquired = l->n_acquired, lost = l->n_lost;
	pthread_mutex_unlock(&l->lock);
	vlt__prom_family(p, "valet_lease_held", "gauge",
			 "1 while this valetd holds the lease of the periodic work (always 1 "
			 "without a lease, service.lease_s = 0), else 0.");
	vlt__prom_sample(p, "valet_lease_held", NULL, 0, held);
	if (l->lease_ms <= 0)
		return;
	vlt__prom_family(p, "valet_lease_term", "gauge",
			 "The lease's term: this valetd's while it holds it, else the last seen.");
	vlt__prom_sample_u64(p, "valet_lease_term", NULL, 0, (uint64_t)term);
	vlt__prom_family(p, "valet_lease_acquired_total", "counter",
			 "Times this valetd took the lease (at start, or over from another).");
	vlt__prom_sample_u64(p, "valet_lease_acquired_total", NULL, 0, acquired);
	vlt__prom_family(p, "valet_lease_lost_total", "counter",
			 "Times this valetd lost the lease it held (a renewal failed or found "
			 "another holder).");
	vlt__prom_sample_u64(p, "valet_lease_lost_total", NULL, 0, lost);
}

/* ---------------------------------------------------------------- start and stop */

int vlt__service_lease_start(vlt_service_t *s, vlt_err_t *err)
{
	int64_t period = s->lease.lease_ms / 3;

	if (s->lease.lease_ms <= 0)
		return 0;
	vlt__service_lease_tick(s); /* alone on the store, the work starts at once */
	return vlt__svc_ticker_start(s, &s->leaser, (unsigned)(period < 1 ? 1 : period),
				     vlt__service_lease_tick, "lease", err);
}

void vlt__service_lease_release(vlt_service_t *s)
{
	vlt_svc_lease_t *l = &s->lease;
	json_t *doc = NULL;
	struct lease_doc d;
	vlt_err_t err = { 0 };

	if (l->lease_ms <= 0)
		return;
	pthread_mutex_lock(&l->io);
	bool first = !l->stopping;

	l->stopping = true; /* the lease thread takes it no more */
	pthread_mutex_lock(&l->lock);
	bool held = l->held;
	l->held = false;
	pthread_mutex_unlock(&l->lock);
	if (first && held && lease_get(s, &doc, &d, &err) == 0) {
		/* released: the next look of another instance takes it, at the next term */
		if (strcmp(d.holder, l->self) == 0 &&
		    lease_put(s, "", d.term, vlt__svc_now_ms(s), 0, d.version, &err) == 0)
			vlt__log(NULL, VLT_LOG_NOTICE,
				 "lease of the periodic work released (term %" PRId64 ")", d.term);
	}
	if (err.msg[0] != '\0')
		vlt__log(NULL, VLT_LOG_WARNING,
			 "lease of the periodic work: cannot release it (it expires by itself): %s",
			 err.msg);
	json_decref(doc);
	pthread_mutex_unlock(&l->io);
}
