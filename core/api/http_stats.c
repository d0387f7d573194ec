/*
 * http_stats.c - requests and latency per route and method (see
 * http_stats.h). Every series is a fixed slot allocated at start, so
 * counting is two atomic adds and never allocates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_stats.h"

/* The statuses counted one by one; any other is counted as "other". */
static const int statuses[] = { 200, 201, 202, 204, 301, 302, 304, 400, 401, 403, 404,
				405, 406, 409, 411, 413, 415, 500, 501, 502, 503, 504 };
#define N_STATUSES (sizeof(statuses) / sizeof(statuses[0]))

/* The methods counted one by one (the route bits' order); any other is "other". */
static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
				       "OPTIONS" };
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))
/* methods[i] for i below this is the route bit 1 << i (VLT_HTTP_GET ... VLT_HTTP_PATCH) */
#define N_ROUTE_METHODS 6

struct series {
	vlt_prom_counter_t by_status[N_STATUSES + 1]; /* last: other */
	vlt_prom_hist_t latency;
};

/* A route's series: one per method, and one for the methods not listed. */
struct route_stats {
	struct series by_method[N_METHODS + 1];
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
		for (size_t m = 0; m <= N_METHODS; m++)
			vlt__prom_hist_init(&s->per_route[i].by_method[m].latency,
					    vlt_prom_latency_bounds, vlt_prom_n_latency_bounds);
	return s;
}

void vlt__http_stats_free(vlt_http_stats_t *s)
{
	if (s == NULL)
		return;
	free(s->per_route);
	free(s);
}

static size_t method_slot(const char *method)
{
	size_t m = 0;

	while (m < N_METHODS && (method == NULL || strcmp(methods[m], method) != 0))
		m++;
	return m;
}

static size_t status_slot(int status)
{
	size_t k = 0;

	while (k < N_STATUSES && statuses[k] != status)
		k++;
	return k;
}

void vlt__http_stats_note(vlt_http_stats_t *s, int route, const char *method, int status,
			  double seconds)
{
	if (s == NULL)
		return;
	size_t r = route >= 0 && (size_t)route < s->n_routes ? (size_t)route : s->n_routes;
	struct series *se = &s->per_route[r].by_method[method_slot(method)];

	vlt__prom_add(&se->by_status[status_slot(status)], 1);
	vlt__prom_hist_observe(&se->latency, seconds);
}

static uint64_t series_count(const struct series *se)
{
	uint64_t n = 0;

	for (size_t k = 0; k <= N_STATUSES; k++)
		n += vlt__prom_get(&se->by_status[k]);
	return n;
}

/*
 * Is (route i, method m) shown? Always for a method the route declares
 * (HEAD too where it has GET), so that its series exist before traffic;
 * otherwise once counted.
 */
static bool shown(const vlt_http_stats_t *s, size_t i, size_t m)
{
	unsigned bits = i < s->n_routes ? s->routes[i].methods : 0;

	if (bits & VLT_HTTP_GET)
		bits |= VLT_HTTP_HEAD;
	return (m < N_ROUTE_METHODS && (bits & (1u << m)) != 0) ||
	       series_count(&s->per_route[i].by_method[m]) > 0;
}

static void labels_of(const vlt_http_stats_t *s, size_t i, size_t m, vlt_prom_label_t *l)
{
	l[0] = (vlt_prom_label_t){ "method", m < N_METHODS ? methods[m] : "other" };
	l[1] = (vlt_prom_label_t){ "route", i < s->n_routes ? s->routes[i].pattern : "unmatched" };
}

void vlt__http_stats_write(const vlt_http_stats_t *s, vlt_prom_t *p)
{
	vlt_prom_label_t l[3];
	char code[16];

	vlt__prom_family(p, "valet_http_requests_total", "counter",
			 "HTTP requests answered, by route (its pattern; \"unmatched\" when no "
			 "route answered), method and status code.");
	for (size_t i = 0; s != NULL && i <= s->n_routes; i++)
		for (size_t m = 0; m <= N_METHODS; m++) {
			const struct series *se = &s->per_route[i].by_method[m];

			labels_of(s, i, m, l);
			for (size_t k = 0; k <= N_STATUSES; k++) {
				uint64_t n = vlt__prom_get(&se->by_status[k]);

				if (n == 0)
					continue;
				if (k < N_STATUSES)
					snprintf(code, sizeof(code), "%d", statuses[k]);
				else
					snprintf(code, sizeof(code), "other");
				l[2] = (vlt_prom_label_t){ "code", code };
				vlt__prom_sample_u64(p, "valet_http_requests_total", l, 3, n);
			}
		}
	vlt__prom_family(p, "valet_http_request_duration_seconds", "histogram",
			 "Time from a request's first byte to its answer, by route and method.");
	for (size_t i = 0; s != NULL && i <= s->n_routes; i++)
		for (size_t m = 0; m <= N_METHODS; m++) {
			if (!shown(s, i, m))
				continue;
			labels_of(s, i, m, l);
			vlt__prom_histogram(p, "valet_http_request_duration_seconds", l, 2,
					    &s->per_route[i].by_method[m].latency);
		}
}
