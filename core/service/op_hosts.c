/*
 * op_hosts.c - the hosts nothing is held on over a window, for
 * reservations of whole hosts (Blazar's physical:host, docs/blazar.md):
 * the engine's answer (vlt__engine_hosts_over) on the caught-up state,
 * as JSON the API can keep after the lock is released.
 */
#include <stdlib.h>

#include <jansson.h>

#include "service.h"
#include "service_int.h"

/* One vacant host: what it has free over the window, its hardware, zone and rack. */
static json_t *host_json(const vlt_dc_t *dc, const vlt_host_t *h, const vlt_host_window_t *w)
{
	const char *rack = h->rack < dc->n_racks ? dc->racks[h->rack].name : NULL;

	return json_pack("{s:s, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:s?, s:s?}", "name", h->name,
			 "vcpus", (json_int_t)w->free[VLT_RES_VCPUS], "ram_mb",
			 (json_int_t)w->free[VLT_RES_RAM_MB], "disk_gb",
			 (json_int_t)w->free[VLT_RES_DISK_GB], "total", "vcpus",
			 (json_int_t)h->total[VLT_RES_VCPUS], "ram_mb",
			 (json_int_t)h->total[VLT_RES_RAM_MB], "disk_gb",
			 (json_int_t)h->total[VLT_RES_DISK_GB], "zone", h->az, "rack", rack);
}

static json_t *vacant_hosts(const vlt_dc_t *dc, const vlt_host_window_t *w)
{
	json_t *out = json_array();

	for (uint32_t i = 0; out != NULL && i < dc->n_hosts; i++) {
		if (w[i].vacant && json_array_append_new(out, host_json(dc, &dc->hosts[i], &w[i])) != 0) {
			json_decref(out);
			out = NULL;
		}
	}
	return out;
}

int vlt__service_hosts_over(vlt_service_t *s, int64_t start_ms, int64_t end_ms, json_t **hosts,
			    vlt_err_t *err)
{
	vlt_interval_t iv = { start_ms, end_ms };
	vlt_host_window_t *w = NULL;
	int rc = vlt__svc_read_begin(s, err);

	if (rc < 0)
		return rc;
	rc = vlt__engine_hosts_over(s->engine, &iv, &w, err);
	if (rc == 0 && (*hosts = vacant_hosts(vlt__engine_dc(s->engine), w)) == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	vlt__svc_read_end(s);
	free(w);
	return rc;
}
