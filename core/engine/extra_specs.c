/*
 * extra_specs.c - flavor extra specs against host aggregate metadata, the
 * way Nova's AggregateInstanceExtraSpecsFilter reads them: a key scoped
 * "aggregate_instance_extra_specs:" or unscoped is checked, other scopes
 * ("hw:", "quota:", ...) are not; valet's own keys are skipped. A host
 * passes a key when one of its aggregates has the key with a matching value.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extra_specs.h"

#define SCOPE "aggregate_instance_extra_specs:"
#define TRAIT_SCOPE "trait:"

/* The metadata key a spec reads, or NULL when this filter ignores it. */
static const char *spec_key(const char *key)
{
	if (strncmp(key, SCOPE, strlen(SCOPE)) == 0)
		return key + strlen(SCOPE);
	if (strchr(key, ':') != NULL)
		return NULL;
	if (strcmp(key, "valet") == 0 || strcmp(key, "host_aggregates") == 0)
		return NULL;
	return key;
}

bool vlt__specs_relevant(const vlt_kv_t *specs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (spec_key(specs[i].key) != NULL)
			return true;
	return false;
}

bool vlt__spec_trait(const vlt_kv_t *spec, const char **name, bool *required)
{
	size_t len = strlen(TRAIT_SCOPE);

	/* "trait1:..." and other numbered groups ask a granular request group: not read */
	if (strncmp(spec->key, TRAIT_SCOPE, len) != 0 || spec->key[len] == '\0')
		return false;
	if (strcmp(spec->value, "required") != 0 && strcmp(spec->value, "forbidden") != 0)
		return false;
	*name = spec->key + len;
	*required = spec->value[0] == 'r';
	return true;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Compare two strings as numbers; false when either is not one. */
static bool as_numbers(const char *a, const char *b, double *x, double *y)
{
	char *end;

	*x = strtod(a, &end);
	if (end == a || *skip_ws(end) != '\0')
		return false;
	*y = strtod(b, &end);
	return end != b && *skip_ws(end) == '\0';
}

/* "<or> a <or> b": the value equals one of the alternatives. */
static bool match_or(const char *value, const char *alts)
{
	size_t vlen = strlen(value);
	const char *p = alts;

	while (p != NULL) {
		p = skip_ws(p);
		const char *next = strstr(p, "<or>");
		size_t len = next ? (size_t)(next - p) : strlen(p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		if (len == vlen && strncmp(p, value, len) == 0)
			return true;
		p = next ? next + 4 : NULL;
	}
	return false;
}

bool vlt__spec_value_matches(const char *value, const char *req)
{
	static const char *const ops[] = {"<all-in>", "<in>", "<or>", "s==", "s!=", "s<=",
					  "s>=", "s<",	 "s>",	 "==",	"!=",  ">=",
					  "<=",	 "="};
	const char *op = NULL;
	const char *arg = skip_ws(req);
	double x, y;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t len = strlen(ops[i]);
		if (strncmp(arg, ops[i], len) == 0) {
			op = ops[i];
			arg = skip_ws(arg + len);
			break;
		}
	}
	if (op == NULL)
		return strcmp(value, req) == 0;
	if (strcmp(op, "<or>") == 0)
		return match_or(value, arg);
	if (strcmp(op, "<in>") == 0 || strcmp(op, "<all-in>") == 0)
		return strstr(value, arg) != NULL;
	if (op[0] == 's') {
		int c = strcmp(value, arg);
		if (strcmp(op, "s==") == 0)
			return c == 0;
		if (strcmp(op, "s!=") == 0)
			return c != 0;
		if (strcmp(op, "s<=") == 0)
			return c <= 0;
		if (strcmp(op, "s>=") == 0)
			return c >= 0;
		if (strcmp(op, "s<") == 0)
			return c < 0;
		return c > 0;
	}
	if (!as_numbers(value, arg, &x, &y))
		return false;
	if (strcmp(op, "==") == 0)
		return x == y;
	if (strcmp(op, "!=") == 0)
		return x != y;
	if (strcmp(op, "<=") == 0)
		return x <= y;
	return x >= y; /* ">=" and Nova's "=" (at least) */
}

/* Does one of the host's aggregates carry key with a value matching req? */
static bool host_has(const vlt_dc_t *dc, const vlt_host_t *host, const char *key, const char *req)
{
	for (uint32_t a = 0; a < host->n_aggregates; a++) {
		const vlt_aggregate_t *agg = &dc->aggregates[host->aggregates[a]];
		for (uint32_t m = 0; m < agg->n_metadata; m++)
			if (strcmp(agg->metadata[m].key, key) == 0 &&
			    vlt__spec_value_matches(agg->metadata[m].value, req))
				return true;
	}
	return false;
}

bool vlt__specs_match_host(const vlt_dc_t *dc, uint32_t h, const vlt_kv_t *specs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		const char *key = spec_key(specs[i].key);
		if (key != NULL && !host_has(dc, &dc->hosts[h], key, specs[i].value))
			return false;
	}
	return true;
}
