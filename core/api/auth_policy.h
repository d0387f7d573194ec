/*
 * auth_policy.h - per-project rights: named rules in the language of
 * OpenStack's policy files, with defaults in the shape of OpenStack's own
 * (docs/security.md lists every rule), each overridable in the
 * configuration (auth.rules).
 *
 * A rule is an expression of checks:
 *   role:NAME               the identity holds the role NAME
 *   project_id:%(project_id)s   the identity's project owns the target
 *   rule:NAME               the rule NAME holds
 *   @ / !                   always / never
 * combined with "and", "or", "not" and parentheses ("not" binds tightest,
 * then "and", then "or"). Rules are checked when they are set: a rule
 * that does not parse, names an unknown rule or leads back to itself is
 * refused with where and why.
 */
#ifndef VALET_CORE_AUTH_POLICY_H
#define VALET_CORE_AUTH_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <valet/errors.h>

#define VLT_ID_MAX 256	 /* a user or project id, NUL included */
#define VLT_ROLE_MAX 64	 /* a role name, NUL included */
#define VLT_ROLES_MAX 32 /* roles kept per identity; more are ignored */

/* Who calls: what Keystone said of the token (or noauth's headers). */
typedef struct vlt_identity {
	char user_id[VLT_ID_MAX];
	char project_id[VLT_ID_MAX]; /* "" when the token has no project scope */
	char roles[VLT_ROLES_MAX][VLT_ROLE_MAX];
	size_t n_roles;
	time_t expires; /* the token's expiry; 0 when unknown */
} vlt_identity_t;

/* Does who hold role? */
bool vlt__identity_has_role(const vlt_identity_t *who, const char *role);
/* Add role (truncated to VLT_ROLE_MAX - 1 bytes); false when there is no room. */
bool vlt__identity_add_role(vlt_identity_t *who, const char *role);

typedef struct vlt_policy vlt_policy_t;

/* OUT p - the default rules; new, owned by the caller. RET 0 or VLT_ENOMEM. */
int vlt__policy_new(vlt_policy_t **p);
void vlt__policy_free(vlt_policy_t *p);

/*
 * vlt__policy_set - replace the rule name (a default's, or a new one
 * other rules may name) with expr. Every rule is checked again: an
 * override may not break another rule.
 * RET 0; VLT_EINVAL with err naming the rule and the position; VLT_ENOMEM.
 * On failure the rules are unchanged.
 */
int vlt__policy_set(vlt_policy_t *p, const char *name, const char *expr, vlt_err_t *err);
/* The expression of rule name (borrowed), or NULL. */
const char *vlt__policy_get(const vlt_policy_t *p, const char *name);

/*
 * vlt__policy_allows - does rule name hold for who acting on a target
 * owned by project target (NULL or "": no owner, so project_id: checks
 * fail)? An unknown rule holds for no one.
 */
bool vlt__policy_allows(const vlt_policy_t *p, const char *name, const vlt_identity_t *who,
			const char *target);

/* The default rules, in order, NULL-terminated: {name, expr}. */
extern const char *const vlt__policy_defaults[][2];

#endif /* VALET_CORE_AUTH_POLICY_H */
