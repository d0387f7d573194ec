/*
 * policy_cases.h - table-driven runners shared by the policy tests: filter
 * cases (occupancy, question, expected verdict and reason) and validate
 * cases (group, tenant, expected code and message), run against a policy
 * module through its ops table and the fake core (fake_core.h) with its
 * hand-built cycle (fake_cycle.h).
 */
#ifndef VALET_TESTS_POLICY_CASES_H
#define VALET_TESTS_POLICY_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <valet/policy.h>

#include "fake_cycle.h"

#define CASES_MAX_PLACED 8

/*
 * One unit already placed: a server on host with fake-group mask
 * (FG(g) | ...), written SRV(host, mask); or a volume, written VOL().
 */
struct placed {
	uint32_t host; /* a volume's pool */
	uint64_t mask;
	bool volume;
	uint32_t unit; /* a volume's unit in the stack, VLT_NONE: an earlier plan's */
};

#define SRV(host, mask) { (host), (mask), false, VLT_NONE }
#define VOL(pool, mask, unit) { (pool), (mask), true, (unit) }

struct filter_case {
	const char *name;
	uint32_t n_placed;
	struct placed placed[CASES_MAX_PLACED];
	uint32_t unit;   /* the unit asked about */
	vlt_level_t lvl; /* the question: level and domain */
	uint32_t dom;
	int want;        /* VLT_PASS or VLT_REJECT */
	const char *why; /* the exact reason expected with VLT_REJECT */
};

/*
 * run_filter_cases - for each case: a fresh fake cycle over stack with the
 * case's servers placed, then the policy's filter. Also checks that the
 * policy's prefilter never says SKIP for a unit that filter rejects (the
 * core would then never ask), and that filter does not write a reason when
 * it passes. Fails the test naming the case.
 */
void run_filter_cases(const vlt_policy_ops_t *ops, uint32_t self_id, const vlt_stack_t *stack,
		      const struct filter_case *cases, size_t n_cases);

struct validate_case {
	const char *name;
	uint32_t group;
	const char *tenant; /* the request's tenant_id (NULL: unknown) */
	int want;           /* VLT_OK, VLT_EINVAL, VLT_EFORBIDDEN */
	const char *msg;    /* the exact message expected on failure */
};

/* Run validate on a copy of stack whose tenant_id is each case's tenant. */
void run_validate_cases(const vlt_policy_ops_t *ops, uint32_t self_id, const vlt_stack_t *stack,
			const struct validate_case *cases, size_t n_cases);

/*
 * run_built_module_cases - open the built policy_<name>.so through the
 * loader's checks (built_module.h), run the filter cases through the ops
 * it exports, and check that its fini accepts NULL; fails the test when
 * the loader refuses it.
 */
void run_built_module_cases(const char *name, uint32_t self_id, const vlt_stack_t *stack,
			    const struct filter_case *cases, size_t n_cases);

/*
 * policy_start - init through the ops table, with a new fake core whose
 * self_id is self_id and whose cycle callbacks are fake_cycle's; fails the
 * test on error. OUT *fc - the core, owned by the caller (policy_stop).
 * RET the policy's state.
 */
void *policy_start(const vlt_policy_ops_t *ops, uint32_t self_id, fake_core_t **fc);
/* fini the state, then free the core it used. */
void policy_stop(const vlt_policy_ops_t *ops, void *state, fake_core_t *fc);

#define N_CASES(a) (sizeof(a) / sizeof((a)[0]))

#endif /* VALET_TESTS_POLICY_CASES_H */
