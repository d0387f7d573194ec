/*
 * os_client.h - what every OpenStack source shares: Keystone v3
 * authentication (password or application credential, project and domain
 * scope, or a token given), the service catalog (by service type,
 * interface and region), and JSON requests over libcurl with timeouts,
 * retries with backoff on connection failures and 5xx/429, and a new token
 * on 401. Linked into each source module (it sees only the public
 * headers, like the module), and into the `valet` client, which fills an
 * os_auth_t from the OS_* environment instead of settings and sends its
 * requests with os_request.
 *
 * No secret reaches a log line or an error message: passwords, application
 * credential secrets and tokens stay in the client.
 *
 * Not thread-safe: a source calls it from its collect only, and the core
 * never runs two collects of one source at once. Concurrency is within a
 * call: os_get_many keeps several GETs in flight from the calling thread.
 */
#ifndef VALET_OS_CLIENT_H
#define VALET_OS_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include <valet/core.h>
#include <valet/errors.h>

/* How to reach the cloud: the settings of a source's own group. Strings owned. */
typedef struct os_auth {
	char *auth_url;	      /* Keystone's v3 root, e.g. "http://127.0.0.1:5000/v3" */
	char *username;	      /* password authentication ... */
	char *password;
	char *user_domain;    /* "Default" */
	char *app_cred_id;    /* ... or an application credential */
	char *app_cred_secret;
	char *project;	      /* the scope (password authentication) */
	char *project_domain; /* "Default" */
	char *region;	      /* NULL: any region */
	char *interface;      /* "public" (or "internal", "admin") */
	char *cafile;	      /* NULL: the system's certificates */
	char *token;	      /* a token given (OS_TOKEN): sent as is, never renewed;
				 credentials are then not needed, and auth_url only
				 for the catalog */
	int64_t timeout_ms;   /* each request, connection included; 10000 */
	int64_t retries;      /* further attempts after a failure that may pass; 3 */
	int64_t parallel;     /* GETs of os_get_many in flight at once, 1..64; 8 */
} os_auth_t;

/*
 * os_auth_read - the settings auth_url, username, password, user_domain,
 * application_credential_id, application_credential_secret, project,
 * project_domain, region, interface, cafile, timeout_ms, retries, parallel of the
 * module's group (docs/sources-openstack.md). Either a username and
 * password or an application credential is required.
 * RET 0, VLT_ECONFIG naming the setting, VLT_ENOMEM. On failure a is freed.
 */
int os_auth_read(const vlt_core_t *core, os_auth_t *a, vlt_err_t *err);
void os_auth_free(os_auth_t *a);

/* What each field os_auth_check checks is called where it came from, for its messages. */
typedef struct os_auth_names {
	const char *auth_url, *username, *password, *app_cred_id, *app_cred_secret, *project,
		*interface;
} os_auth_names_t;
/* A source's settings: "setting 'auth_url'", ... */
extern const os_auth_names_t os_auth_setting_names;

/*
 * os_auth_check - a token given (auth_url is then optional: only the
 * catalog needs it), or an auth_url with either a username and password
 * and a project or an application credential; an interface Keystone
 * knows. RET 0, or VLT_ECONFIG naming the field as names calls it.
 */
int os_auth_check(const os_auth_t *a, const os_auth_names_t *names, vlt_err_t *err);

typedef struct os_client os_client_t;

/*
 * OUT c - new, owned by the caller (os_client_free); takes a (its strings)
 * even on failure. No request yet. core may be NULL (the `valet` client):
 * nothing is logged then.
 */
int os_client_new(os_client_t **c, os_auth_t *a, const vlt_core_t *core, vlt_err_t *err);
void os_client_free(os_client_t *c);
/* os_auth_read, then os_client_new: a source's client from its own settings. */
int os_client_open(os_client_t **c, const vlt_core_t *core, vlt_err_t *err);
/* The region setting (borrowed), or NULL. */
const char *os_client_region(const os_client_t *c);

/*
 * os_get - GET path (starting with '/', relative to the endpoint of
 * service_type in the catalog) with extra headers (NULL-terminated "Name:
 * value" lines, e.g. an OpenStack-API-Version; may be NULL). Authenticates
 * first when no valid token is held.
 * OUT doc - the body as JSON, a new reference.
 * RET 0; VLT_ENOENT (404); VLT_EFORBIDDEN (403, or 401 after a new token);
 *     VLT_EBACKEND (unreachable, 5xx after the retries, a body that is not
 *     JSON, the service not in the catalog); err names the URL and why.
 */
int os_get(os_client_t *c, const char *service_type, const char *path,
	   const char *const *headers, json_t **doc, vlt_err_t *err);

#define OS_MISSING_OK 1u /* os_get_many: a 404 gives a NULL document, not an error */

/*
 * os_get_many - n GETs of service_type (paths as for os_get), at most the
 * parallel setting in flight at once over one libcurl multi handle, each
 * with os_get's token renewal, retries with backoff, timeout and errors.
 * flags: 0 or OS_MISSING_OK.
 * OUT docs - n new references (docs[i] answers paths[i]; NULL for a 404
 *     with OS_MISSING_OK); all NULL on failure.
 * RET 0, or the first error os_get would give for one of them (err names
 *     its URL); the GETs still in flight are then abandoned.
 */
int os_get_many(os_client_t *c, const char *service_type, const char *const *paths, size_t n,
		const char *const *headers, unsigned flags, json_t **docs, vlt_err_t *err);

#define OS_PAGE 1000 /* items per page of os_get_all */

/*
 * os_get_all - a list that pages by limit and marker (Nova's hypervisors,
 * flavors and servers, Neutron's segments): GET path with limit=OS_PAGE,
 * then after the marker_field of each page's last item, until a page is
 * short. key: the list's member in each answer ("hypervisors").
 * OUT all - one new array of every page's items.
 * RET 0, or os_get's error.
 */
int os_get_all(os_client_t *c, const char *service_type, const char *path, const char *key,
	       const char *marker_field, const char *const *headers, json_t **all, vlt_err_t *err);

/* The endpoint of service_type (borrowed until the next request), or NULL with err. */
const char *os_endpoint(os_client_t *c, const char *service_type, vlt_err_t *err);
/*
 * os_service_endpoint - os_endpoint, and when no service has that type, the
 * endpoint of the service called service_name (may be NULL): upstream
 * Valet registered itself as type "placement", name "valet".
 */
const char *os_service_endpoint(os_client_t *c, const char *service_type,
				const char *service_name, vlt_err_t *err);

/*
 * os_request - one request of any method but HEAD to url, with body (JSON
 * text, or NULL) and extra headers as for os_get. With a token given, it
 * is sent; with credentials, a token is taken first when none is valid,
 * and once more after a 401; with neither, the request goes without one.
 * One attempt otherwise: the caller decides whether a write may be sent
 * again.
 * OUT status - the HTTP status; text - the body (malloc'd, NUL-terminated,
 *     "" when empty), owned by the caller.
 * RET 0 whatever the status; VLT_EBACKEND when nothing answered (err names
 *     the URL and why); Keystone's errors as for os_get.
 */
int os_request(os_client_t *c, const char *method, const char *url, const char *body,
	       const char *const *headers, long *status, char **text, vlt_err_t *err);

/* Keystone's "2026-12-03T07:20:10.000000Z" as seconds since the epoch; 0 when unreadable. */
time_t os_parse_time(const char *s);

#endif /* VALET_OS_CLIENT_H */
