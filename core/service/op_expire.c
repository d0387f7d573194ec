/*
 * op_expire.c - holds of unreserved servers expire: the sweep decides one
 * "expire" entry per plan with servers past their deadline, the entry
 * frees their capacity, and a thread sweeps now and then. Deadlines are
 * journal times (a unit's t_ms, from the service's clock, or the plan's
 * start when later) plus hold_ttl_s. A reservation's holds (a plan with
 * an end) do not expire: its end releases them (op_reservations.c).
 */
#include <stdlib.h>

#include "log.h"
#include "ops.h"
#include "timeline.h"

int vlt__apply_expire(void *svc, const json_t *e, bool decided_here, const char *where,
		      vlt_err_t *err)
{
	vlt_service_t *s = svc;
	vlt_svc_plan_t *p = vlt__svc_entry_plan(s, e, where, err);
	size_t i;
	json_t *o;
	(void)decided_here;

	if (p == NULL)
		return err->code;
	json_array_foreach(json_object_get(e, "orchs"), i, o) {
		vlt_svc_unit_t *u =
			json_is_string(o) ? vlt__state_unit_of(p, json_string_value(o)) : NULL;

		if (u != NULL && !u->reserved) {
			u->expired = true;
			free(u->loc);
			u->loc = NULL;
		}
	}
	vlt__svc_plan_hold(s, p, true, where, err);
	return 0;
}

struct sweep_ctx {
	int64_t now_ms;
	size_t n;
};

/* One plan's expired servers, as an entry; NULL when none is due. */
static json_t *due_entry(const vlt_service_t *s, const vlt_svc_plan_t *p, int64_t now_ms)
{
	json_t *orchs = NULL;

	if (p->end_ms != VLT_TIME_END)
		return NULL; /* held for its interval, whoever reserves it */
	for (size_t i = 0; i < p->n_units; i++) {
		const vlt_svc_unit_t *u = &p->units[i];
		/* a hold that starts later is unused only from then */
		int64_t from = u->t_ms > p->start_ms ? u->t_ms : p->start_ms;

		if (!u->server || u->reserved || u->expired ||
		    from + s->opts.hold_ttl_s * 1000 > now_ms)
			continue;
		if (orchs == NULL && (orchs = json_array()) == NULL)
			return NULL;
		json_array_append_new(orchs, json_string(u->orch));
	}
	if (orchs == NULL)
		return NULL;
	return json_pack("{s:s, s:s, s:o}", "op", "expire", "plan_id", p->id, "orchs", orchs);
}

static int decide_sweep(vlt_service_t *s, void *arg, json_t **entry, bool *engine_done,
			vlt_err_t *err)
{
	struct sweep_ctx *c = arg;
	(void)engine_done;
	(void)err;

	for (vlt_svc_plan_t *p = s->st.first; p != NULL; p = p->next) {
		json_t *e = due_entry(s, p, c->now_ms);

		if (e != NULL) {
			c->n += json_array_size(json_object_get(e, "orchs"));
			*entry = e;
			return 0;
		}
	}
	return 1;
}

int vlt__service_sweep(vlt_service_t *s, int64_t now_ms, size_t *n_expired, vlt_err_t *err)
{
	struct sweep_ctx c = { now_ms, 0 };
	int rc = 0;

	if (s->opts.hold_ttl_s > 0) {
		/* one entry per plan, each written against the latest journal */
		for (;;) {
			size_t before = c.n;

			rc = vlt__svc_write(s, decide_sweep, NULL, NULL, &c, err);
			if (rc < 0 || c.n == before)
				break;
		}
	}
	if (n_expired != NULL)
		*n_expired = c.n;
	if (c.n > 0)
		vlt__log(NULL, VLT_LOG_INFO, "holds expired: %zu unreserved servers", c.n);
	return rc;
}

static void sweep_now(vlt_service_t *s)
{
	vlt_err_t err = { 0 };

	if (vlt__service_sweep(s, vlt__svc_now_ms(s), NULL, &err) < 0)
		vlt__log(NULL, VLT_LOG_WARNING, "expiring holds: %s", err.msg);
}

int vlt__service_sweeper_start(vlt_service_t *s, unsigned period_ms, vlt_err_t *err)
{
	if (s->opts.hold_ttl_s <= 0)
		return 0;
	if (period_ms == 0) {
		/* a quarter of the hold, between 100 ms and 10 s */
		int64_t q = s->opts.hold_ttl_s * 250;
		period_ms = (unsigned)(q < 100 ? 100 : q > 10000 ? 10000 : q);
	}
	s->sweeper.leased = true; /* among several valetd, the lease's holder expires holds */
	return vlt__svc_ticker_start(s, &s->sweeper, period_ms, sweep_now, "sweeper", err);
}
