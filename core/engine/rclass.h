/*
 * rclass.h - resource classes beyond the model's three: Placement's names
 * for them, and what a flavor asks of each, read the way Nova reads its
 * extra specs (nova.scheduler.utils.ResourceRequest.from_request_spec).
 */
#ifndef VALET_CORE_RCLASS_H
#define VALET_CORE_RCLASS_H

#include <stdbool.h>
#include <stdint.h>

#include <valet/model.h>

/* Placement's name of a model resource: "VCPU", "MEMORY_MB", "DISK_GB" (static storage). */
const char *vlt__rclass_slot_name(vlt_res_t r);
/* The model resource a class name is (VCPU, MEMORY_MB, DISK_GB); -1 for any other name. */
int vlt__rclass_slot(const char *name);
/* Is name a resource class: one of Placement's standard ones or CUSTOM_[A-Z0-9_]+? */
bool vlt__rclass_name_ok(const char *name);

/* An amount of a class by name; name borrowed from a spec's key. */
typedef struct vlt_rclass_ask {
	const char *name;
	int64_t amount;
} vlt_rclass_ask_t;

/*
 * vlt__rclass_read_specs - a flavor's resources[$S]:CLASS=N extra specs,
 * Nova's way: amounts of one class in several groups add up; VCPU,
 * MEMORY_MB and DISK_GB named there replace demand's (the flavor's own
 * figures), and naming PCPU drops the flavor's VCPU; N = 0 asks none.
 * Specs Nova ignores (a name that is no resource class, an amount that
 * is not a whole number of at least 0) are ignored.
 * OUT asks (room for n, or NULL when not wanted) - the other classes
 * with a nonzero amount, names borrowed from specs.
 * RET how many asks.
 */
uint32_t vlt__rclass_read_specs(const vlt_kv_t *specs, uint32_t n,
				int64_t demand[VLT_RES_COUNT], vlt_rclass_ask_t *asks);

#endif /* VALET_CORE_RCLASS_H */
