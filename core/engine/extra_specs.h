/*
 * extra_specs.h - Nova's AggregateInstanceExtraSpecsFilter semantics: does a
 * host's aggregate metadata satisfy a flavor's extra specs? And the
 * traits a flavor asks of Placement (trait:NAME=required|forbidden).
 */
#ifndef VALET_CORE_EXTRA_SPECS_H
#define VALET_CORE_EXTRA_SPECS_H

#include <stdbool.h>

#include <valet/model.h>

/* True when some extra spec is one this filter reads (so hosts must be checked). */
bool vlt__specs_relevant(const vlt_kv_t *specs, uint32_t n);
/* True when host h's aggregates satisfy every relevant spec. */
bool vlt__specs_match_host(const vlt_dc_t *dc, uint32_t h, const vlt_kv_t *specs, uint32_t n);
/*
 * A trait the spec asks of the host, in Nova's syntax: key "trait:NAME",
 * value "required" or "forbidden". RET true for such a spec (*name points
 * into its key, *required tells which); any other value is ignored, as
 * Nova's scheduler ignores it.
 */
bool vlt__spec_trait(const vlt_kv_t *spec, const char **name, bool *required);
/* One value against one requirement ("<in> x", ">= 4", "s== a", "<or> a <or> b", plain). */
bool vlt__spec_value_matches(const char *value, const char *req);

#endif /* VALET_CORE_EXTRA_SPECS_H */
