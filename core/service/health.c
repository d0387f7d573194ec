/*
 * health.c - is this valetd fit to serve (GET /healthcheck, GET
 * /v1/status's "health")? Three things make it unfit: its store does not
 * answer (the store's ping, at most once a second, never under the
 * service's lock), its data center is older than service.max_stale_s
 * while the sources cannot be read, or it is shutting down.
 */
#include <stdio.h>
#include <string.h>

#include <valet/store.h>

#include "clock.h"
#include "ops.h"

/* A store is pinged at most this often; checks in between reuse the answer. */
#define PING_EVERY_MS 1000.0

void vlt__svc_health_init(vlt_svc_checks_t *h)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->ping_lock, NULL);
	pthread_mutex_init(&h->facts_lock, NULL);
	h->pinged_ms = -1;
}

void vlt__svc_health_fini(vlt_svc_checks_t *h)
{
	pthread_mutex_destroy(&h->facts_lock);
	pthread_mutex_destroy(&h->ping_lock);
}

void vlt__svc_health_note_sources(vlt_service_t *s)
{
	vlt_svc_checks_t *h = &s->checks;

	pthread_mutex_lock(&h->facts_lock);
	h->sources_ok_ms = s->sources_ok_ms;
	snprintf(h->sources_error, sizeof(h->sources_error), "%s", s->sources_error);
	pthread_mutex_unlock(&h->facts_lock);
}

void vlt__service_stopping(vlt_service_t *s)
{
	pthread_mutex_lock(&s->checks.facts_lock);
	s->checks.stopping = true;
	pthread_mutex_unlock(&s->checks.facts_lock);
}

/*
 * The store's own ping when it has one (ABI 1.4), else a read of a
 * document that does not exist: either way an answer, not a change.
 */
static int ping_store(vlt_service_t *s, vlt_err_t *err)
{
	const vlt_store_ops_t *ops = s->store->ops.store;
	double t0 = vlt__clock_mono_ms();
	int rc;

	if (VLT_OPS_HAS(ops, vlt_store_ops_t, ping, 4)) {
		rc = ops->ping(s->store->state, err);
	} else {
		rc = ops->get(s->store->state, "health", "ping", NULL, NULL, err);
		if (rc == VLT_ENOENT)
			rc = 0;
	}
	vlt__store_stats_note(&s->journal.stats, VLT_STORE_OP_PING, t0, rc);
	if (rc < 0 && err->msg[0] == '\0')
		vlt_err_set(err, rc, "%s", vlt_strerror(rc));
	return rc;
}

/* Ping unless the last answer is recent or another check is pinging. */
static void refresh_ping(vlt_service_t *s)
{
	vlt_svc_checks_t *h = &s->checks;

	if (pthread_mutex_trylock(&h->ping_lock) != 0)
		return; /* the other check's answer will do */
	pthread_mutex_lock(&h->facts_lock);
	bool due = h->pinged_ms < 0 || vlt__clock_mono_ms() - h->pinged_ms >= PING_EVERY_MS;
	pthread_mutex_unlock(&h->facts_lock);
	if (due) {
		vlt_err_t err = { 0 };
		int rc = ping_store(s, &err);

		pthread_mutex_lock(&h->facts_lock);
		h->ping_rc = rc;
		snprintf(h->ping_error, sizeof(h->ping_error), "%s", err.msg);
		h->pinged_ms = vlt__clock_mono_ms();
		pthread_mutex_unlock(&h->facts_lock);
	}
	pthread_mutex_unlock(&h->ping_lock);
}

/* One reason: prefix (may be "") then what. */
static void add_reason(vlt_service_health_t *out, const char *prefix, const char *what)
{
	if (out->n_reasons == VLT_SERVICE_HEALTH_MAX)
		return;
	snprintf(out->reasons[out->n_reasons++], sizeof(out->reasons[0]), "%s%s", prefix, what);
	out->healthy = false;
}

void vlt__service_health(vlt_service_t *s, vlt_service_health_t *out)
{
	vlt_svc_checks_t *h = &s->checks;
	vlt_err_t stale = { 0 };

	memset(out, 0, sizeof(*out));
	out->healthy = true;
	refresh_ping(s);
	pthread_mutex_lock(&h->facts_lock);
	if (h->stopping)
		add_reason(out, "", "valetd is shutting down");
	if (h->pinged_ms >= 0 && h->ping_rc < 0)
		add_reason(out, "the store does not answer: ", h->ping_error);
	if (vlt__svc_stale_error(vlt__svc_now_ms(s) - h->sources_ok_ms, s->opts.max_stale_s,
				 h->sources_error, &stale) < 0)
		add_reason(out, "", stale.msg);
	pthread_mutex_unlock(&h->facts_lock);
}

json_t *vlt__service_health_json(const vlt_service_health_t *h)
{
	json_t *reasons = json_array();

	for (size_t i = 0; reasons != NULL && i < h->n_reasons; i++)
		json_array_append_new(reasons, json_string(h->reasons[i]));
	return json_pack("{s:b, s:o*}", "healthy", h->healthy, "reasons", reasons);
}
