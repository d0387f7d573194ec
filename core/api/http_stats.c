/*
 * http_stats.c - requests and latency per route (see http_stats.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "http_stats.h"

/* Statuses are counted exactly, 100 to 599; anything else goes to 599's "other" slot. */
#define STATUS_MIN 100
#define STATUS_SLOTS 500

struct route_stats {
	vlt_prom_counter_t by_status[STATUS_SLOTS];
	vlt_prom_hist_t latency;
};

struct vlt_http_stats {
	const vlt_http_route_t *routes;
	size_t n_routes;
	struct route_stats *per_route; /* n_routes + 1: the last is "no route" */
};

vlt_http_stats_t *vlt__http_stats_new(const vlt_http_route_t *routes, size_t n_routes)
{
	vlt_http_stats_t *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->per_route = calloc(n_routes + 1, sizeof(*s->per_route));
	if (s->per_route == NULL) {
		free(s);
		return NULL;
	}
	s->routes = routes;
	s->n_routes = n_routes;
	for (size_t i = 0; i <= n_routes; i++)
		vlt__prom_hist_init(&s->per_route[i].latency, vlt_prom_latency_bounds,
				    vlt_prom_n_latency_bounds);
	return s;
}

void vlt__http_stats_free(vlt_http_stats_t *s)
{
	if (s == NULL)
		return;
	free(s->per_route);
	free(s);
}

void vlt__http_stats_note(vlt_http_stats_t *s, int route, int status, double seconds)
{
	if (s == NULL)
		return;
	struct route_stats *r = &s->per_route[route >= 0 && (size_t)route < s->n_routes
						      ? (size_t)route
						      : s->n_routes];
	size_t slot = status >= STATUS_MIN && status < STATUS_MIN + STATUS_SLOTS
			      ? (size_t)(status - STATUS_MIN)
			      : STATUS_SLOTS - 1;

	vlt__prom_add(&r->by_status[slot], 1);
	vlt__prom_hist_observe(&r->latency, seconds);
}

static const char *method_name(unsigned methods)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ VLT_HTTP_GET, "GET" },       { VLT_HTTP_HEAD, "HEAD" }, { VLT_HTTP_POST, "POST" },
		{ VLT_HTTP_PUT, "PUT" },       { VLT_HTTP_DELETE, "DELETE" },
		{ VLT_HTTP_PATCH, "PATCH" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (methods & names[i].bit)
			return names[i].name;
	return "other";
}

/* route and method labels of entry i (the last: requests no route answered). */
static void route_labels(const vlt_http_stats_t *s, size_t i, vlt_prom_label_t *l)
{
	l[0] = (vlt_prom_label_t){ "method", i < s->n_routes ? method_name(s->routes[i].methods)
							     : "any" };
	l[1] = (vlt_prom_label_t){ "route", i < s->n_routes ? s->routes[i].pattern : "unmatched" };
}

void vlt__http_stats_write(const vlt_http_stats_t *s, vlt_prom_t *p)
{
	vlt_prom_label_t l[3];
	char code[8];

	vlt__prom_family(p, "valet_http_requests_total", "counter",
			 "HTTP requests answered, by route (its pattern), method and status.");
	for (size_t i = 0; s != NULL && i <= s->n_routes; i++) {
		route_labels(s, i, l);
		for (size_t k = 0; k < STATUS_SLOTS; k++) {
			uint64_t n = vlt__prom_get(&s->per_route[i].by_status[k]);

			if (n == 0)
				continue;
			if (k == STATUS_SLOTS - 1)
				snprintf(code, sizeof(code), "other");
			else
				snprintf(code, sizeof(code), "%zu", k + STATUS_MIN);
			l[2] = (vlt_prom_label_t){ "code", code };
			vlt__prom_sample_u64(p, "valet_http_requests_total", l, 3, n);
		}
	}
	vlt__prom_family(p, "valet_http_request_duration_seconds", "histogram",
			 "Time from a request's first byte to its answer, by route and method.");
	for (size_t i = 0; s != NULL && i <= s->n_routes; i++) {
		route_labels(s, i, l);
		vlt__prom_histogram(p, "valet_http_request_duration_seconds", l, 2,
				    &s->per_route[i].latency);
	}
}
