/*
 * blazar.h - Blazar's leases (OpenStack's reservation service, API 1.0)
 * translated into Valet reservations and back (docs/blazar.md).
 *
 * Pure JSON in, JSON out, no I/O and no lock: api_leases.c reads the
 * request, asks the service, and uses these to speak Blazar on one side
 * and the reservation request (docs/reservations.md) on the other.
 *
 * A lease is ONE Valet reservation (its stack id is the lease id): every
 * reservation of the lease is placed holistically with the others. What
 * Blazar shows that Valet's reservation does not keep (the lease's name,
 * its reservations' ids and parameters, the before-end date, the events'
 * ids) travels as the request's top-level member "lease", the lease's
 * record below, which the plan parser ignores and the journal keeps with
 * the request.
 *
 * The record: {"id", "name", "created_ms", "before_end_ms" (null: Blazar's
 * default, an hour before the end), "events": {"start_lease": id,
 * "end_lease": id, "before_end_lease": id}, "reservations": [{"id",
 * "resource_type": "virtual:instance", "amount", "vcpus", "memory_mb",
 * "disk_gb", "affinity": true|false|null} | {"id", "resource_type":
 * "physical:host", "min", "max", "hypervisor_properties" (Blazar's
 * string), "before_end"}]}.
 */
#ifndef VALET_CORE_BLAZAR_H
#define VALET_CORE_BLAZAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <valet/errors.h>

#define VLT_BLAZAR_INSTANCE "virtual:instance"
#define VLT_BLAZAR_HOST "physical:host"
/* The record's member in the reservation request. */
#define VLT_BLAZAR_MEMBER "lease"
/* Blazar's default for before_end_lease: this long before the end (its minutes_before_end_lease). */
#define VLT_BLAZAR_BEFORE_END_MS (60 * 60 * 1000)

/* A fresh random id (a version 4 uuid, 36 characters and the NUL) into buf. */
typedef void (*vlt_blazar_uuid_fn)(char *buf);

/*
 * vlt__blazar_time_parse - a date of a lease body: "now" (when now_ms is
 * not INT64_MIN), "YYYY-MM-DD HH:MM" (what the client sends), with
 * ":SS" too, or Blazar's "YYYY-MM-DDTHH:MM:SS[.ffffff][Z]", all UTC.
 * where names it in the error ("$.start_date"). RET 0 or VLT_EINVAL.
 */
int vlt__blazar_time_parse(const char *text, int64_t now_ms, const char *where, int64_t *ms,
			   vlt_err_t *err);
/* ms since the epoch as Blazar writes dates, "2017-12-26T12:00:00.000000" (buf >= 32 bytes). */
void vlt__blazar_time_format(int64_t ms, char *buf, size_t size);

/*
 * vlt__blazar_lease_parse - check a POST /v1/leases body (Blazar's
 * fields; docs/blazar.md lists what is refused) and make the lease's
 * record, with new ids from uuid. *start_ms and *end_ms receive the
 * lease's window ("now" is now_ms). RET 0 with *record (new reference),
 * or VLT_EINVAL naming the member, nothing made.
 */
int vlt__blazar_lease_parse(const json_t *body, int64_t now_ms, vlt_blazar_uuid_fn uuid,
			    json_t **record, int64_t *start_ms, int64_t *end_ms, vlt_err_t *err);

/*
 * vlt__blazar_lease_change - apply a PUT /v1/leases/<id> body (name,
 * start_date, end_date, before_end_date, reservations by id with their
 * new amount, vcpus, memory_mb, disk_gb, affinity, min, max,
 * hypervisor_properties) to record, the lease's window being
 * [*start_ms, *end_ms), which receive the new one. Blazar's rules: a
 * started lease keeps its start; the end stays in the future and after
 * the start. RET 0 with *changed (new reference), or VLT_EINVAL /
 * VLT_ENOENT (an unknown reservation id) naming the member, nothing
 * changed.
 */
int vlt__blazar_lease_change(const json_t *record, const json_t *body, int64_t now_ms,
			     json_t **changed, int64_t *start_ms, int64_t *end_ms, vlt_err_t *err);

/*
 * vlt__blazar_host_matches - does a host's properties object (what
 * vlt__blazar_host_properties makes) satisfy hypervisor_properties,
 * Blazar's filter: "" or [] (any host), ["<op>", "$<property>", "<value>"]
 * with op one of == = != < <= > >=, or ["and", filter...]? Numbers compare
 * as numbers, other values as strings; a property the host lacks fails.
 * RET 0 with *match, or VLT_EINVAL naming where the filter is malformed.
 */
int vlt__blazar_host_matches(const char *hypervisor_properties, const json_t *props, bool *match,
			     vlt_err_t *err);
/*
 * The properties a filter may name for a host ({"name", "vcpus",
 * "ram_mb", "disk_gb" (what a reservation would hold), "total"?: {the
 * same three, the hardware's}, "zone"?, "rack"?}): vcpus, memory_mb,
 * local_gb (the hardware's when given), hypervisor_hostname,
 * availability_zone, rack.
 * RET a new reference or NULL (out of memory).
 */
json_t *vlt__blazar_host_properties(const json_t *host);

/*
 * vlt__blazar_pick_hosts - the hosts of a physical:host reservation res
 * (of the record) among free, the hosts wholly free over the lease's
 * window ({"name", "vcpus", "ram_mb", "disk_gb", ...}, in the order to
 * prefer), not in taken (an object: host name -> true, the lease's other
 * host reservations'): those matching its hypervisor_properties, up to
 * max. RET 0 with *picked (new array of borrowed-then-copied host
 * objects), VLT_ENOPLACE when fewer than min match (saying how many),
 * VLT_EINVAL for a malformed filter.
 */
int vlt__blazar_pick_hosts(const json_t *res, const json_t *free, const json_t *taken,
			   json_t **picked, vlt_err_t *err);

/*
 * vlt__blazar_request - the reservation request of a lease: its record,
 * window (RFC 3339 texts, or "now"), project, and for each physical:host
 * reservation the hosts picked for it (hosts: reservation id -> array of
 * host objects). An instance reservation becomes `amount` servers of an
 * inline flavor in an affinity (true) or diversity (false) group at host
 * level, or none (null); a host reservation one server per host, pinned
 * there, of a flavor of the host's whole capacity. RET 0 with *request
 * (new reference) or VLT_EINVAL / VLT_ENOMEM.
 */
int vlt__blazar_request(const json_t *record, const char *start, const char *end,
			const char *project, const json_t *hosts, json_t **request, vlt_err_t *err);

/*
 * vlt__blazar_lease_doc - Blazar's lease document of a Valet reservation
 * (GET /v1/reservations/<id>'s "reservation": id, project, start, end,
 * status, placements) and its record: the lease's status from the
 * reservation's (pending: PENDING, or STARTING once now_ms passed the
 * start; active: ACTIVE, or TERMINATING once past the end; ended:
 * TERMINATED; anything else ERROR), its reservations' and events'. RET a
 * new reference or NULL (out of memory).
 */
json_t *vlt__blazar_lease_doc(const json_t *record, const json_t *reservation, int64_t now_ms);

/*
 * vlt__blazar_error_body - Blazar's error document, {"error_code":
 * status, "error_message": message, "error_name": status}, as its API
 * renders a refusal. RET a new reference or NULL.
 */
json_t *vlt__blazar_error_body(int status, const char *message);

#endif /* VALET_CORE_BLAZAR_H */
