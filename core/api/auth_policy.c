/*
 * auth_policy.c - the rules of auth_policy.h: a small recursive-descent
 * reader of OpenStack's policy language that evaluates as it reads. Rules
 * are few and short, so each check reads its expression again rather than
 * keeping a tree: one representation, the text the operator wrote.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_policy.h"

#define RULES_MAX 64
#define DEPTH_MAX 16 /* rule: inside rule: ...; deeper is a loop */
#define OWNER_CHECK "project_id:%(project_id)s"

const char *const vlt__policy_defaults[][2] = {
	{ "admin_required", "role:admin" },
	{ "service_role", "role:service" },
	{ "project_owner", OWNER_CHECK },
	{ "all_projects", "rule:admin_required or rule:service_role" },
	{ "project_reader", "rule:admin_required or (role:reader and rule:project_owner)" },
	{ "project_member", "rule:admin_required or (role:member and rule:project_owner)" },
	{ "plans_list", "rule:all_projects or role:reader" },
	{ "plans_get", "rule:project_reader or rule:service_role" },
	{ "plans_create", "rule:project_member or rule:service_role" },
	{ "plans_update", "rule:project_member or rule:service_role" },
	{ "plans_delete", "rule:project_member or rule:service_role" },
	{ "placements_list", "rule:all_projects or role:reader" },
	{ "placements_get", "rule:project_reader or rule:service_role" },
	{ "placements_reserve", "rule:project_member or rule:service_role" },
	{ "placements_delete", "rule:project_member or rule:service_role" },
	{ "groups_list", "rule:all_projects or role:reader" },
	{ "groups_get", "rule:all_projects or role:reader" },
	{ "groups_create", "rule:project_member" },
	{ "groups_update", "rule:project_member" },
	{ "groups_delete", "rule:project_member" },
	{ "groups_members", "rule:project_member" },
	{ "status", "rule:all_projects or role:reader" },
	{ "resources", "rule:admin_required" },
	{ "nova_external", "rule:service_role or rule:admin_required" },
	{ "cinder_external", "rule:service_role or rule:admin_required" },
	{ "manila_external", "rule:service_role or rule:admin_required" },
	{ "topology", "rule:admin_required" },
	{ "decisions", "rule:all_projects" },
	{ NULL, NULL },
};

struct rule {
	char *name;
	char *expr;
};

struct vlt_policy {
	struct rule rules[RULES_MAX];
	size_t n;
};

bool vlt__identity_has_role(const vlt_identity_t *who, const char *role)
{
	for (size_t i = 0; who != NULL && i < who->n_roles; i++)
		if (strcmp(who->roles[i], role) == 0)
			return true;
	return false;
}

bool vlt__identity_add_role(vlt_identity_t *who, const char *role)
{
	if (vlt__identity_has_role(who, role))
		return true;
	if (who->n_roles == VLT_ROLES_MAX)
		return false;
	snprintf(who->roles[who->n_roles++], VLT_ROLE_MAX, "%s", role);
	return true;
}

static struct rule *find_rule(const vlt_policy_t *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->n; i++)
		if (strlen(p->rules[i].name) == len && strncmp(p->rules[i].name, name, len) == 0)
			return (struct rule *)&p->rules[i];
	return NULL;
}

/* ---------------------------------------------------------------- reading */

/* One reading of one expression: evaluates, or only checks when who is NULL. */
struct reader {
	const vlt_policy_t *p;
	const char *text;
	const char *at;
	const vlt_identity_t *who;
	const char *target;
	int depth;
	char why[160]; /* the first fault; "" while none */
};

static bool fail(struct reader *r, const char *what)
{
	if (r->why[0] == '\0')
		snprintf(r->why, sizeof(r->why), "%s at offset %td", what, r->at - r->text);
	return false;
}

static void skip_space(struct reader *r)
{
	while (isspace((unsigned char)*r->at))
		r->at++;
}

/* Is the next word kw (followed by a space, a parenthesis or the end)? Consumes it. */
static bool keyword(struct reader *r, const char *kw)
{
	size_t n = strlen(kw);

	skip_space(r);
	if (strncmp(r->at, kw, n) != 0)
		return false;
	char next = r->at[n];
	if (next != '\0' && !isspace((unsigned char)next) && next != '(' && next != ')')
		return false;
	r->at += n;
	return true;
}

static bool read_or(struct reader *r);

static bool eval_rule_ref(struct reader *r, const char *name, size_t len)
{
	const struct rule *rule = find_rule(r->p, name, len);

	if (rule == NULL)
		return fail(r, "unknown rule");
	if (r->depth + 1 >= DEPTH_MAX)
		return fail(r, "rules lead back to themselves (or nest deeper than 16)");
	struct reader sub = { .p = r->p, .text = rule->expr, .at = rule->expr, .who = r->who,
			      .target = r->target, .depth = r->depth + 1 };
	bool v = read_or(&sub);
	skip_space(&sub);
	if (sub.why[0] == '\0' && *sub.at != '\0')
		fail(&sub, "unexpected text");
	if (sub.why[0] != '\0') { /* named by the deepest rule that does not read */
		if (strncmp(sub.why, "in rule:", 8) == 0)
			snprintf(r->why, sizeof(r->why), "%s", sub.why);
		else
			snprintf(r->why, sizeof(r->why), "in rule:%.*s: %.100s", (int)len, name,
				 sub.why);
		return false;
	}
	return v;
}

/* One check: "kind:value", "@" or "!". */
static bool read_check(struct reader *r)
{
	skip_space(r);
	if (*r->at == '@' || *r->at == '!') {
		return *r->at++ == '@';
	}
	/* the owner check holds parentheses of its own: it is matched whole */
	if (keyword(r, OWNER_CHECK))
		return r->who != NULL && r->who->project_id[0] != '\0' && r->target != NULL &&
		       strcmp(r->who->project_id, r->target) == 0;
	const char *start = r->at;
	while (*r->at != '\0' && !isspace((unsigned char)*r->at) && *r->at != '(' &&
	       *r->at != ')')
		r->at++;
	size_t len = (size_t)(r->at - start);
	const char *colon = memchr(start, ':', len);
	if (len == 0 || colon == NULL || colon + 1 == start + len) {
		r->at = start;
		return fail(r, "expected a check (role:NAME, rule:NAME, " OWNER_CHECK ", @ or !)");
	}
	const char *value = colon + 1;
	size_t vlen = (size_t)(start + len - value);
	size_t klen = (size_t)(colon - start);

	if (klen == 4 && strncmp(start, "role", 4) == 0) {
		char role[VLT_ROLE_MAX];
		snprintf(role, sizeof(role), "%.*s", (int)vlen, value);
		return r->who != NULL && vlt__identity_has_role(r->who, role);
	}
	if (klen == 4 && strncmp(start, "rule", 4) == 0)
		return eval_rule_ref(r, value, vlen);
	r->at = start;
	return fail(r, "unknown check (role:NAME, rule:NAME, " OWNER_CHECK ", @ or !)");
}

static bool read_not(struct reader *r)
{
	if (keyword(r, "not"))
		return !read_not(r);
	skip_space(r);
	if (*r->at == '(') {
		r->at++;
		bool v = read_or(r);
		skip_space(r);
		if (*r->at != ')')
			return fail(r, "expected ')'");
		r->at++;
		return v;
	}
	return read_check(r);
}

/* Reads every operand even once the answer is known, so a fault anywhere shows. */
static bool read_and(struct reader *r)
{
	bool v = read_not(r);

	while (keyword(r, "and")) {
		bool w = read_not(r);
		v = v && w;
	}
	return v;
}

static bool read_or(struct reader *r)
{
	bool v = read_and(r);

	while (keyword(r, "or")) {
		bool w = read_and(r);
		v = v || w;
	}
	return v;
}

/* Evaluate expr fully; false with why filled when it does not read. */
static bool evaluate(const vlt_policy_t *p, const char *expr, const vlt_identity_t *who,
		     const char *target, char *why, size_t why_size)
{
	struct reader r = { .p = p, .text = expr, .at = expr, .who = who, .target = target };
	bool v = read_or(&r);

	skip_space(&r);
	if (r.why[0] == '\0' && *r.at != '\0')
		fail(&r, "unexpected text");
	if (why != NULL)
		snprintf(why, why_size, "%s", r.why);
	return r.why[0] == '\0' && v;
}

/* ---------------------------------------------------------------- the rules */

static int add_rule(vlt_policy_t *p, const char *name, const char *expr)
{
	if (p->n == RULES_MAX)
		return VLT_E2BIG;
	char *n = strdup(name), *e = strdup(expr);
	if (n == NULL || e == NULL) {
		free(n);
		free(e);
		return VLT_ENOMEM;
	}
	p->rules[p->n].name = n;
	p->rules[p->n].expr = e;
	p->n++;
	return 0;
}

int vlt__policy_new(vlt_policy_t **out)
{
	vlt_policy_t *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (p == NULL)
		return VLT_ENOMEM;
	for (size_t i = 0; vlt__policy_defaults[i][0] != NULL; i++) {
		if (add_rule(p, vlt__policy_defaults[i][0], vlt__policy_defaults[i][1]) < 0) {
			vlt__policy_free(p);
			return VLT_ENOMEM;
		}
	}
	*out = p;
	return 0;
}

void vlt__policy_free(vlt_policy_t *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->rules[i].name);
		free(p->rules[i].expr);
	}
	free(p);
}

static bool name_valid(const char *name)
{
	if (name[0] == '\0' || strlen(name) > 63)
		return false;
	for (const char *c = name; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && *c != '_')
			return false;
	return true;
}

/* Every rule reads, with no loop: the first fault, naming its rule. */
static int check_all(const vlt_policy_t *p, vlt_err_t *err)
{
	char why[200];

	for (size_t i = 0; i < p->n; i++) {
		evaluate(p, p->rules[i].expr, NULL, NULL, why, sizeof(why));
		if (why[0] != '\0')
			return vlt_err_set(err, VLT_EINVAL, "rule '%s' (\"%.200s\"): %s",
					   p->rules[i].name, p->rules[i].expr, why);
	}
	return 0;
}

int vlt__policy_set(vlt_policy_t *p, const char *name, const char *expr, vlt_err_t *err)
{
	if (!name_valid(name))
		return vlt_err_set(err, VLT_EINVAL,
				   "rule '%s': a rule's name is 1 to 63 letters, digits and _",
				   name);
	struct rule *r = find_rule(p, name, strlen(name));
	char *e = strdup(expr);
	int rc;

	if (e == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (r == NULL) {
		rc = add_rule(p, name, expr);
		free(e);
		if (rc < 0)
			return vlt_err_set(err, rc, "rule '%s': %s", name,
					   rc == VLT_E2BIG ? "more than 64 rules" : "out of memory");
		rc = check_all(p, err);
		if (rc < 0) { /* take the new rule back */
			p->n--;
			free(p->rules[p->n].name);
			free(p->rules[p->n].expr);
		}
		return rc;
	}
	char *old = r->expr;
	r->expr = e;
	rc = check_all(p, err);
	if (rc < 0) {
		r->expr = old;
		free(e);
	} else {
		free(old);
	}
	return rc;
}

const char *vlt__policy_get(const vlt_policy_t *p, const char *name)
{
	const struct rule *r = find_rule(p, name, strlen(name));

	return r != NULL ? r->expr : NULL;
}

bool vlt__policy_allows(const vlt_policy_t *p, const char *name, const vlt_identity_t *who,
			const char *target)
{
	const struct rule *r = find_rule(p, name, strlen(name));

	if (r == NULL || who == NULL)
		return false;
	return evaluate(p, r->expr, who, target != NULL && target[0] != '\0' ? target : NULL,
			NULL, 0);
}
