/*
 * unit_limits.c - Placement's min_unit, max_unit and step_size, the way its
 * allocation check reads them, and the words an operator gets when a
 * flavor breaks them.
 */
#include <stdbool.h>
#include <stdio.h>

#include "dc.h"
#include "unit_limits.h"

static const char *const res_names[VLT_RES_COUNT] = { "vcpus", "ram_mb", "disk_gb" };

vlt_limit_fault_t vlt__limit_fault(const vlt_unit_limits_t *lim, int64_t d)
{
	if (d == 0) /* a request for none of a class does not ask for it */
		return VLT_LIMIT_OK;
	if (lim->min_unit > 0 && d < lim->min_unit)
		return VLT_LIMIT_MIN;
	if (lim->max_unit > 0 && d > lim->max_unit)
		return VLT_LIMIT_MAX;
	if (lim->step_size > 0 && d % lim->step_size != 0)
		return VLT_LIMIT_STEP;
	return VLT_LIMIT_OK;
}

vlt_limit_fault_t vlt__limits_fault(const vlt_unit_limits_t lim[VLT_RES_COUNT],
				    const int64_t demand[VLT_RES_COUNT], int *res)
{
	for (int r = 0; r < VLT_RES_COUNT; r++) {
		vlt_limit_fault_t f = vlt__limit_fault(&lim[r], demand[r]);

		if (f != VLT_LIMIT_OK) {
			*res = r;
			return f;
		}
	}
	return VLT_LIMIT_OK;
}

void vlt__limit_describe(vlt_limit_fault_t fault, const char *name, int64_t amount,
			 const vlt_unit_limits_t *lim, bool label, char *buf, size_t n)
{
	static const char *const field[] = { "", "min_unit", "max_unit", "step_size" };
	static const char *const relation[] = { "", "is below", "is above",
						"is not a multiple of" };
	const int64_t value[] = { 0, lim->min_unit, lim->max_unit, lim->step_size };

	if (fault == VLT_LIMIT_OK) {
		snprintf(buf, n, "within the limits");
		return;
	}
	if (label)
		snprintf(buf, n, "with %s %lld of %s (asks %lld)", field[fault],
			 (long long)value[fault], name, (long long)amount);
	else
		snprintf(buf, n, "%s %lld %s %s %lld", name, (long long)amount, relation[fault],
			 field[fault], (long long)value[fault]);
}

void vlt__limits_describe(vlt_limit_fault_t fault, int res, const int64_t demand[VLT_RES_COUNT],
			  const vlt_unit_limits_t lim[VLT_RES_COUNT], bool label, char *buf,
			  size_t n)
{
	vlt__limit_describe(fault, res_names[res], demand[res], &lim[res], label, buf, n);
}

/* Every host refuses the flavor for being above max_unit of one resource: the common case. */
static bool max_unit_everywhere(const vlt_dc_t *dc, const int64_t demand[VLT_RES_COUNT], int *res,
				int64_t *lo, int64_t *hi)
{
	for (uint32_t h = 0; h < dc->n_hosts; h++) {
		const vlt_unit_limits_t *lim = vlt__dc_host_limits(dc, h);
		int r = 0;

		if (vlt__limits_fault(lim, demand, &r) != VLT_LIMIT_MAX || (h > 0 && r != *res))
			return false;
		*res = r;
		*lo = h == 0 || lim[r].max_unit < *lo ? lim[r].max_unit : *lo;
		*hi = h == 0 || lim[r].max_unit > *hi ? lim[r].max_unit : *hi;
	}
	return true;
}

bool vlt__limits_refusal(const vlt_dc_t *dc, const char *flavor,
			 const int64_t demand[VLT_RES_COUNT], char *buf, size_t n)
{
	uint32_t first = VLT_NONE;
	int res = 0;
	int64_t lo = 0, hi = 0;

	if (dc == NULL || dc->n_hosts == 0)
		return false;
	for (uint32_t h = 0; h < dc->n_hosts; h++) {
		int r;

		if (vlt__limits_fault(vlt__dc_host_limits(dc, h), demand, &r) == VLT_LIMIT_OK)
			return false;
		if (first == VLT_NONE)
			first = h;
	}
	if (max_unit_everywhere(dc, demand, &res, &lo, &hi)) {
		if (lo == hi)
			snprintf(buf, n, "flavor '%s' asks %lld %s, above max_unit %lld of every host",
				 flavor, (long long)demand[res], res_names[res], (long long)hi);
		else
			snprintf(buf, n,
				 "flavor '%s' asks %lld %s, above max_unit of every host (%lld at "
				 "most)",
				 flavor, (long long)demand[res], res_names[res], (long long)hi);
		return true;
	}
	const vlt_unit_limits_t *lim = vlt__dc_host_limits(dc, first);
	vlt_limit_fault_t f = vlt__limits_fault(lim, demand, &res);
	char why[128];

	vlt__limits_describe(f, res, demand, lim, false, why, sizeof(why));
	if (dc->n_hosts == 1)
		snprintf(buf, n, "flavor '%s' fits the allocation limits of no host: %s on host %s",
			 flavor, why, dc->hosts[first].name);
	else
		snprintf(buf, n,
			 "flavor '%s' fits the allocation limits of no host: %s on host %s, and "
			 "each of the other %u hosts refuses it too",
			 flavor, why, dc->hosts[first].name, dc->n_hosts - 1);
	return true;
}
