/*
 * auth.c - Keystone token validation with a bounded cache, and the
 * settings of the auth group (auth.h). The Keystone client is the
 * OpenStack sources' own (os_client.h): one way to reach Keystone, its
 * catalog and its errors for the whole program.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libconfig.h>

#include "auth.h"
#include "loader.h"
#include "os_client.h"
#include "strmap.h"

#define CACHE_TTL_DEFAULT 60
#define CACHE_TTL_MAX 3600
#define CACHE_ENTRIES_DEFAULT 4096
#define CACHE_ENTRIES_MAX 1000000

/* ---------------------------------------------------------------- the cache */

struct cache_entry {
	vlt_identity_t who;
	time_t until; /* fresh while now < until */
};

struct vlt_auth_cache {
	vlt_strmap_t by_token; /* token -> struct cache_entry (owned) */
	size_t max;
	int64_t ttl_s;
};

int vlt__auth_cache_new(vlt_auth_cache_t **out, size_t max_entries, int64_t ttl_s)
{
	vlt_auth_cache_t *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (c == NULL)
		return VLT_ENOMEM;
	c->max = max_entries > 0 ? max_entries : 1;
	c->ttl_s = ttl_s;
	*out = c;
	return 0;
}

/* Tokens are secrets: their copies are wiped before they are freed. */
static void wipe_keys(vlt_strmap_t *m)
{
	for (size_t i = 0; i < m->n_b; i++)
		for (vlt_strmap_entry_t *e = m->b[i]; e != NULL; e = e->next)
			memset(e->key, 0, strlen(e->key));
}

void vlt__auth_cache_free(vlt_auth_cache_t *c)
{
	if (c == NULL)
		return;
	wipe_keys(&c->by_token);
	vlt__strmap_clear_values(&c->by_token, free);
	free(c);
}

static void drop(vlt_auth_cache_t *c, const char *token)
{
	struct cache_entry *e = vlt__strmap_get(&c->by_token, token);

	vlt__strmap_del(&c->by_token, token);
	free(e);
}

bool vlt__auth_cache_get(vlt_auth_cache_t *c, const char *token, time_t now, vlt_identity_t *who)
{
	struct cache_entry *e = vlt__strmap_get(&c->by_token, token);

	if (e == NULL)
		return false;
	if (now >= e->until) {
		drop(c, token);
		return false;
	}
	*who = e->who;
	return true;
}

/* Make room for one: every stale entry goes, else the one that would go stale first. */
static void evict(vlt_auth_cache_t *c, time_t now)
{
	const char *soonest = NULL;
	time_t soonest_until = 0;

	for (size_t i = 0; i < c->by_token.n_b; i++) {
		vlt_strmap_entry_t *e = c->by_token.b[i];
		while (e != NULL) {
			vlt_strmap_entry_t *next = e->next;
			const struct cache_entry *ce = e->val;

			if (now >= ce->until) {
				drop(c, e->key);
			} else if (soonest == NULL || ce->until < soonest_until) {
				soonest = e->key;
				soonest_until = ce->until;
			}
			e = next;
		}
	}
	if (c->by_token.n >= c->max && soonest != NULL)
		drop(c, soonest);
}

int vlt__auth_cache_put(vlt_auth_cache_t *c, const char *token, time_t now,
			const vlt_identity_t *who)
{
	time_t until = now + (time_t)c->ttl_s;

	if (who->expires != 0 && who->expires < until)
		until = who->expires;
	if (until <= now)
		return 0;
	if (vlt__strmap_get(&c->by_token, token) == NULL && c->by_token.n >= c->max)
		evict(c, now);
	struct cache_entry *e = malloc(sizeof(*e));
	if (e == NULL)
		return VLT_ENOMEM;
	e->who = *who;
	e->until = until;
	drop(c, token);
	if (vlt__strmap_put(&c->by_token, token, e) < 0) {
		free(e);
		return VLT_ENOMEM;
	}
	return 0;
}

size_t vlt__auth_cache_size(const vlt_auth_cache_t *c)
{
	return c->by_token.n;
}

/* ---------------------------------------------------------------- settings */

struct vlt_auth {
	vlt_auth_strategy_t strategy;
	vlt_policy_t *policy;
	vlt_module_t scope; /* the auth group's settings and the client's core table */
	os_client_t *client; /* keystone only; used under client_lock */
	pthread_mutex_t client_lock;
	vlt_auth_cache_t *cache; /* NULL when cache_ttl_s is 0; under cache_lock */
	pthread_mutex_t cache_lock;
};

static bool is_loopback(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (host == NULL || strcmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6);
	return false;
}

/* auth.rules { name = "expression"; ... }: each replaces a default or adds a rule. */
static int read_rules(vlt_auth_t *a, const vlt_config_t *cfg, vlt_err_t *err)
{
	const config_setting_t *g = cfg->file != NULL ? config_lookup(&cfg->lc, "auth.rules") : NULL;
	vlt_cfg_scope_t rules = { .cfg = cfg, .group = "auth.rules" };
	int rc = vlt__cfg_mark_read(&a->scope.cfg, "rules", err);

	if (rc == 0 && g != NULL && !config_setting_is_group(g))
		rc = vlt_err_set(err, VLT_ECONFIG,
				 "%s:%d: setting 'auth.rules': must be a group { name = \"rule\"; }",
				 cfg->file, config_setting_source_line(g));
	for (int i = 0; rc == 0 && g != NULL && i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		char *expr = NULL;
		vlt_err_t why = { 0 };

		rc = vlt__cfg_get_str(&rules, config_setting_name(s), NULL, &expr, err);
		if (rc == 0 && vlt__policy_set(a->policy, config_setting_name(s), expr, &why) < 0)
			rc = vlt_err_set(err, VLT_ECONFIG, "%s:%d: setting 'auth.rules.%s': %s",
					 cfg->file, config_setting_source_line(s),
					 config_setting_name(s), why.msg);
		free(expr);
	}
	vlt__cfg_scope_free(&rules);
	return rc;
}

static int read_strategy(vlt_auth_t *a, const vlt_config_t *cfg, vlt_err_t *err)
{
	vlt_cfg_scope_t *s = &a->scope.cfg;
	char *strategy = NULL, *auth_url = NULL;
	bool remote_ok = false;
	/* keystone is the default once Keystone is configured (an auth_url) */
	int rc = vlt__cfg_get_str(s, "auth_url", NULL, &auth_url, err);

	if (rc == 0)
		rc = vlt__cfg_get_str(s, "strategy", auth_url != NULL ? "keystone" : "noauth",
				      &strategy, err);
	free(auth_url);
	if (rc == 0)
		rc = vlt__cfg_get_bool(s, "allow_noauth_remote", false, &remote_ok, err);
	if (rc == 0 && strcmp(strategy, "keystone") == 0)
		a->strategy = VLT_AUTH_KEYSTONE;
	else if (rc == 0 && strcmp(strategy, "noauth") == 0)
		a->strategy = VLT_AUTH_NOAUTH;
	else if (rc == 0)
		rc = vlt__cfg_error(s, "strategy", err, "'%s' is not keystone or noauth", strategy);
	if (rc == 0 && a->strategy == VLT_AUTH_NOAUTH && !remote_ok &&
	    !is_loopback(cfg->listen_host))
		rc = vlt__cfg_error(s, "strategy", err,
				    "noauth on %s, which is not a loopback address: anyone who "
				    "reaches it could act as any project (set strategy = "
				    "\"keystone\", or allow_noauth_remote = true to accept that)",
				    cfg->listen_host);
	free(strategy);
	return rc;
}

static int read_cache(vlt_auth_t *a, vlt_err_t *err)
{
	vlt_cfg_scope_t *s = &a->scope.cfg;
	int64_t ttl = 0, entries = 0;
	int rc = vlt__cfg_get_int(s, "cache_ttl_s", CACHE_TTL_DEFAULT, &ttl, err);

	if (rc == 0)
		rc = vlt__cfg_get_int(s, "cache_entries", CACHE_ENTRIES_DEFAULT, &entries, err);
	if (rc == 0 && (ttl < 0 || ttl > CACHE_TTL_MAX))
		rc = vlt__cfg_error(s, "cache_ttl_s", err,
				    "must be between 0 (no cache) and %d seconds", CACHE_TTL_MAX);
	if (rc == 0 && (entries < 1 || entries > CACHE_ENTRIES_MAX))
		rc = vlt__cfg_error(s, "cache_entries", err, "must be between 1 and %d",
				    CACHE_ENTRIES_MAX);
	if (rc == 0 && ttl > 0 && vlt__auth_cache_new(&a->cache, (size_t)entries, ttl) < 0)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	return rc;
}

static bool has_setting(const vlt_config_t *cfg, const char *path)
{
	return cfg->file != NULL && config_lookup(&cfg->lc, path) != NULL;
}

/* Under noauth, Keystone's settings may stay in the file: checked, then unused. */
static int check_credentials(vlt_auth_t *a, vlt_err_t *err)
{
	os_auth_t unused;
	int rc = os_auth_read(&a->scope.core, &unused, err);

	if (rc == 0)
		os_auth_free(&unused);
	return rc;
}

int vlt__auth_open(vlt_auth_t **out, const vlt_config_t *cfg, vlt_err_t *err)
{
	vlt_auth_t *a = calloc(1, sizeof(*a));
	int rc;

	*out = NULL;
	if (a == NULL || vlt__policy_new(&a->policy) < 0) {
		free(a);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&a->client_lock, NULL);
	pthread_mutex_init(&a->cache_lock, NULL);
	snprintf(a->scope.cfg_group, sizeof(a->scope.cfg_group), "auth");
	snprintf(a->scope.prefix, sizeof(a->scope.prefix), "auth");
	a->scope.cfg.cfg = cfg;
	a->scope.cfg.group = a->scope.cfg_group;
	vlt__core_table_init(&a->scope, 0);

	rc = read_strategy(a, cfg, err);
	if (rc == 0)
		rc = read_cache(a, err);
	if (rc == 0)
		rc = read_rules(a, cfg, err);
	if (rc == 0 && a->strategy == VLT_AUTH_KEYSTONE)
		rc = os_client_open(&a->client, &a->scope.core, err);
	else if (rc == 0 && has_setting(cfg, "auth.auth_url"))
		rc = check_credentials(a, err);
	if (rc == 0)
		rc = vlt__cfg_check_unknown(&a->scope.cfg, err);
	if (rc < 0) {
		if (rc != VLT_ENOMEM && err != NULL && strncmp(err->msg, "setting '", 9) == 0) {
			/* os_client names its settings bare: say which group they are in */
			char msg[VLT_ERR_MSG_MAX];
			snprintf(msg, sizeof(msg), "auth: %.480s", err->msg);
			snprintf(err->msg, sizeof(err->msg), "%s", msg);
			err->code = rc = VLT_ECONFIG;
		}
		vlt__auth_close(a);
		return rc;
	}
	*out = a;
	return 0;
}

void vlt__auth_close(vlt_auth_t *a)
{
	if (a == NULL)
		return;
	os_client_free(a->client);
	vlt__auth_cache_free(a->cache);
	vlt__policy_free(a->policy);
	vlt__cfg_scope_free(&a->scope.cfg);
	pthread_mutex_destroy(&a->client_lock);
	pthread_mutex_destroy(&a->cache_lock);
	free(a);
}

vlt_auth_strategy_t vlt__auth_strategy(const vlt_auth_t *a)
{
	return a != NULL ? a->strategy : VLT_AUTH_NOAUTH;
}

const vlt_policy_t *vlt__auth_policy(const vlt_auth_t *a)
{
	return a->policy;
}

/* ---------------------------------------------------------------- validation */

/* Keystone's {"token": {"user", "project", "roles", "expires_at"}} into who. */
static int identity_of(const json_t *doc, vlt_identity_t *who, vlt_err_t *err)
{
	const json_t *t = json_object_get(doc, "token");
	const char *user = json_string_value(json_object_get(json_object_get(t, "user"), "id"));
	const char *project =
		json_string_value(json_object_get(json_object_get(t, "project"), "id"));
	size_t i;
	json_t *role;

	memset(who, 0, sizeof(*who));
	if (user == NULL)
		return vlt_err_set(err, VLT_EBACKEND,
				   "Keystone's validation of a token names no user");
	snprintf(who->user_id, sizeof(who->user_id), "%s", user);
	snprintf(who->project_id, sizeof(who->project_id), "%s", project != NULL ? project : "");
	json_array_foreach(json_object_get(t, "roles"), i, role) {
		const char *name = json_string_value(json_object_get(role, "name"));
		if (name != NULL && !vlt__identity_add_role(who, name))
			break;
	}
	who->expires = os_parse_time(json_string_value(json_object_get(t, "expires_at")));
	return 0;
}

/* Ask Keystone, under the client's lock. */
static int validate(vlt_auth_t *a, const char *token, vlt_identity_t *who, vlt_err_t *err)
{
	size_t hlen = strlen("X-Subject-Token: ") + strlen(token) + 1;
	char *subject = malloc(hlen);
	json_t *doc = NULL;
	int rc;

	if (subject == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	snprintf(subject, hlen, "X-Subject-Token: %s", token);
	const char *headers[] = { subject, NULL };
	pthread_mutex_lock(&a->client_lock);
	rc = os_get(a->client, "identity", "/auth/tokens", headers, &doc, err);
	pthread_mutex_unlock(&a->client_lock);
	memset(subject, 0, hlen);
	free(subject);
	if (rc == VLT_ENOENT) { /* Keystone: no such token (invalid, expired, revoked) */
		rc = vlt_err_set(err, VLT_EFORBIDDEN, "the token is not valid");
	} else if (rc < 0) {
		char why[VLT_ERR_MSG_MAX];
		snprintf(why, sizeof(why), "%s", err->msg);
		rc = vlt_err_set(err, VLT_EBACKEND, "cannot validate the token with Keystone: %.400s",
				 why);
	}
	if (rc == 0)
		rc = identity_of(doc, who, err);
	json_decref(doc);
	return rc;
}

int vlt__auth_identify(vlt_auth_t *a, const char *token, vlt_identity_t *who, vlt_err_t *err)
{
	time_t now = time(NULL);
	bool hit = false;

	if (token == NULL || token[0] == '\0')
		return vlt_err_set(err, VLT_EFORBIDDEN, "no X-Auth-Token");
	if (strlen(token) > 8192 || a->client == NULL)
		return vlt_err_set(err, VLT_EFORBIDDEN, "the token is not valid");
	if (a->cache != NULL) {
		pthread_mutex_lock(&a->cache_lock);
		hit = vlt__auth_cache_get(a->cache, token, now, who);
		pthread_mutex_unlock(&a->cache_lock);
	}
	if (hit)
		return 0;
	int rc = validate(a, token, who, err);
	if (rc == 0 && who->expires != 0 && who->expires <= now)
		rc = vlt_err_set(err, VLT_EFORBIDDEN, "the token has expired");
	if (rc == 0 && a->cache != NULL) {
		pthread_mutex_lock(&a->cache_lock);
		vlt__auth_cache_put(a->cache, token, now, who); /* not cached: asked again */
		pthread_mutex_unlock(&a->cache_lock);
	}
	return rc; /* a 503 is logged by the HTTP layer */
}
