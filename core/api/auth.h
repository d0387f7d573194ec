/*
 * auth.h - who is calling and what they may do (docs/security.md).
 *
 * Two strategies (setting auth.strategy):
 *  - "keystone": every request of /v1 carries a Keystone token in
 *    X-Auth-Token; valetd validates it with GET /v3/auth/tokens at the
 *    catalog's identity endpoint, authenticated with its own service
 *    credentials (the auth group's auth_url, username, password, ..., read
 *    by the OpenStack sources' client, os_client.h). Validations are
 *    cached: at most auth.cache_entries tokens, each for at most
 *    auth.cache_ttl_s seconds and never past the token's expiry, so a
 *    revoked token stops working within auth.cache_ttl_s.
 *  - "noauth": no token; the caller's project is what the client says
 *    (X-Project-Id), as before Keystone was wired in. Allowed only on a
 *    loopback listener unless auth.allow_noauth_remote = true.
 *
 * What an identity may do is decided by the rules of auth_policy.h.
 *
 * Thread-safe: requests of every HTTP thread call vlt__auth_identify at
 * once; the cache has its own mutex, and the Keystone client (not
 * thread-safe) is used under another, only on a cache miss.
 */
#ifndef VALET_CORE_AUTH_H
#define VALET_CORE_AUTH_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <valet/errors.h>

#include "auth_policy.h"
#include "config.h"

typedef enum vlt_auth_strategy {
	VLT_AUTH_NOAUTH = 0,
	VLT_AUTH_KEYSTONE = 1,
} vlt_auth_strategy_t;

typedef struct vlt_auth vlt_auth_t;

/*
 * vlt__auth_open - read the auth group of cfg (strategy, cache_ttl_s,
 * cache_entries, allow_noauth_remote, rules and, under keystone, the
 * service credentials). No request to Keystone yet.
 * IN  cfg - borrowed for the auth's life
 * OUT a - new, owned by the caller (vlt__auth_close)
 * RET 0; VLT_ECONFIG naming the setting (an unknown key, noauth on a
 *     listener that is not loopback, a rule that does not parse);
 *     VLT_ENOMEM.
 */
int vlt__auth_open(vlt_auth_t **a, const vlt_config_t *cfg, vlt_err_t *err);
void vlt__auth_close(vlt_auth_t *a);

vlt_auth_strategy_t vlt__auth_strategy(const vlt_auth_t *a);
/* The rules in force (borrowed from a). */
const vlt_policy_t *vlt__auth_policy(const vlt_auth_t *a);

/*
 * vlt__auth_identify - the identity a Keystone token stands for.
 * IN  token - the client's X-Auth-Token (may be NULL: refused)
 * OUT who - filled on success
 * RET 0; VLT_EFORBIDDEN for a missing, invalid, expired or revoked token (the
 *     caller answers 401); VLT_EBACKEND when Keystone cannot be asked
 *     (err says why, without the token).
 */
int vlt__auth_identify(vlt_auth_t *a, const char *token, vlt_identity_t *who, vlt_err_t *err);

/* ---- the validation cache, on its own (for its tests) */

typedef struct vlt_auth_cache vlt_auth_cache_t;

/* OUT c - new, owned by the caller. max_entries >= 1. RET 0 or VLT_ENOMEM. */
int vlt__auth_cache_new(vlt_auth_cache_t **c, size_t max_entries, int64_t ttl_s);
void vlt__auth_cache_free(vlt_auth_cache_t *c);
/* Is token cached and fresh at now? Then *who is a copy. Stale entries go. */
bool vlt__auth_cache_get(vlt_auth_cache_t *c, const char *token, time_t now, vlt_identity_t *who);
/*
 * Remember who for token from now until min(now + ttl_s, who->expires);
 * nothing when that is not in the future. A full cache first drops the
 * entry that would go stale soonest. RET 0 or VLT_ENOMEM (not cached).
 */
int vlt__auth_cache_put(vlt_auth_cache_t *c, const char *token, time_t now,
			const vlt_identity_t *who);
/* How many entries it holds. */
size_t vlt__auth_cache_size(const vlt_auth_cache_t *c);

#endif /* VALET_CORE_AUTH_H */
