/*
 * http_stats.h - what valetd's HTTP server counts for GET /metrics:
 * requests per route (the route's pattern, never the raw path, so the
 * series stay few), method and status, and a latency histogram per route
 * and method.
 *
 * Counting is atomic (prom.h): any pool thread counts without a lock.
 */
#ifndef VALET_CORE_HTTP_STATS_H
#define VALET_CORE_HTTP_STATS_H

#include <stddef.h>

#include "http.h"
#include "prom.h"

typedef struct vlt_http_stats vlt_http_stats_t;

/* New stats for routes (borrowed for the stats' life); NULL when out of memory. */
vlt_http_stats_t *vlt__http_stats_new(const vlt_http_route_t *routes, size_t n_routes);
void vlt__http_stats_free(vlt_http_stats_t *s);
/*
 * Count one answered request: route is its index in the table, or -1 when
 * no route answered it (unknown path, OPTIONS, a method not allowed, a body
 * refused before routing); method as the client sent it; seconds from its
 * first byte to its answer being queued.
 */
void vlt__http_stats_note(vlt_http_stats_t *s, int route, const char *method, int status,
			  double seconds);
/* valet_http_requests_total and valet_http_request_duration_seconds. */
void vlt__http_stats_write(const vlt_http_stats_t *s, vlt_prom_t *p);

#endif /* VALET_CORE_HTTP_STATS_H */
