/*
 * metrics.c - what the service shows on GET /metrics: its state (plans,
 * placements, capacity per rack and cluster, the journal, the sources)
 * read under its lock at scrape time, and what it counted as it went
 * (placements per solver, refusals per reason, the store's calls).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "ops.h"

void vlt__svc_metrics_init(vlt_svc_metrics_t *m)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i <= VLT_SVC_MAX_SOLVERS; i++)
		vlt__prom_hist_init(&m->solvers[i].seconds, vlt_prom_latency_bounds,
				    vlt_prom_n_latency_bounds);
	snprintf(m->solvers[VLT_SVC_MAX_SOLVERS].name, sizeof(m->solvers[0].name), "other");
	snprintf(m->reasons[VLT_SVC_MAX_REASONS].reason, VLT_SVC_REASON_MAX, "other");
}

/* ---- counting (under the service's lock) */

static vlt_svc_solver_stats_t *solver_stats(vlt_svc_metrics_t *m, const char *name)
{
	for (size_t i = 0; i < m->n_solvers; i++)
		if (strcmp(m->solvers[i].name, name) == 0)
			return &m->solvers[i];
	if (m->n_solvers == VLT_SVC_MAX_SOLVERS)
		return &m->solvers[VLT_SVC_MAX_SOLVERS];
	vlt_svc_solver_stats_t *st = &m->solvers[m->n_solvers++];
	snprintf(st->name, sizeof(st->name), "%s", name);
	return st;
}

static vlt_svc_reason_stats_t *reason_stats(vlt_svc_metrics_t *m, const char *reason)
{
	for (size_t i = 0; i < m->n_reasons; i++)
		if (strcmp(m->reasons[i].reason, reason) == 0)
			return &m->reasons[i];
	if (m->n_reasons == VLT_SVC_MAX_REASONS)
		return &m->reasons[VLT_SVC_MAX_REASONS];
	vlt_svc_reason_stats_t *st = &m->reasons[m->n_reasons++];
	snprintf(st->reason, sizeof(st->reason), "%s", reason);
	return st;
}

/*
 * A reason as the explanation words it, less the name it ends with (a
 * host, group, trait, zone or volume type), so that the series stay few:
 * "diversity(host) web-div" is "diversity(host)", "short of nic_mbps on
 * h1" is "short of nic_mbps", "without required trait X" is "without
 * required trait". Writes into out (VLT_SVC_REASON_MAX bytes).
 */
static void reason_kind(const char *label, size_t len, char *out)
{
	static const char *const named[] = { "short of nic_mbps on ", "availability zone ",
					     "without required trait ", "with forbidden trait ",
					     "volume_type " };
	/* a timed refusal's " (on the host ..., when)" is no part of the kind */
	for (size_t i = 0; i + 1 < len; i++)
		if (label[i] == ' ' && label[i + 1] == '(') {
			len = i;
			break;
		}
	const char *paren = memchr(label, ')', len);

	if (paren != NULL && memchr(label, '(', (size_t)(paren - label)) != NULL)
		len = (size_t)(paren - label) + 1;
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t n = strlen(named[i]);

		if (len >= n && strncmp(label, named[i], n) == 0)
			len = n - 1 - (i == 0 ? 3 : 0); /* "short of nic_mbps on " less " on " */
	}
	if (len >= VLT_SVC_REASON_MAX)
		len = VLT_SVC_REASON_MAX - 1;
	memcpy(out, label, len);
	out[len] = '\0';
}

/*
 * The length of the reason at p: up to a ',' or ';' outside parentheses,
 * which a timed refusal's "(on the host ..., h2: short from A to B; free
 * before)" has inside.
 */
static size_t reason_span(const char *p)
{
	size_t depth = 0, i = 0;

	for (; p[i] != '\0'; i++) {
		if (p[i] == '(')
			depth++;
		else if (p[i] == ')' && depth > 0)
			depth--;
		else if (depth == 0 && (p[i] == ',' || p[i] == ';'))
			break;
	}
	return i;
}

/*
 * Count the reasons of a refusal: "server web-3: 0 of 5 hosts fit: 4 short
 * of ram_mb, 1 disabled[; ...]". One that names none (the hosts fit one by
 * one, not together) counts as "groups and capacity together".
 */
static void count_reasons(vlt_svc_metrics_t *m, const char *explanation)
{
	const char *p = explanation != NULL ? strstr(explanation, " fit: ") : NULL;
	size_t counted = 0;
	char kind[VLT_SVC_REASON_MAX];

	for (p = p != NULL ? p + 6 : NULL; p != NULL && *p >= '0' && *p <= '9';) {
		char *end;
		unsigned long long n = strtoull(p, &end, 10);
		size_t len = reason_span(end + (*end == ' '));

		if (*end != ' ' || len == 0)
			break;
		reason_kind(end + 1, len, kind);
		vlt_svc_reason_stats_t *r = reason_stats(m, kind);
		r->refusals++;
		r->hosts += n;
		counted++;
		p = end + 1 + len;
		if (*p != ',')
			break;
		p += strspn(p, ", ");
	}
	if (counted == 0)
		reason_stats(m, explanation != NULL && strstr(explanation, "together") != NULL
					? "groups and capacity together"
					: "unexplained")
			->refusals++;
}

void vlt__svc_metrics_placement(vlt_service_t *s, const char *solver, double ms, int rc,
				const char *explanation)
{
	vlt_svc_metrics_t *m = &s->metrics;
	const vlt_modules_t *mods = s->opts.mods;

	if (solver == NULL)
		solver = mods != NULL && mods->n_solvers > 0 ? mods->solvers[0].name : "none";
	vlt_svc_solver_stats_t *st = solver_stats(m, solver);
	bool refused = rc == VLT_ENOPLACE || rc == VLT_E2BIG;

	st->outcomes[rc == 0 ? VLT_SVC_PLACED : refused ? VLT_SVC_REFUSED : VLT_SVC_FAILED]++;
	vlt__prom_hist_observe(&st->seconds, ms / 1e3);
	if (rc == VLT_E2BIG)
		reason_stats(m, "beyond the solver's limits")->refusals++;
	else if (rc == VLT_ENOPLACE)
		count_reasons(m, explanation);
}

/* ---- writing (under the service's lock) */

static void write_state(vlt_service_t *s, vlt_prom_t *p)
{
	uint64_t n[2][3] = { { 0 } }; /* [volume, server][held, reserved, expired] */
	static const char *const kinds[] = { "volume", "server" };
	static const char *const states[] = { "held", "reserved", "expired" };

	for (const vlt_svc_plan_t *pl = s->st.first; pl != NULL; pl = pl->next)
		for (size_t i = 0; i < pl->n_units; i++) {
			const vlt_svc_unit_t *u = &pl->units[i];

			n[u->server][u->expired ? 2 : u->reserved ? 1 : 0]++;
		}
	vlt__prom_family(p, "valet_plans", "gauge", "Plans the service holds.");
	vlt__prom_sample_u64(p, "valet_plans", NULL, 0, s->st.n_plans);
	vlt__prom_family(p, "valet_placements", "gauge",
			 "Placements of the plans held, by kind (server, volume) and state: held "
			 "(waiting for Nova's reservation), reserved, or expired (their hold let "
			 "go).");
	for (int k = 0; k < 2; k++)
		for (int st = 0; st < 3; st++) {
			vlt_prom_label_t l[] = { { "kind", kinds[k] }, { "state", states[st] } };
			vlt__prom_sample_u64(p, "valet_placements", l, 2, n[k][st]);
		}
	vlt__prom_family(p, "valet_journal_entries", "gauge",
			 "Entries of the journal applied (its length, as this valetd follows it).");
	vlt__prom_sample_u64(p, "valet_journal_entries", NULL, 0, s->journal.applied);
	vlt__prom_family(p, "valet_journal_unapplied_entries", "gauge",
			 "Journal entries that could not be applied (see GET /v1/resources).");
	vlt__prom_sample_u64(p, "valet_journal_unapplied_entries", NULL, 0,
			     s->journal.n_unapplied);
}

static const char *const resource_names[VLT_RES_COUNT] = { "vcpus", "ram_mb", "disk_gb" };

/*
 * What a rack's or cluster's enabled hosts offer, per resource (as the
 * ledger starts its free capacity), into cap (n domains); the ledger's
 * rack_free and cluster_free say what no hold takes of it.
 */
static void domain_capacity(const vlt_dc_t *dc, bool racks, int64_t (*cap)[VLT_RES_COUNT])
{
	for (uint32_t h = 0; h < dc->n_hosts; h++) {
		const vlt_host_t *host = &dc->hosts[h];

		for (int r = 0; host->enabled && r < VLT_RES_COUNT; r++)
			cap[racks ? host->rack : host->cluster][r] += host->capacity[r];
	}
}

static void write_level(vlt_prom_t *p, const vlt_engine_view_t *v, bool racks, int which,
			const char *metric)
{
	const vlt_dc_t *dc = v->dc;
	uint32_t n = racks ? dc->n_racks : dc->n_clusters;
	int64_t(*cap)[VLT_RES_COUNT] = calloc(n + 1, sizeof(*cap));

	if (cap == NULL) {
		p->failed = true;
		return;
	}
	domain_capacity(dc, racks, cap);
	for (uint32_t d = 0; d < n; d++) {
		const int64_t *free_ = racks ? v->ledger->rack_free[d] : v->ledger->cluster_free[d];

		for (int r = 0; r < VLT_RES_COUNT; r++) {
			vlt_prom_label_t l[] = { { "level", racks ? "rack" : "cluster" },
						 { "domain", racks ? dc->racks[d].name
								   : dc->clusters[d].name },
						 { "resource", resource_names[r] } };
			int64_t value = which == 0 ? cap[d][r] : which == 1 ? free_[r]
									    : cap[d][r] - free_[r];
			vlt__prom_sample(p, metric, l, 3, (double)value);
		}
	}
	free(cap);
}

static int write_capacity_view(const vlt_engine_view_t *v, void *ctx, vlt_err_t *err)
{
	static const struct {
		const char *name, *help;
	} metrics[] = {
		{ "valet_capacity", "What a rack's or cluster's enabled hosts offer placements, "
				    "per resource (after allocation ratios, standby and use "
				    "outside Valet)." },
		{ "valet_capacity_free", "Of valet_capacity, what no hold takes." },
		{ "valet_capacity_used", "Of valet_capacity, what Valet's holds take." },
	};
	vlt_prom_t *p = ctx;

	(void)err;
	for (int w = 0; w < 3; w++) {
		vlt__prom_family(p, metrics[w].name, "gauge", metrics[w].help);
		write_level(p, v, true, w, metrics[w].name);
		write_level(p, v, false, w, metrics[w].name);
	}
	return 0;
}

static void write_capacity(vlt_service_t *s, vlt_prom_t *p)
{
	vlt_err_t err = { 0 };

	vlt__engine_inspect(s->engine, write_capacity_view, p, &err);
}

static void write_solvers(const vlt_svc_metrics_t *m, vlt_prom_t *p)
{
	static const char *const outcomes[] = { "placed", "refused", "failed" };
	size_t n = m->n_solvers;
	bool other = m->solvers[VLT_SVC_MAX_SOLVERS].outcomes[0] +
			     m->solvers[VLT_SVC_MAX_SOLVERS].outcomes[1] +
			     m->solvers[VLT_SVC_MAX_SOLVERS].outcomes[2] >
		     0;

	vlt__prom_family(p, "valet_solver_placements_total", "counter",
			 "Placements asked of a solver, by solver and outcome (placed, refused: "
			 "the stack does not fit, failed: a bad request or an error).");
	for (size_t i = 0; i <= VLT_SVC_MAX_SOLVERS; i++) {
		if (i >= n && !(i == VLT_SVC_MAX_SOLVERS && other))
			continue;
		for (int o = 0; o < VLT_SVC_OUTCOME_COUNT; o++) {
			vlt_prom_label_t l[] = { { "solver", m->solvers[i].name },
						 { "outcome", outcomes[o] } };
			vlt__prom_sample_u64(p, "valet_solver_placements_total", l, 2,
					     m->solvers[i].outcomes[o]);
		}
	}
	vlt__prom_family(p, "valet_solver_duration_seconds", "histogram",
			 "Time a placement took (the request parsed, checked and solved), by "
			 "solver.");
	for (size_t i = 0; i <= VLT_SVC_MAX_SOLVERS; i++) {
		if (i >= n && !(i == VLT_SVC_MAX_SOLVERS && other))
			continue;
		vlt_prom_label_t l = { "solver", m->solvers[i].name };
		vlt__prom_histogram(p, "valet_solver_duration_seconds", &l, 1,
				    &m->solvers[i].seconds);
	}
}

static void write_reasons(const vlt_svc_metrics_t *m, vlt_prom_t *p)
{
	const vlt_svc_reason_stats_t *other = &m->reasons[VLT_SVC_MAX_REASONS];

	vlt__prom_family(p, "valet_refusals_total", "counter",
			 "Placements refused, by each reason their explanation gives (one "
			 "refusal may give several).");
	for (size_t i = 0; i <= VLT_SVC_MAX_REASONS; i++) {
		const vlt_svc_reason_stats_t *r = &m->reasons[i];
		vlt_prom_label_t l = { "reason", r->reason };

		if (i < m->n_reasons || (r == other && r->refusals > 0))
			vlt__prom_sample_u64(p, "valet_refusals_total", &l, 1, r->refusals);
	}
	vlt__prom_family(p, "valet_refused_hosts_total", "counter",
			 "Hosts or pools ruled out for each reason, summed over the refusals.");
	for (size_t i = 0; i <= VLT_SVC_MAX_REASONS; i++) {
		const vlt_svc_reason_stats_t *r = &m->reasons[i];
		vlt_prom_label_t l = { "reason", r->reason };

		if (i < m->n_reasons || (r == other && r->refusals > 0))
			vlt__prom_sample_u64(p, "valet_refused_hosts_total", &l, 1, r->hosts);
	}
}

static void write_sources(vlt_service_t *s, vlt_prom_t *p)
{
	vlt__prom_family(p, "valet_sources_age_seconds", "gauge",
			 "How long ago the data center in use was read from the sources.");
	vlt__prom_sample(p, "valet_sources_age_seconds", NULL, 0,
			 (double)(vlt__svc_now_ms(s) - s->sources_ok_ms) / 1e3);
	vlt__prom_family(p, "valet_sources_up", "gauge",
			 "1 when the last reading of the sources succeeded, else 0.");
	vlt__prom_sample(p, "valet_sources_up", NULL, 0, s->sources_error[0] == '\0');
	vlt__prom_family(p, "valet_sources_refreshes_total", "counter",
			 "Readings of the sources that put a new data center in use.");
	vlt__prom_sample_u64(p, "valet_sources_refreshes_total", NULL, 0, s->n_refreshed);
	vlt__prom_family(p, "valet_sources_refresh_errors_total", "counter",
			 "Readings of the sources that failed (the data center in use stayed).");
	vlt__prom_sample_u64(p, "valet_sources_refresh_errors_total", NULL, 0,
			     s->n_refresh_failed);
	if (s->last_read_ms < 0)
		return; /* no refresh yet: no duration to show */
	vlt__prom_family(p, "valet_sources_read_duration_seconds", "gauge",
			 "How long the last successful refresh took to read the sources.");
	vlt__prom_sample(p, "valet_sources_read_duration_seconds", NULL, 0,
			 s->last_read_ms / 1e3);
	vlt__prom_family(p, "valet_sources_swap_duration_seconds", "gauge",
			 "How long the last successful refresh held the service's lock to put "
			 "the new data center in use and hold every plan again.");
	vlt__prom_sample(p, "valet_sources_swap_duration_seconds", NULL, 0,
			 s->last_swap_ms / 1e3);
}

/* Snapshots of the journal (snapshot.c), under the lock. */
static void write_snapshots(vlt_service_t *s, vlt_prom_t *p)
{
	vlt__prom_family(p, "valet_snapshots_total", "counter",
			 "Snapshots of the state this valetd wrote to the store.");
	vlt__prom_sample_u64(p, "valet_snapshots_total", NULL, 0, s->n_snapshots);
	vlt__prom_family(p, "valet_snapshot_errors_total", "counter",
			 "Snapshots this valetd could not write.");
	vlt__prom_sample_u64(p, "valet_snapshot_errors_total", NULL, 0, s->n_snapshot_failed);
	vlt__prom_family(p, "valet_snapshot_entry", "gauge",
			 "The journal entry of the newest snapshot this valetd knows of (0: none).");
	vlt__prom_sample_u64(p, "valet_snapshot_entry", NULL, 0, s->snap_seq);
	if (s->n_snapshots == 0)
		return; /* no duration to show */
	vlt__prom_family(p, "valet_snapshot_duration_seconds", "gauge",
			 "How long the last snapshot took: copying, writing and compacting.");
	vlt__prom_sample(p, "valet_snapshot_duration_seconds", NULL, 0, s->snap_last_ms / 1e3);
	vlt__prom_family(p, "valet_snapshot_copy_duration_seconds", "gauge",
			 "How long the last snapshot held the service's lock to copy the state.");
	vlt__prom_sample(p, "valet_snapshot_copy_duration_seconds", NULL, 0,
			 s->snap_copy_ms / 1e3);
}

static void write_counters(const vlt_svc_metrics_t *m, vlt_prom_t *p)
{
	vlt__prom_family(p, "valet_plans_created_total", "counter",
			 "Plans created through POST /v1/plans by this valetd.");
	vlt__prom_sample_u64(p, "valet_plans_created_total", NULL, 0,
			     vlt__prom_get(&m->plans_created));
	vlt__prom_family(p, "valet_plans_deleted_total", "counter",
			 "Plans deleted through DELETE /v1/plans/{id} by this valetd.");
	vlt__prom_sample_u64(p, "valet_plans_deleted_total", NULL, 0,
			     vlt__prom_get(&m->plans_deleted));
	vlt__prom_family(p, "valet_reservations_total", "counter",
			 "Placements reserved or replanned through POST /v1/placements/{id} by "
			 "this valetd.");
	vlt__prom_sample_u64(p, "valet_reservations_total", NULL, 0,
			     vlt__prom_get(&m->reservations));
}

void vlt__service_write_metrics(vlt_service_t *s, vlt_prom_t *p)
{
	write_counters(&s->metrics, p);
	pthread_mutex_lock(&s->lock);
	write_state(s, p);
	write_capacity(s, p);
	write_solvers(&s->metrics, p);
	write_reasons(&s->metrics, p);
	write_sources(s, p);
	write_snapshots(s, p);
	pthread_mutex_unlock(&s->lock);
	vlt__store_stats_write(&s->journal.stats, p);
	vlt__svc_lease_write_metrics(s, p);
}
