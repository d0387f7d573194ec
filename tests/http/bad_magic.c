/*
 * bad_magic.c - a policy module whose descriptor carries a wrong magic
 * number: valetd must refuse to start with it, naming the file and the
 * fault. Everything else about it is right.
 */
#include <valet/policy.h>

static int bm_init(const vlt_core_t *core, void **state, vlt_err_t *err)
{
	(void)core;
	(void)err;
	*state = NULL;
	return 0;
}

static void bm_fini(void *state)
{
	(void)state;
}

static int bm_validate(void *state, const vlt_stack_t *stack, uint32_t group, vlt_err_t *err)
{
	(void)state;
	(void)stack;
	(void)group;
	(void)err;
	return 0;
}

static int bm_filter(void *state, vlt_cycle_t *cy, uint32_t unit, vlt_level_t lvl, uint32_t dom,
		     char *why, size_t why_len)
{
	(void)state;
	(void)cy;
	(void)unit;
	(void)lvl;
	(void)dom;
	(void)why;
	(void)why_len;
	return VLT_PASS;
}

static const vlt_policy_ops_t bm_ops = {
	.info = {
		.magic = 0xdeadbeefu,
		.abi_major = VLT_ABI_MAJOR,
		.abi_minor = VLT_ABI_MINOR,
		.ops_size = sizeof(vlt_policy_ops_t),
		.kind = VLT_KIND_POLICY,
		.name = "http_bad_magic",
		.version = "0",
		.summary = "a descriptor with the wrong magic",
	},
	.init = bm_init,
	.fini = bm_fini,
	.validate = bm_validate,
	.filter = bm_filter,
};

VLT_PLUGIN_DEFINE(bm_ops);
