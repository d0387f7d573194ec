/*
 * coretable.c - fills a module's vlt_core_t: the callbacks through which it
 * logs, reads its own settings, describes the data center (sources) and
 * takes part in a cycle (solvers and policies).
 *
 * Each module has its own table whose priv points back at its
 * vlt_module_t, so the core knows who calls: log lines get "[kind/name]"
 * and cfg_* read the module's own group.
 */
#include <stdarg.h>

#include <valet/core.h>

#include "config.h"
#include "cycle.h"
#include "dc.h"
#include "loader.h"
#include "log.h"

static vlt_module_t *module_of(const vlt_core_t *c)
{
	return c->priv;
}

__attribute__((format(printf, 3, 4))) static void core_log(const vlt_core_t *c, int level,
							    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlt__logv(module_of(c)->prefix, level, fmt, ap);
	va_end(ap);
}

static int core_cfg_str(const vlt_core_t *c, const char *key, const char *dflt, char **out,
			vlt_err_t *err)
{
	return vlt__cfg_get_str(&module_of(c)->cfg, key, dflt, out, err);
}

static int core_cfg_int(const vlt_core_t *c, const char *key, int64_t dflt, int64_t *out,
			vlt_err_t *err)
{
	return vlt__cfg_get_int(&module_of(c)->cfg, key, dflt, out, err);
}

static int core_cfg_double(const vlt_core_t *c, const char *key, double dflt, double *out,
			   vlt_err_t *err)
{
	return vlt__cfg_get_double(&module_of(c)->cfg, key, dflt, out, err);
}

static int core_cfg_bool(const vlt_core_t *c, const char *key, bool dflt, bool *out,
			 vlt_err_t *err)
{
	return vlt__cfg_get_bool(&module_of(c)->cfg, key, dflt, out, err);
}

static const char *core_data_dir(const vlt_core_t *c)
{
	return module_of(c)->cfg.cfg->data_dir;
}

/*
 * vlt__core_table_init - m->core gets the core's ABI version, m's index
 * among the loaded modules of its kind, and every callback. m must not
 * move afterwards (priv points at it) and m->cfg must be set up.
 */
void vlt__core_table_init(vlt_module_t *m, uint32_t self_id)
{
	vlt_core_t *c = &m->core;

	c->abi_major = VLT_ABI_MAJOR;
	c->abi_minor = VLT_ABI_MINOR;
	c->self_id = self_id;
	c->priv = m;

	c->log = core_log;
	c->cfg_str = core_cfg_str;
	c->cfg_int = core_cfg_int;
	c->cfg_double = core_cfg_double;
	c->cfg_bool = core_cfg_bool;
	c->data_dir = core_data_dir;

	c->dc_set_name = vlt__dc_set_name;
	c->dc_set_defaults = vlt__dc_set_defaults;
	c->dc_add_cluster = vlt__dc_add_cluster;
	c->dc_add_rack = vlt__dc_add_rack;
	c->dc_add_aggregate = vlt__dc_add_aggregate;
	c->dc_add_host = vlt__dc_add_host;
	c->dc_add_pool = vlt__dc_add_pool;
	c->dc_add_flavor = vlt__dc_add_flavor;
	c->dc_add_consumer = vlt__dc_add_consumer;
	c->dc_set_host_rack = vlt__dc_set_host_rack;
	c->dc_set_instances = vlt__dc_set_instances;
	c->dc_set_host_limits = vlt__dc_set_host_limits;
	c->dc_set_host_traits = vlt__dc_set_host_traits;
	c->dc_set_host_uuid = vlt__dc_set_host_uuid;
	c->dc_set_host_nic = vlt__dc_set_host_nic;

	c->cycle_dc = vlt__cycle_dc;
	c->cycle_stack = vlt__cycle_stack;
	c->cycle_view = vlt__cycle_view;
	c->check = vlt__cycle_check;
	c->cost = vlt__cycle_cost;
	c->score = vlt__cycle_score;
	c->assign = vlt__cycle_assign;
	c->unassign = vlt__cycle_unassign;
	c->note_failure = vlt__cycle_note_failure;
	c->metric = vlt__cycle_metric;
	c->group_count = vlt__cycle_group_count;
	c->residents = vlt__cycle_residents;
	c->policy_residents = vlt__cycle_policy_residents;
	c->group_servers = vlt__cycle_group_servers;
	c->group_hosts = vlt__cycle_group_hosts;
	c->dc_set_host_class = vlt__dc_set_host_class;
	c->dc_add_consumer_class = vlt__dc_add_consumer_class;
	c->class_free = vlt__cycle_class_free;
	c->unit_classes = vlt__cycle_unit_classes;
}
