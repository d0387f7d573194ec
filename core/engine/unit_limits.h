/*
 * unit_limits.h - Placement's per-allocation limits (an inventory's min_unit,
 * max_unit and step_size) against what a server asks, with Placement's
 * own rule: an amount of 0 asks nothing; any other must be at least
 * min_unit, at most max_unit and a multiple of step_size (0: no limit).
 */
#ifndef VALET_CORE_UNIT_LIMITS_H
#define VALET_CORE_UNIT_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <valet/core.h>
#include <valet/model.h>

typedef enum vlt_limit_fault {
	VLT_LIMIT_OK = 0,
	VLT_LIMIT_MIN,  /* below min_unit */
	VLT_LIMIT_MAX,  /* above max_unit */
	VLT_LIMIT_STEP, /* not a multiple of step_size */
} vlt_limit_fault_t;

/* The limit an amount d of one class breaks (0 breaks none). */
vlt_limit_fault_t vlt__limit_fault(const vlt_unit_limits_t *lim, int64_t d);
/* As vlt__limits_describe, for an amount of the class called name. */
void vlt__limit_describe(vlt_limit_fault_t fault, const char *name, int64_t amount,
			 const vlt_unit_limits_t *lim, bool label, char *buf, size_t n);
/* The first limit demand breaks (resources in model order), its resource in *res. */
vlt_limit_fault_t vlt__limits_fault(const vlt_unit_limits_t lim[VLT_RES_COUNT],
				    const int64_t demand[VLT_RES_COUNT], int *res);
/*
 * fault on resource res in words, into buf: a sentence ("vcpus 3 is not a
 * multiple of step_size 2"), or with label a reason that hosts refusing
 * alike share, for counting ("with step_size 2 of vcpus (asks 3)").
 */
void vlt__limits_describe(vlt_limit_fault_t fault, int res, const int64_t demand[VLT_RES_COUNT],
			  const vlt_unit_limits_t lim[VLT_RES_COUNT], bool label, char *buf,
			  size_t n);
/*
 * vlt__limits_refusal - may some host of dc ever take a server of flavor
 * (demand), as far as the limits say? When none may (and dc has hosts),
 * buf gets why, naming the flavor and the limit, e.g. "flavor 'm1.huge'
 * asks 32 vcpus, above max_unit 16 of every host". RET true when refused.
 */
bool vlt__limits_refusal(const vlt_dc_t *dc, const char *flavor,
			 const int64_t demand[VLT_RES_COUNT], char *buf, size_t n);

#endif /* VALET_CORE_UNIT_LIMITS_H */
