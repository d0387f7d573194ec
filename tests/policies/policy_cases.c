/*
 * policy_cases.c - the table runners of policy_cases.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "built_module.h"
#include "policy_cases.h"

#define UNTOUCHED "(untouched)"

void *policy_start(const vlt_policy_ops_t *ops, uint32_t self_id, fake_core_t **fc)
{
	void *state = NULL;
	vlt_err_t err = { 0 };

	*fc = fake_core_new();
	fake_core_table(*fc)->self_id = self_id;
	fake_cycle_attach(*fc);
	int rc = ops->init(fake_core_api(*fc), &state, &err);
	if (rc != VLT_OK)
		fail_msg("%s: init failed: %d %s", ops->info.name, rc, err.msg);
	assert_non_null(state);
	return state;
}

void policy_stop(const vlt_policy_ops_t *ops, void *state, fake_core_t *fc)
{
	ops->fini(state);
	fake_core_free(fc);
}

static const char *verdict_name(int v)
{
	switch (v) {
	case VLT_PASS:
		return "PASS";
	case VLT_REJECT:
		return "REJECT";
	case VLT_SKIP:
		return "SKIP";
	default:
		return "error";
	}
}

static void run_filter_case(const vlt_policy_ops_t *ops, void *state, const vlt_stack_t *stack,
			    const struct filter_case *c)
{
	vlt_cycle_t *cy = fake_cycle_new(stack);
	char why[128] = UNTOUCHED;

	for (uint32_t i = 0; i < c->n_placed; i++) {
		const struct placed *p = &c->placed[i];
		if (p->volume)
			fake_cycle_place_volume(cy, p->unit, p->host, p->mask);
		else
			fake_cycle_place(cy, p->host, p->mask);
	}

	int got = ops->filter(state, cy, c->unit, c->lvl, c->dom, why, sizeof(why));
	if (got != c->want)
		fail_msg("%s: case '%s': got %s (%d), want %s (reason '%s')", ops->info.name,
			 c->name, verdict_name(got), got, verdict_name(c->want), why);
	if (got == VLT_REJECT && c->why != NULL && strcmp(why, c->why) != 0)
		fail_msg("%s: case '%s': reason '%s', want '%s'", ops->info.name, c->name, why,
			 c->why);
	if (got == VLT_PASS && strcmp(why, UNTOUCHED) != 0)
		fail_msg("%s: case '%s': passed but wrote a reason '%s'", ops->info.name, c->name,
			 why);
	/* The verdict must not depend on whether a reason is asked for. */
	int again = ops->filter(state, cy, c->unit, c->lvl, c->dom, NULL, 0);
	if (again != got)
		fail_msg("%s: case '%s': %s without a reason buffer, %s with one",
			 ops->info.name, c->name, verdict_name(again), verdict_name(got));
	if (ops->prefilter != NULL && got == VLT_REJECT) {
		int pre = ops->prefilter(state, cy, c->unit);
		if (pre != VLT_PASS)
			fail_msg("%s: case '%s': filter rejects but prefilter says %s",
				 ops->info.name, c->name, verdict_name(pre));
	}
	fake_cycle_free(cy);
}

void run_filter_cases(const vlt_policy_ops_t *ops, uint32_t self_id, const vlt_stack_t *stack,
		      const struct filter_case *cases, size_t n_cases)
{
	fake_core_t *fc;
	void *state = policy_start(ops, self_id, &fc);

	for (size_t i = 0; i < n_cases; i++)
		run_filter_case(ops, state, stack, &cases[i]);
	policy_stop(ops, state, fc);
}

void run_validate_cases(const vlt_policy_ops_t *ops, uint32_t self_id, const vlt_stack_t *stack,
			const struct validate_case *cases, size_t n_cases)
{
	fake_core_t *fc;
	void *state = policy_start(ops, self_id, &fc);

	for (size_t i = 0; i < n_cases; i++) {
		const struct validate_case *c = &cases[i];
		vlt_stack_t copy = *stack;
		vlt_err_t err = { 0 };

		copy.tenant_id = c->tenant;
		int rc = ops->validate(state, &copy, c->group, &err);
		if (rc != c->want)
			fail_msg("%s: case '%s': validate returned %d (%s), want %d",
				 ops->info.name, c->name, rc, err.msg, c->want);
		if (rc != VLT_OK) {
			if (err.code != rc)
				fail_msg("%s: case '%s': err.code %d, returned %d",
					 ops->info.name, c->name, err.code, rc);
			if (c->msg != NULL && strcmp(err.msg, c->msg) != 0)
				fail_msg("%s: case '%s': message\n  '%s'\nwant\n  '%s'",
					 ops->info.name, c->name, err.msg, c->msg);
		}
	}
	policy_stop(ops, state, fc);
}

void run_built_module_cases(const char *name, uint32_t self_id, const vlt_stack_t *stack,
			    const struct filter_case *cases, size_t n_cases)
{
	void *so;
	const vlt_policy_ops_t *ops = built_module_open(VLT_KIND_POLICY, name, &so);

	run_filter_cases(ops, self_id, stack, cases, n_cases);
	ops->fini(NULL); /* a failed init's state: fini must accept it */
	built_module_close(so);
}
