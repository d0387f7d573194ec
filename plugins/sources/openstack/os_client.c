/*
 * os_client.c - Keystone v3 tokens, the catalog, and GET requests with
 * retries, for the OpenStack sources. Every GET goes through one loop over
 * libcurl's multi interface (os_get_many; os_get is its case of one), so a
 * single GET and many concurrent ones retry, renew the token and fail in
 * the same words.
 */
#define _DEFAULT_SOURCE /* timegm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "os_client.h"

#define TOKEN_MARGIN_S 60   /* renew a token this long before it expires */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 2000
#define BODY_MAX (64u << 20) /* larger answers are refused, not buffered */

/* A log line through the module's core; the `valet` client has none and logs nothing. */
#define OS_LOG(c, level, ...)                                                  \
	do {                                                                   \
		if ((c)->core != NULL)                                         \
			(c)->core->log((c)->core, (level), __VA_ARGS__);       \
	} while (0)

struct os_client {
	os_auth_t auth;
	const vlt_core_t *core;
	CURL *curl;	  /* Keystone's requests */
	CURLM *multi;	  /* the GETs' (os_get_many), with the connections it keeps; NULL until one */
	char *token;	 /* the X-Subject-Token; never logged */
	uint64_t token_gen; /* how many tokens were taken: a GET's 401 renews only its own */
	time_t expires;	 /* when it expires (0: unknown) */
	json_t *catalog; /* token.catalog */
};

/* ---------------------------------------------------------------- settings */

static int want_str(const vlt_core_t *core, const char *key, const char *dflt, char **out,
		    vlt_err_t *err)
{
	return core->cfg_str(core, key, dflt, out, err);
}

const os_auth_names_t os_auth_setting_names = {
	.auth_url = "setting 'auth_url'",
	.username = "setting 'username'",
	.password = "setting 'password'",
	.app_cred_id = "setting 'application_credential_id'",
	.app_cred_secret = "setting 'application_credential_secret'",
	.project = "setting 'project'",
	.interface = "setting 'interface'",
};

static int check_credentials(const os_auth_t *a, const os_auth_names_t *nm, vlt_err_t *err)
{
	bool by_password = a->username != NULL || a->password != NULL;
	bool by_app_cred = a->app_cred_id != NULL || a->app_cred_secret != NULL;

	if (by_password == by_app_cred)
		return vlt_err_set(err, VLT_ECONFIG, "give either %s and %s, or %s and %s",
				   nm->username, nm->password, nm->app_cred_id,
				   nm->app_cred_secret);
	if (by_password && (a->username == NULL || a->password == NULL))
		return vlt_err_set(err, VLT_ECONFIG, "%s: missing (with %s)",
				   a->username == NULL ? nm->username : nm->password,
				   a->username == NULL ? nm->password : nm->username);
	if (by_app_cred && (a->app_cred_id == NULL || a->app_cred_secret == NULL))
		return vlt_err_set(err, VLT_ECONFIG, "%s: missing (with %s)",
				   a->app_cred_id == NULL ? nm->app_cred_id : nm->app_cred_secret,
				   a->app_cred_id == NULL ? nm->app_cred_secret : nm->app_cred_id);
	if (by_password && a->project == NULL)
		return vlt_err_set(err, VLT_ECONFIG,
				   "%s: missing (the project a password token is scoped to)",
				   nm->project);
	return 0;
}

int os_auth_check(const os_auth_t *a, const os_auth_names_t *nm, vlt_err_t *err)
{
	if (a->token == NULL && (a->auth_url == NULL || a->auth_url[0] == '\0'))
		return vlt_err_set(err, VLT_ECONFIG,
				   "%s: missing (Keystone's v3 root, e.g. "
				   "\"http://keystone:5000/v3\")",
				   nm->auth_url);
	if (a->token == NULL && check_credentials(a, nm, err) < 0)
		return err->code;
	if (a->interface == NULL || (strcmp(a->interface, "public") != 0 &&
				     strcmp(a->interface, "internal") != 0 &&
				     strcmp(a->interface, "admin") != 0))
		return vlt_err_set(err, VLT_ECONFIG, "%s: '%s' is not public, internal or admin",
				   nm->interface, a->interface != NULL ? a->interface : "");
	return 0;
}

/* The settings only a source has. */
static int check_limits(const os_auth_t *a, vlt_err_t *err)
{
	if (a->timeout_ms < 1 || a->timeout_ms > 600000)
		return vlt_err_set(err, VLT_ECONFIG,
				   "setting 'timeout_ms': must be between 1 and 600000");
	if (a->retries < 0 || a->retries > 10)
		return vlt_err_set(err, VLT_ECONFIG, "setting 'retries': must be between 0 and 10");
	if (a->parallel < 1 || a->parallel > 64)
		return vlt_err_set(err, VLT_ECONFIG,
				   "setting 'parallel': must be between 1 and 64 (1: one request "
				   "at a time)");
	return 0;
}

int os_auth_read(const vlt_core_t *core, os_auth_t *a, vlt_err_t *err)
{
	int rc;

	memset(a, 0, sizeof(*a));
	if ((rc = want_str(core, "auth_url", NULL, &a->auth_url, err)) < 0 ||
	    (rc = want_str(core, "username", NULL, &a->username, err)) < 0 ||
	    (rc = want_str(core, "password", NULL, &a->password, err)) < 0 ||
	    (rc = want_str(core, "user_domain", "Default", &a->user_domain, err)) < 0 ||
	    (rc = want_str(core, "application_credential_id", NULL, &a->app_cred_id, err)) < 0 ||
	    (rc = want_str(core, "application_credential_secret", NULL, &a->app_cred_secret,
			   err)) < 0 ||
	    (rc = want_str(core, "project", NULL, &a->project, err)) < 0 ||
	    (rc = want_str(core, "project_domain", "Default", &a->project_domain, err)) < 0 ||
	    (rc = want_str(core, "region", NULL, &a->region, err)) < 0 ||
	    (rc = want_str(core, "interface", "public", &a->interface, err)) < 0 ||
	    (rc = want_str(core, "cafile", NULL, &a->cafile, err)) < 0 ||
	    (rc = core->cfg_int(core, "timeout_ms", 10000, &a->timeout_ms, err)) < 0 ||
	    (rc = core->cfg_int(core, "retries", 3, &a->retries, err)) < 0 ||
	    (rc = core->cfg_int(core, "parallel", 8, &a->parallel, err)) < 0 ||
	    (rc = os_auth_check(a, &os_auth_setting_names, err)) < 0 ||
	    (rc = check_limits(a, err)) < 0) {
		os_auth_free(a);
		return rc;
	}
	/* "http://host:5000/v3/" and ".../v3" name the same root */
	size_t n = strlen(a->auth_url);
	while (n > 0 && a->auth_url[n - 1] == '/')
		a->auth_url[--n] = '\0';
	return 0;
}

void os_auth_free(os_auth_t *a)
{
	char **all[] = { &a->auth_url, &a->username, &a->password, &a->user_domain,
			 &a->app_cred_id, &a->app_cred_secret, &a->project, &a->project_domain,
			 &a->region, &a->interface, &a->cafile, &a->token };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		free(*all[i]);
		*all[i] = NULL;
	}
}

/* ---------------------------------------------------------------- HTTP */

struct buf {
	char *p;
	size_t n;
	bool too_big;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t len = size * nmemb;

	if (b->n + len > BODY_MAX) {
		b->too_big = true;
		return 0;
	}
	char *grown = realloc(b->p, b->n + len + 1);
	if (grown == NULL)
		return 0;
	memcpy(grown + b->n, data, len);
	b->p = grown;
	b->n += len;
	b->p[b->n] = '\0';
	return len;
}

/* Keeps the value of X-Subject-Token (Keystone's new token). */
static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	static const char name[] = "x-subject-token:";
	char **token = arg;
	size_t len = size * nmemb;

	if (len > sizeof(name) - 1 && strncasecmp(data, name, sizeof(name) - 1) == 0) {
		const char *v = data + sizeof(name) - 1;
		size_t vlen = len - (sizeof(name) - 1);

		while (vlen > 0 && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
			vlen--;
		free(*token);
		*token = strndup(v, vlen);
	}
	return len;
}

/*
 * The request's header lines: Accept, Content-Type with a body, the token
 * when asked and held, then the caller's. A new list (curl_slist_free_all).
 */
static struct curl_slist *request_headers(const os_client_t *c, bool with_body, bool with_token,
					  const char *const *headers)
{
	struct curl_slist *hl = curl_slist_append(NULL, "Accept: application/json");
	char auth[8192];

	if (with_body)
		hl = curl_slist_append(hl, "Content-Type: application/json");
	if (with_token && c->token != NULL) {
		snprintf(auth, sizeof(auth), "X-Auth-Token: %s", c->token);
		hl = curl_slist_append(hl, auth); /* copied: the buffer is wiped */
		memset(auth, 0, sizeof(auth));
	}
	for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
		hl = curl_slist_append(hl, headers[i]);
	return hl;
}

/* Every option of one request on handle h (reset first): the same for os_get and the token. */
static void set_request(const os_client_t *c, CURL *h, const char *method, const char *url,
			struct curl_slist *hl, struct buf *b)
{
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)c->auth.timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	/* libcurl's defaults, said out loud: https is verified, peer and name, always */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->auth.cafile != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->auth.cafile);
}

/* A transport failure of method url as an error. RET VLT_EBACKEND. */
static int transport_error(const char *method, const char *url, CURLcode cc, const struct buf *b,
			   vlt_err_t *err)
{
	return vlt_err_set(err, VLT_EBACKEND, "%s %s: %s", method, url,
			   b->too_big ? "answer larger than 64 MiB" : curl_easy_strerror(cc));
}

/*
 * One request on the client's own handle, with the token when with_token:
 * RET 0 with *status and the body in b, or VLT_EBACKEND.
 */
static int exchange(os_client_t *c, const char *method, const char *url, const char *body,
		    bool with_token, long *status, struct buf *b, char **subject_token,
		    vlt_err_t *err)
{
	struct curl_slist *hl = request_headers(c, body != NULL, with_token, NULL);
	CURLcode cc;

	set_request(c, c->curl, method, url, hl, b);
	if (subject_token != NULL) {
		curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, subject_token);
	}
	if (body != NULL)
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	cc = curl_easy_perform(c->curl);
	curl_slist_free_all(hl);
	if (cc != CURLE_OK)
		return transport_error(method, url, cc, b, err);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	return 0;
}

/* What an OpenStack error body says: {"error": {"message"}} or {"<kind>": {"message"}}. */
static void error_text(const struct buf *b, char *out, size_t size)
{
	json_t *doc = b->p != NULL ? json_loads(b->p, 0, NULL) : NULL;
	const char *msg = NULL;
	const char *k;
	json_t *v;

	json_object_foreach(doc, k, v) {
		msg = json_string_value(json_object_get(v, "message"));
		if (msg == NULL)
			msg = json_string_value(json_object_get(v, "detail"));
		if (msg != NULL)
			break;
	}
	snprintf(out, size, "%.300s", msg != NULL ? msg : b->p != NULL ? b->p : "");
	json_decref(doc);
}

/* ---------------------------------------------------------------- tokens */

static json_t *auth_body(const os_auth_t *a)
{
	json_t *identity;

	if (a->app_cred_id != NULL)
		return json_pack("{s:{s:{s:[s], s:{s:s, s:s}}}}", "auth", "identity", "methods",
				 "application_credential", "application_credential", "id",
				 a->app_cred_id, "secret", a->app_cred_secret);
	identity = json_pack("{s:[s], s:{s:{s:s, s:{s:s}, s:s}}}", "methods", "password",
			     "password", "user", "name", a->username, "domain", "name",
			     a->user_domain, "password", a->password);
	return json_pack("{s:{s:o, s:{s:{s:s, s:{s:s}}}}}", "auth", "identity", identity, "scope",
			 "project", "name", a->project, "domain", "name", a->project_domain);
}

time_t os_parse_time(const char *s)
{
	struct tm tm = { 0 };

	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
				&tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* A token given: Keystone's catalog for it (GET /auth/catalog); it is never renewed. */
static int catalog_of_token(os_client_t *c, vlt_err_t *err)
{
	char url[1024], why[320];
	struct buf b = { 0 };
	long status = 0;

	if (c->auth.auth_url == NULL)
		return vlt_err_set(err, VLT_ECONFIG,
				   "no Keystone to read the catalog from: a token alone needs the "
				   "service's URL");
	snprintf(url, sizeof(url), "%s/auth/catalog", c->auth.auth_url);
	int rc = exchange(c, "GET", url, NULL, true, &status, &b, NULL, err);
	if (rc == 0 && status != 200) {
		error_text(&b, why, sizeof(why));
		rc = vlt_err_set(err, status == 401 ? VLT_EFORBIDDEN : VLT_EBACKEND,
				 "Keystone %s: %ld%s%s", url, status, why[0] ? ": " : "", why);
	}
	json_t *doc = rc == 0 ? json_loads(b.p, 0, NULL) : NULL;
	json_t *catalog = json_object_get(doc, "catalog");
	if (rc == 0 && !json_is_array(catalog))
		rc = vlt_err_set(err, VLT_EBACKEND, "Keystone %s: the answer holds no catalog",
				 url);
	if (rc == 0) {
		json_decref(c->catalog);
		c->catalog = json_incref(catalog);
	}
	json_decref(doc);
	free(b.p);
	return rc;
}

/* A new token and its catalog for the credentials; with a token given, its catalog only. */
static int authenticate(os_client_t *c, vlt_err_t *err)
{
	if (c->auth.token != NULL)
		return catalog_of_token(c, err);

	char url[1024], why[320];
	json_t *req = auth_body(&c->auth);
	char *text = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
	struct buf b = { 0 };
	char *token = NULL;
	long status = 0;
	int rc;

	json_decref(req);
	if (text == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	snprintf(url, sizeof(url), "%s/auth/tokens", c->auth.auth_url);
	rc = exchange(c, "POST", url, text, false, &status, &b, &token, err);
	memset(text, 0, strlen(text)); /* the password or secret */
	free(text);
	if (rc == 0 && (status != 201 || token == NULL)) {
		error_text(&b, why, sizeof(why));
		rc = vlt_err_set(err, status == 401 ? VLT_EFORBIDDEN : VLT_EBACKEND,
				 "Keystone %s: %ld%s%s", url, status, why[0] ? ": " : "", why);
	}
	json_t *doc = rc == 0 ? json_loads(b.p, 0, NULL) : NULL;
	json_t *catalog = json_object_get(json_object_get(doc, "token"), "catalog");
	if (rc == 0 && !json_is_array(catalog))
		rc = vlt_err_set(err, VLT_EBACKEND, "Keystone %s: the token carries no catalog",
				 url);
	if (rc == 0) {
		free(c->token);
		c->token = token;
		c->token_gen++;
		token = NULL;
		c->expires = os_parse_time(json_string_value(
			json_object_get(json_object_get(doc, "token"), "expires_at")));
		json_decref(c->catalog);
		c->catalog = json_incref(catalog);
		OS_LOG(c, VLT_LOG_DEBUG, "Keystone %s: new token", url);
	}
	free(token);
	json_decref(doc);
	free(b.p);
	return rc;
}

static bool token_valid(const os_client_t *c)
{
	return c->token != NULL && (c->expires == 0 || time(NULL) + TOKEN_MARGIN_S < c->expires);
}

/* ---------------------------------------------------------------- the catalog */

static bool endpoint_matches(const os_auth_t *a, const json_t *ep)
{
	const char *iface = json_string_value(json_object_get(ep, "interface"));
	const char *region = json_string_value(json_object_get(ep, "region_id"));

	if (region == NULL)
		region = json_string_value(json_object_get(ep, "region"));
	return iface != NULL && strcmp(iface, a->interface) == 0 &&
	       (a->region == NULL || (region != NULL && strcmp(region, a->region) == 0));
}

/*
 * The URL of the first endpoint, of the interface and region asked for, of
 * a service whose member key is value ("type" or "name").
 */
static const char *catalog_find(const os_client_t *c, const char *key, const char *value)
{
	size_t i, j;
	json_t *svc, *ep;

	json_array_foreach(c->catalog, i, svc) {
		const char *v = json_string_value(json_object_get(svc, key));

		if (v == NULL || strcmp(v, value) != 0)
			continue;
		json_array_foreach(json_object_get(svc, "endpoints"), j, ep) {
			const char *url = json_string_value(json_object_get(ep, "url"));

			if (url != NULL && endpoint_matches(&c->auth, ep))
				return url;
		}
	}
	return NULL;
}

const char *os_service_endpoint(os_client_t *c, const char *service_type,
				const char *service_name, vlt_err_t *err)
{
	if ((!token_valid(c) || c->catalog == NULL) && authenticate(c, err) < 0)
		return NULL;
	const char *url = catalog_find(c, "type", service_type);
	if (url == NULL && service_name != NULL)
		url = catalog_find(c, "name", service_name);
	if (url != NULL)
		return url;
	char or_name[300] = "";
	if (service_name != NULL)
		snprintf(or_name, sizeof(or_name), " or name '%s'", service_name);
	vlt_err_set(err, VLT_EBACKEND, "the catalog of %s has no %s endpoint of type '%s'%s%s%s",
		    c->auth.auth_url, c->auth.interface, service_type, or_name,
		    c->auth.region != NULL ? " in region " : "",
		    c->auth.region != NULL ? c->auth.region : "");
	return NULL;
}

const char *os_endpoint(os_client_t *c, const char *service_type, vlt_err_t *err)
{
	return os_service_endpoint(c, service_type, NULL, err);
}

/* ---------------------------------------------------------------- requests */

int os_client_new(os_client_t **out, os_auth_t *a, const vlt_core_t *core, vlt_err_t *err)
{
	os_client_t *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->curl = curl_easy_init()) == NULL) {
		free(c);
		os_auth_free(a);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory (libcurl)");
	}
	c->auth = *a;
	memset(a, 0, sizeof(*a));
	c->core = core;
	if (c->auth.token != NULL && (c->token = strdup(c->auth.token)) == NULL) {
		os_client_free(c);
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	}
	*out = c;
	return 0;
}

int os_client_open(os_client_t **c, const vlt_core_t *core, vlt_err_t *err)
{
	os_auth_t auth;
	int rc = os_auth_read(core, &auth, err);

	return rc < 0 ? rc : os_client_new(c, &auth, core, err);
}

const char *os_client_region(const os_client_t *c)
{
	return c->auth.region;
}

void os_client_free(os_client_t *c)
{
	if (c == NULL)
		return;
	if (c->token != NULL)
		memset(c->token, 0, strlen(c->token));
	free(c->token);
	json_decref(c->catalog);
	curl_easy_cleanup(c->curl);
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	os_auth_free(&c->auth);
	free(c);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Worth trying again: the service is restarting or overloaded. */
static bool transient(long status)
{
	return status == 429 || status >= 500;
}

/* The answer of one GET as a code; *doc set on 2xx (and NULL on a 404 that may be). */
static int answer(const char *url, long status, const struct buf *b, unsigned flags, json_t **doc,
		  vlt_err_t *err)
{
	char why[320];
	json_error_t je;

	if (status >= 200 && status < 300) {
		*doc = json_loads(b->p != NULL ? b->p : "", 0, &je);
		return *doc != NULL ? 0
				    : vlt_err_set(err, VLT_EBACKEND, "GET %s: not JSON: %s", url,
						  je.text);
	}
	if (status == 404 && (flags & OS_MISSING_OK)) {
		*doc = NULL;
		return 0;
	}
	error_text(b, why, sizeof(why));
	return vlt_err_set(err,
			   status == 404   ? VLT_ENOENT
			   : status == 403 || status == 401 ? VLT_EFORBIDDEN
							    : VLT_EBACKEND,
			   "GET %s: %ld%s%s", url, status, why[0] ? ": " : "", why);
}

/* ---------------------------------------------------------------- concurrent GETs */

/* One GET of os_get_many: where it goes, how its attempts went, its answer so far. */
struct get_one {
	size_t index;	     /* in the caller's paths and docs */
	char url[2048];	     /* of its last attempt */
	struct buf b;	     /* the body of its last attempt */
	struct curl_slist *hl; /* while in flight */
	CURL *h;	     /* while in flight (borrowed from the call's handles) */
	int64_t attempt;     /* attempts that failed and may pass, so far */
	bool renewed;	     /* it already asked for a new token after a 401 */
	uint64_t token_gen;  /* the token it went with */
	long backoff;	     /* before its next attempt, ms */
	int64_t start_at;    /* monotonic ms: not before (a retry's backoff) */
	struct get_one *next_wait; /* in the list of those waiting to start again */
};

/* What one call of os_get_many has on its hands. Owned by os_get_many. */
struct get_run {
	os_client_t *c;
	const char *service_type;
	const char *const *paths;
	const char *const *headers;
	unsigned flags;
	json_t **docs;
	struct get_one *all;   /* one per path */
	size_t n, started, done;
	struct get_one *waiting; /* to start again, in no particular order */
	CURL **free_handles;	 /* a stack of handles not in flight */
	size_t n_free, n_handles;
};

/* Start g on a free handle: a new URL (the endpoint may have moved with a new token). */
static int start_one(struct get_run *r, struct get_one *g, vlt_err_t *err)
{
	os_client_t *c = r->c;
	const char *base = os_endpoint(c, r->service_type, err);

	if (base == NULL)
		return err->code;
	snprintf(g->url, sizeof(g->url), "%s%s", base, r->paths[g->index]);
	free(g->b.p);
	g->b = (struct buf){ 0 };
	g->hl = request_headers(c, false, true, r->headers);
	g->token_gen = c->token_gen;
	g->h = r->free_handles[--r->n_free];
	set_request(c, g->h, "GET", g->url, g->hl, &g->b);
	curl_easy_setopt(g->h, CURLOPT_PRIVATE, (void *)g);
	if (curl_multi_add_handle(c->multi, g->h) != CURLM_OK)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory (libcurl)");
	return 0;
}

/* The next GET that may start now: one whose backoff passed, else one not started yet. */
static struct get_one *next_ready(struct get_run *r, int64_t now)
{
	for (struct get_one **at = &r->waiting; *at != NULL; at = &(*at)->next_wait) {
		struct get_one *g = *at;

		if (g->start_at <= now) {
			*at = g->next_wait;
			g->next_wait = NULL;
			return g;
		}
	}
	if (r->started < r->n) {
		struct get_one *g = &r->all[r->started++];

		g->backoff = BACKOFF_FIRST_MS;
		return g;
	}
	return NULL;
}

/* How long the loop may wait for an answer before a retry is due, ms. */
static long wait_ms(const struct get_run *r, int64_t now)
{
	long ms = 1000;

	for (const struct get_one *g = r->waiting; g != NULL; g = g->next_wait) {
		int64_t left = g->start_at - now;

		if (left < ms)
			ms = left > 0 ? (long)left : 0;
	}
	return ms;
}

static void to_wait(struct get_run *r, struct get_one *g, int64_t start_at)
{
	g->start_at = start_at;
	g->next_wait = r->waiting;
	r->waiting = g;
}

/* Take g's handle out of the loop, back to the free ones. */
static void stop_one(struct get_run *r, struct get_one *g)
{
	curl_multi_remove_handle(r->c->multi, g->h);
	r->free_handles[r->n_free++] = g->h;
	g->h = NULL;
	curl_slist_free_all(g->hl);
	g->hl = NULL;
}

/*
 * g's attempt ended (cc: libcurl's result). What os_get always did: one
 * new token after a 401, again after a backoff on no answer, a 5xx or a
 * 429 up to the retries, else its answer. RET 0 (answered, or to try
 * again) or its error.
 */
static int judge(struct get_run *r, struct get_one *g, CURLcode cc, vlt_err_t *err)
{
	os_client_t *c = r->c;
	long status = 0;
	vlt_err_t why = { 0 };
	int rc = cc == CURLE_OK ? 0 : transport_error("GET", g->url, cc, &g->b, &why);

	if (rc == 0)
		curl_easy_getinfo(g->h, CURLINFO_RESPONSE_CODE, &status);
	stop_one(r, g);
	if (rc == 0 && status == 401 && !g->renewed) {
		/* revoked or expired early: one new token (unless another GET got it), then again */
		if (g->token_gen == c->token_gen && c->token != NULL && c->auth.token == NULL) {
			free(c->token);
			c->token = NULL;
		}
		g->renewed = true;
		to_wait(r, g, 0);
		return 0;
	}
	bool again = rc < 0 || transient(status);
	if (!again || g->attempt >= c->auth.retries) {
		if (rc == 0)
			rc = answer(g->url, status, &g->b, r->flags, &r->docs[g->index], &why);
		else if (g->attempt > 0)
			OS_LOG(c, VLT_LOG_WARNING, "%s (after %lld attempts)", why.msg,
				     (long long)g->attempt + 1);
		free(g->b.p);
		g->b = (struct buf){ 0 };
		r->done += rc == 0;
		if (rc < 0)
			*err = why;
		return rc;
	}
	OS_LOG(c, VLT_LOG_INFO, "GET %s: %s; again in %ld ms", g->url,
		     rc < 0 ? why.msg : "the service is busy", g->backoff);
	g->attempt++;
	to_wait(r, g, now_ms() + g->backoff);
	g->backoff = g->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : g->backoff * 2;
	return 0;
}

/* Start what may start, let libcurl work, judge what ended. RET 0 or the first error. */
static int run_round(struct get_run *r, vlt_err_t *err)
{
	int64_t now = now_ms();
	struct get_one *g;
	CURLMsg *msg;
	int running = 0, left = 0, rc = 0;
	bool ended = false; /* some GET ended: start the next before waiting */

	while (rc == 0 && r->n_free > 0 && (g = next_ready(r, now)) != NULL)
		rc = start_one(r, g, err);
	if (rc == 0 && curl_multi_perform(r->c->multi, &running) != CURLM_OK)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory (libcurl)");
	while (rc == 0 && (msg = curl_multi_info_read(r->c->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURLcode cc = msg->data.result;
		char *priv = NULL;

		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		rc = judge(r, (struct get_one *)priv, cc, err);
		ended = true;
	}
	if (rc == 0 && !ended && r->done < r->n)
		curl_multi_poll(r->c->multi, NULL, 0, (int)wait_ms(r, now_ms()), NULL);
	return rc;
}

static void run_free(struct get_run *r)
{
	for (size_t i = 0; r->all != NULL && i < r->n; i++) {
		if (r->all[i].h != NULL)
			stop_one(r, &r->all[i]);
		free(r->all[i].b.p);
	}
	for (size_t i = 0; r->free_handles != NULL && i < r->n_free; i++)
		curl_easy_cleanup(r->free_handles[i]);
	free(r->free_handles);
	free(r->all);
}

static int run_init(struct get_run *r, vlt_err_t *err)
{
	size_t par = (size_t)r->c->auth.parallel < r->n ? (size_t)r->c->auth.parallel : r->n;

	if (r->c->multi == NULL && (r->c->multi = curl_multi_init()) == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory (libcurl)");
	r->all = calloc(r->n, sizeof(*r->all));
	r->free_handles = calloc(par, sizeof(*r->free_handles));
	if (r->all == NULL || r->free_handles == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	for (size_t i = 0; i < r->n; i++)
		r->all[i].index = i;
	for (r->n_handles = 0; r->n_handles < par; r->n_handles++) {
		if ((r->free_handles[r->n_free++] = curl_easy_init()) == NULL) {
			r->n_free--;
			return vlt_err_set(err, VLT_ENOMEM, "out of memory (libcurl)");
		}
	}
	return 0;
}

int os_get_many(os_client_t *c, const char *service_type, const char *const *paths, size_t n,
		const char *const *headers, unsigned flags, json_t **docs, vlt_err_t *err)
{
	struct get_run r = { .c = c, .service_type = service_type, .paths = paths,
			     .headers = headers, .flags = flags, .docs = docs, .n = n };
	int rc;

	for (size_t i = 0; i < n; i++)
		docs[i] = NULL;
	if (n == 0)
		return 0;
	rc = run_init(&r, err);
	while (rc == 0 && r.done < n)
		rc = run_round(&r, err);
	run_free(&r);
	for (size_t i = 0; rc < 0 && i < n; i++) {
		json_decref(docs[i]);
		docs[i] = NULL;
	}
	return rc;
}

int os_get(os_client_t *c, const char *service_type, const char *path,
	   const char *const *headers, json_t **doc, vlt_err_t *err)
{
	return os_get_many(c, service_type, &path, 1, headers, 0, doc, err);
}

/* ---------------------------------------------------------------- paged lists */

int os_get_all(os_client_t *c, const char *service_type, const char *path, const char *key,
	       const char *marker_field, const char *const *headers, json_t **all, vlt_err_t *err)
{
	char url[1024];
	const char *sep = strchr(path, '?') != NULL ? "&" : "?";
	json_t *out = json_array();
	int rc = out != NULL ? 0 : vlt_err_set(err, VLT_ENOMEM, "out of memory");

	snprintf(url, sizeof(url), "%s%slimit=%d", path, sep, OS_PAGE);
	while (rc == 0) {
		json_t *doc = NULL;

		if ((rc = os_get(c, service_type, url, headers, &doc, err)) < 0)
			break;
		json_t *page = json_object_get(doc, key);
		size_t n = json_array_size(page);
		const char *last = n > 0 ? json_string_value(json_object_get(
						   json_array_get(page, n - 1), marker_field))
					 : NULL;

		json_array_extend(out, page);
		if (n == OS_PAGE && last != NULL)
			snprintf(url, sizeof(url), "%s%slimit=%d&marker=%s", path, sep, OS_PAGE,
				 last);
		json_decref(doc);
		if (n < OS_PAGE || last == NULL)
			break;
	}
	if (rc < 0)
		json_decref(out);
	else
		*all = out;
	return rc;
}

/* ---------------------------------------------------------------- any request */

int os_request(os_client_t *c, const char *method, const char *url, const char *body,
	       const char *const *headers, long *status, char **text, vlt_err_t *err)
{
	/* a token is taken only with credentials; a token given is used as it is */
	bool takes_tokens = c->auth.auth_url != NULL && c->auth.token == NULL;
	struct buf b = { 0 };
	int rc = 0;

	*text = NULL;
	for (int attempt = 0; rc == 0; attempt++) {
		if (takes_tokens && !token_valid(c) && (rc = authenticate(c, err)) < 0)
			break;
		struct curl_slist *hl = request_headers(c, body != NULL, true, headers);
		set_request(c, c->curl, method, url, hl, &b);
		if (body != NULL)
			curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		CURLcode cc = curl_easy_perform(c->curl);
		curl_slist_free_all(hl);
		if (cc != CURLE_OK) {
			rc = transport_error(method, url, cc, &b, err);
			break;
		}
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
		if (*status != 401 || !takes_tokens || attempt > 0)
			break;
		free(c->token); /* revoked or expired early: one new token, then again */
		c->token = NULL;
		free(b.p);
		b = (struct buf){ 0 };
	}
	if (rc == 0 && b.p == NULL && (b.p = strdup("")) == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0)
		*text = b.p;
	else
		free(b.p);
	return rc;
}
