/*
 * api.c - the handlers of valetd's REST API and its route table.
 *
 * Documents follow upstream valet-api so that its clients (the Heat
 * plugin, the Nova filter, valet's own CLI) keep working: same keys, same
 * statuses, same error bodies.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <valet/errors.h>

#include "api.h"
#include "api_int.h"
#include "http.h"
#include "log.h"
#include "service.h"

#define API_VERSION_ID "v1.0"

const char *const vlt__api_v1_endpoints[] = { "decisions",    "groups", "placements", "plans",
					       "reservations", "status", NULL };

/*
 * One entry of the versions document. links is a new reference, taken
 * even on failure. RET a new reference or NULL.
 */
static json_t *version_doc(json_t *links)
{
	json_t *v = json_pack("{s:s, s:s, s:o}", "status", "CURRENT", "id", API_VERSION_ID,
			      "links", links);

	if (v == NULL)
		return NULL;
	return json_pack("{s:[o]}", "versions", v);
}

static json_t *self_link(const char *href)
{
	return json_pack("{s:s, s:s}", "href", href, "rel", "self");
}

/* GET / - the API versions, no authentication (upstream: pecan root). */
static int get_root(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	char url[512];
	char href[600];

	vlt__http_req_app_url(req, url, sizeof(url));
	snprintf(href, sizeof(href), "%s/v1/", url);
	json_t *doc = version_doc(json_pack("[o]", self_link(href)));
	if (doc == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	vlt__http_resp_json(resp, 200, doc);
	return 0;
}

/* GET /v1 - the same shape, one link per endpoint of version 1. */
static int get_v1(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	char url[512];
	char href[600];
	json_t *links = json_array();

	vlt__http_req_app_url(req, url, sizeof(url));
	for (size_t i = 0; links != NULL && vlt__api_v1_endpoints[i] != NULL; i++) {
		snprintf(href, sizeof(href), "%s/v1/%s/", url, vlt__api_v1_endpoints[i]);
		if (json_array_append_new(links, self_link(href)) != 0) {
			json_decref(links);
			links = NULL;
		}
	}
	json_t *doc = links != NULL ? version_doc(links) : NULL;
	if (doc == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	vlt__http_resp_json(resp, 200, doc);
	return 0;
}

/* ---- valet-api v1 */

vlt_service_t *vlt__api_service(const vlt_http_req_t *req)
{
	const vlt_api_t *api = req->app;

	return api->service;
}

/* ---- who calls, and what they may do (auth.h, auth_policy.h, docs/security.md) */

static const vlt_auth_t *auth_of(const vlt_http_req_t *req)
{
	const vlt_api_t *api = req->app;

	return api->auth;
}

/*
 * Under noauth, the project a client names (X-Project-Id, as
 * keystonemiddleware in front would set it; X-Tenant-Id too), and every
 * right: what valetd did before it validated tokens.
 */
static const char *header_project(const vlt_http_req_t *req)
{
	const char *t = vlt__http_req_header(req, "X-Project-Id");

	if (t == NULL || t[0] == '\0')
		t = vlt__http_req_header(req, "X-Tenant-Id");
	return t != NULL && t[0] != '\0' ? t : NULL;
}

static void noauth_caller(const vlt_http_req_t *req, struct vlt_api_caller *c)
{
	static const char *const roles[] = { "admin", "member", "reader", "service" };

	c->project = header_project(req);
	snprintf(c->who.project_id, sizeof(c->who.project_id), "%s",
		 c->project != NULL ? c->project : "");
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		vlt__identity_add_role(&c->who, roles[i]);
}

/* upstream's 401: text/plain, no JSON */
static int refuse_unauthenticated(vlt_http_resp_t *resp, vlt_err_t *err)
{
	resp->status = 401;
	resp->text = strdup("Authentication required");
	resp->content_type = "text/plain";
	if (resp->text == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	return 1;
}

/*
 * Who calls. RET 0 with c filled; 1 when resp holds the 401; < 0 when
 * Keystone cannot be asked (503).
 */
static int identify(const vlt_http_req_t *req, vlt_http_resp_t *resp, struct vlt_api_caller *c,
		    vlt_err_t *err)
{
	vlt_auth_t *auth = (vlt_auth_t *)auth_of(req);

	memset(c, 0, sizeof(*c));
	if (vlt__auth_strategy(auth) == VLT_AUTH_NOAUTH) {
		noauth_caller(req, c);
	} else {
		vlt_err_t why = { 0 };
		int rc = vlt__auth_identify(auth, vlt__http_req_header(req, "X-Auth-Token"),
					    &c->who, &why);

		if (rc == VLT_EFORBIDDEN) {
			vlt__log("auth", VLT_LOG_INFO, "%s %s: 401: %s", req->method, req->path,
				 why.msg);
			return refuse_unauthenticated(resp, err);
		}
		if (rc < 0) {
			*err = why;
			return rc;
		}
		c->keystone = true;
		c->project = c->who.project_id; /* never a header's or a body's */
	}
	c->all_projects = auth == NULL ||
			  vlt__policy_allows(vlt__auth_policy(auth), "all_projects", &c->who, NULL);
	return 0;
}

/* 403 naming the rule. RET 1 (resp holds it). */
static int refuse_by_rule(const vlt_http_req_t *req, vlt_http_resp_t *resp, const char *rule,
			  const struct vlt_api_caller *c, vlt_err_t *err)
{
	char msg[VLT_ERR_MSG_MAX];

	snprintf(msg, sizeof(msg),
		 "rule '%s' does not allow %s %.200s for user '%.64s' of project '%.64s' "
		 "(docs/security.md)",
		 rule, req->method, req->path, c->who.user_id[0] ? c->who.user_id : "-",
		 c->who.project_id[0] ? c->who.project_id : "-");
	json_t *body = vlt__http_error_body(403, msg);
	if (body == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	vlt__http_resp_json(resp, 403, body);
	return 1;
}

/* Does rule allow the identified caller c on a target of project target? 0, or 1 with the 403. */
static int check_rule(const vlt_http_req_t *req, vlt_http_resp_t *resp, const char *rule,
		      const char *target, const struct vlt_api_caller *c, vlt_err_t *err)
{
	if (auth_of(req) == NULL)
		return 0; /* no auth configured at all: as before */
	if (!vlt__policy_allows(vlt__auth_policy(auth_of(req)), rule, &c->who, target))
		return refuse_by_rule(req, resp, rule, c, err);
	return 0;
}

/*
 * May the caller apply rule to what it makes or lists (its own project's)?
 * RET 0: yes, c filled; 1: resp holds the 401 or 403; < 0: an error.
 */
int vlt__api_authorize(const vlt_http_req_t *req, vlt_http_resp_t *resp, const char *rule,
		       struct vlt_api_caller *c, vlt_err_t *err)
{
	const vlt_auth_t *auth = auth_of(req);
	const char *token = vlt__http_req_header(req, "X-Auth-Token");
	static const vlt_identity_t anonymous;

	/* a rule an operator opened to everyone ("@") needs no token */
	if (vlt__auth_strategy(auth) == VLT_AUTH_KEYSTONE && (token == NULL || token[0] == '\0') &&
	    vlt__policy_allows(vlt__auth_policy(auth), rule, &anonymous, NULL)) {
		memset(c, 0, sizeof(*c));
		c->keystone = true;
		c->project = c->who.project_id;
		return 0;
	}
	int rc = identify(req, resp, c, err);

	return rc != 0 ? rc : check_rule(req, resp, rule, c->who.project_id, c, err);
}

/*
 * authorize on the plan (or placement) the path names, owned by its
 * project. An unknown id is 404; so is another project's, unless the
 * caller sees every project: a caller learns nothing of another project's
 * data, not even that it exists.
 */
int vlt__api_authorize_owned(const vlt_http_req_t *req, vlt_http_resp_t *resp, const char *rule,
			     bool placement, struct vlt_api_caller *c, vlt_err_t *err)
{
	vlt_service_t *s = ((const vlt_api_t *)req->app)->service;
	json_t *owner = NULL;
	int rc = identify(req, resp, c, err);

	if (rc != 0 || auth_of(req) == NULL || s == NULL)
		return rc;
	rc = placement ? vlt__service_placement_owner(s, req->params[0], &owner, err)
		       : vlt__service_plan_owner(s, req->params[0], &owner, err);
	const char *project = json_string_value(owner);
	if (rc == VLT_ENOENT && c->all_projects)
		rc = 0; /* the service answers an unknown id itself, as without auth */
	if (rc == 0 && !c->all_projects && strcmp(project, c->who.project_id) != 0)
		rc = vlt_err_set(err, VLT_ENOENT, placement ? "Placement not found"
							     : "Plan not found");
	if (rc == 0)
		rc = check_rule(req, resp, rule, project, c, err);
	json_decref(owner);
	return rc;
}

/* The body a write needs: present, an object, no '$' keys, not too deep. */
int vlt__api_body_of(const vlt_http_req_t *req, const json_t **body, vlt_err_t *err)
{
	if (req->json == NULL)
		return vlt_err_set(err, VLT_EINVAL,
				   "request body: missing (expected a JSON object)");
	if (!json_is_object(req->json))
		return vlt_err_set(err, VLT_EINVAL, "request body: expected a JSON object");
	int rc = vlt__service_check_body(req->json, err);
	if (rc == 0)
		*body = req->json;
	return rc;
}

bool vlt__api_no_service(const vlt_http_req_t *req, vlt_err_t *err)
{
	if (vlt__api_service(req) != NULL)
		return false;
	vlt_err_set(err, VLT_EBACKEND, "the service is not running");
	return true;
}

/* Finish a handler: status and document on success, the code otherwise. */
int vlt__api_answer(vlt_http_resp_t *resp, int rc, int status, json_t *doc)
{
	if (rc < 0) {
		json_decref(doc);
		return rc;
	}
	if (doc != NULL)
		vlt__http_resp_json(resp, status, doc);
	else
		resp->status = status;
	return 0;
}

/*
 * Keep the members of doc's array key whose owner (owner_of) is the
 * caller's project; nothing to do when the caller sees every project.
 */
int vlt__api_keep_own(const vlt_http_req_t *req, const struct vlt_api_caller *c, json_t *doc,
		      const char *key,
		      const char *(*owner_of)(const json_t *item, const json_t *owners),
		      vlt_err_t *err)
{
	json_t *owners = NULL;
	json_t *items = json_object_get(doc, key);

	if (c->all_projects || auth_of(req) == NULL || !json_is_array(items))
		return 0;
	int rc = vlt__service_plan_owners(vlt__api_service(req), &owners, err);
	for (size_t i = json_array_size(items); rc == 0 && i-- > 0;) {
		const char *owner = owner_of(json_array_get(items, i), owners);

		if (owner == NULL || strcmp(owner, c->who.project_id) != 0)
			json_array_remove(items, i);
	}
	json_decref(owners);
	return rc;
}

const char *vlt__api_plan_owner(const json_t *plan, const json_t *owners)
{
	return json_string_value(
		json_object_get(owners, json_string_value(json_object_get(plan, "id"))));
}

static const char *placement_owner(const json_t *placement, const json_t *owners)
{
	return json_string_value(
		json_object_get(owners, json_string_value(json_object_get(placement, "plan_id"))));
}

static int plans_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	json_t *doc = NULL;
	int rc = vlt__api_authorize(req, resp, "plans_list", &c, err);

	if (rc != 0 || vlt__api_no_service(req, err))
		return rc != 0 ? GUARDED(rc) : err->code;
	rc = vlt__service_plans(vlt__api_service(req), &doc, err);
	if (rc == 0)
		rc = vlt__api_keep_own(req, &c, doc, "plans", vlt__api_plan_owner, err);
	return vlt__api_answer(resp, rc, 200, doc);
}

/*
 * The project a new plan is for: under keystone the token's, except for a
 * caller of every project (Heat's service user, an admin), whose body's
 * tenant_id names the project it acts for (Heat's plugin sends the stack's).
 */
const char *vlt__api_plan_project(const struct vlt_api_caller *c, const json_t *body)
{
	const char *named = json_string_value(json_object_get(body, "tenant_id"));

	if (c->keystone && c->all_projects && named != NULL && named[0] != '\0')
		return named;
	return c->project;
}

static int plans_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	struct vlt_api_caller c;
	int rc = vlt__api_authorize(req, resp, "plans_create", &c, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__api_body_of(req, &body, err);
	if (rc < 0 || vlt__api_no_service(req, err))
		return rc < 0 ? rc : err->code;
	rc = vlt__service_plan_create(vlt__api_service(req), body, vlt__api_plan_project(&c, body),
				      &doc, err);
	return vlt__api_answer(resp, rc, 201, doc);
}

static int plan_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	json_t *doc = NULL;
	int rc = vlt__api_authorize_owned(req, resp, "plans_get", false, &c, err);

	if (rc != 0 || vlt__api_no_service(req, err))
		return rc != 0 ? GUARDED(rc) : err->code;
	rc = vlt__service_plan_get(vlt__api_service(req), req->params[0], &doc, err);
	return vlt__api_answer(resp, rc, 200, doc);
}

static int plan_put(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	struct vlt_api_caller c;
	int rc = vlt__api_authorize_owned(req, resp, "plans_update", false, &c, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__api_body_of(req, &body, err);
	if (rc < 0 || vlt__api_no_service(req, err))
		return rc < 0 ? rc : err->code;
	/* under keystone a plan stays its project's, whoever replans it */
	rc = vlt__service_plan_update(vlt__api_service(req), req->params[0], body,
				      c.keystone ? NULL : c.project, &doc, err);
	return vlt__api_answer(resp, rc, 201, doc);
}

static int plan_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	int rc = vlt__api_authorize_owned(req, resp, "plans_delete", false, &c, err);

	if (rc != 0 || vlt__api_no_service(req, err))
		return rc != 0 ? GUARDED(rc) : err->code;
	rc = vlt__service_plan_delete(vlt__api_service(req), req->params[0], err);
	return vlt__api_answer(resp, rc, 204, NULL);
}

static bool add_query_arg(void *cls, const char *key, const char *value)
{
	struct vlt_api_query *q = cls;

	if (json_object_get(q->filter, key) != NULL) {
		q->repeated = true; /* upstream: a repeated key matches nothing */
		return false;
	}
	json_object_set_new(q->filter, key, json_string(value != NULL ? value : ""));
	return true;
}

/*
 * The query's arguments as a filter object (new reference, in q->filter),
 * once the service is known to run. RET 0 or the error to answer.
 */
int vlt__api_query_of(const vlt_http_req_t *req, struct vlt_api_query *q, vlt_err_t *err)
{
	if (vlt__api_no_service(req, err))
		return err->code;
	q->filter = json_object();
	if (q->filter == NULL)
		return vlt_err_set(err, VLT_ENOMEM, "out of memory");
	vlt__http_req_query_each(req, add_query_arg, q);
	return 0;
}

static int placements_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_query q = { NULL, false };
	struct vlt_api_caller c;
	json_t *doc = NULL;
	int rc = vlt__api_authorize(req, resp, "placements_list", &c, err);

	if (rc != 0)
		return GUARDED(rc);
	if ((rc = vlt__api_query_of(req, &q, err)) < 0)
		return rc;
	if (q.repeated)
		doc = json_pack("{s:[]}", "placements");
	else
		rc = vlt__service_placements(vlt__api_service(req), q.filter, &doc, err);
	json_decref(q.filter);
	if (rc == 0 && doc == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	if (rc == 0) /* the filter sees every project's; the answer only the caller's */
		rc = vlt__api_keep_own(req, &c, doc, "placements", placement_owner, err);
	return vlt__api_answer(resp, rc, 200, doc);
}

/*
 * Decisions name hosts, other projects' servers among the runners-up and
 * what each request asked: the operator's, not a project's (rule
 * "decisions", admin and service users by default).
 */
static int decisions_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_query q = { NULL, false };
	struct vlt_api_caller c;
	json_t *doc = NULL;
	int rc = vlt__api_authorize(req, resp, "decisions", &c, err);

	if (rc != 0)
		return GUARDED(rc);
	if ((rc = vlt__api_query_of(req, &q, err)) < 0)
		return rc;
	/* unlike placements' upstream rule, a filter given twice is an error here */
	if (q.repeated)
		rc = vlt_err_set(err, VLT_EINVAL,
				 "GET /v1/decisions: a filter is given twice (each at most once)");
	else
		rc = vlt__service_decisions(vlt__api_service(req), q.filter, &doc, err);
	json_decref(q.filter);
	return vlt__api_answer(resp, rc, 200, doc);
}

static int decision_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	json_t *doc = NULL;
	int rc = vlt__api_authorize(req, resp, "decisions", &c, err);

	if (rc != 0 || vlt__api_no_service(req, err))
		return rc != 0 ? GUARDED(rc) : err->code;
	rc = vlt__service_decision_get(vlt__api_service(req), req->params[0], &doc, err);
	return vlt__api_answer(resp, rc, 200, doc);
}

static int placement_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	json_t *doc = NULL;
	int rc = vlt__api_authorize_owned(req, resp, "placements_get", true, &c, err);

	if (rc != 0 || vlt__api_no_service(req, err))
		return rc != 0 ? GUARDED(rc) : err->code;
	rc = vlt__service_placement_get(vlt__api_service(req), req->params[0], &doc, err);
	return vlt__api_answer(resp, rc, 200, doc);
}

static int placement_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	struct vlt_api_caller c;
	int rc = vlt__api_authorize_owned(req, resp, "placements_reserve", true, &c, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__api_body_of(req, &body, err);
	if (rc < 0 || vlt__api_no_service(req, err))
		return rc < 0 ? rc : err->code;
	rc = vlt__service_placement_reserve(vlt__api_service(req), req->params[0], body, &doc, err);
	return vlt__api_answer(resp, rc, 201, doc);
}

static int placement_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	int rc = vlt__api_authorize_owned(req, resp, "placements_delete", true, &c, err);

	if (rc != 0 || vlt__api_no_service(req, err))
		return rc != 0 ? GUARDED(rc) : err->code;
	rc = vlt__service_placement_delete(vlt__api_service(req), req->params[0], err);
	return vlt__api_answer(resp, rc, 204, NULL);
}

/*
 * May the caller see group g? Its owner's project, its member projects,
 * and, for an open group (no members: anyone may use it), everyone.
 */
static bool group_visible(const struct vlt_api_caller *c, const json_t *g)
{
	const char *owner = json_string_value(json_object_get(g, "owner"));
	const json_t *members = json_object_get(g, "members");
	size_t i;
	json_t *m;

	if (c->all_projects || (owner != NULL && strcmp(owner, c->who.project_id) == 0))
		return true;
	if (json_array_size(members) == 0)
		return true;
	json_array_foreach(members, i, m) {
		if (json_is_string(m) && strcmp(json_string_value(m), c->who.project_id) == 0)
			return true;
	}
	return false;
}

/*
 * The group the path names, if the caller may see it (404 otherwise, as
 * for an unknown group), and rule allows the caller on it (its owner's
 * project is the target). RET 0 with *g (new, may be NULL when g is
 * NULL); 1: resp holds the 401 or 403; < 0.
 */
static int authorize_group(const vlt_http_req_t *req, vlt_http_resp_t *resp, const char *rule,
			   struct vlt_api_caller *c, json_t **g, vlt_err_t *err)
{
	json_t *group = NULL;
	int rc = identify(req, resp, c, err);

	if (rc != 0)
		return rc;
	if (vlt__api_no_service(req, err))
		return err->code;
	rc = vlt__service_group_get(vlt__api_service(req), req->params[0], &group, err);
	if (rc == 0 && auth_of(req) != NULL && !group_visible(c, group))
		rc = vlt_err_set(err, VLT_ENOENT, "Group not found");
	if (rc == 0)
		rc = check_rule(req, resp, rule,
				json_string_value(json_object_get(group, "owner")), c, err);
	if (rc == 0 && g != NULL)
		*g = group;
	else
		json_decref(group);
	return rc;
}

static int groups_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	json_t *doc = NULL;
	int rc = vlt__api_authorize(req, resp, "groups_list", &c, err);

	if (rc != 0 || vlt__api_no_service(req, err))
		return rc != 0 ? GUARDED(rc) : err->code;
	rc = vlt__service_groups(vlt__api_service(req), &doc, err);
	json_t *groups = json_object_get(doc, "groups");
	for (size_t i = json_array_size(groups); rc == 0 && auth_of(req) != NULL && i-- > 0;)
		if (!group_visible(&c, json_array_get(groups, i)))
			json_array_remove(groups, i);
	return vlt__api_answer(resp, rc, 200, doc);
}

static int groups_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	struct vlt_api_caller c;
	int rc = vlt__api_authorize(req, resp, "groups_create", &c, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__api_body_of(req, &body, err);
	if (rc < 0 || vlt__api_no_service(req, err))
		return rc < 0 ? rc : err->code;
	/* under keystone the token's project owns it: it decides who may change it */
	rc = vlt__service_group_create_owned(vlt__api_service(req), body,
					     c.keystone ? c.who.project_id : NULL, &doc, err);
	return vlt__api_answer(resp, rc, 201, doc); /* upstream: the bare group */
}

static int group_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	json_t *g = NULL;
	int rc = authorize_group(req, resp, "groups_get", &c, &g, err);

	if (rc != 0)
		return GUARDED(rc);
	json_t *doc = json_pack("{s:o}", "group", g);
	if (doc == NULL)
		rc = vlt_err_set(err, VLT_ENOMEM, "out of memory");
	return vlt__api_answer(resp, rc, 200, doc);
}

static int group_put(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	struct vlt_api_caller c;
	int rc = authorize_group(req, resp, "groups_update", &c, NULL, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__api_body_of(req, &body, err);
	if (rc < 0)
		return rc;
	rc = vlt__service_group_update(vlt__api_service(req), req->params[0], body, &doc, err);
	return vlt__api_answer(resp, rc, 201, doc);
}

static int group_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	int rc = authorize_group(req, resp, "groups_delete", &c, NULL, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__service_group_delete(vlt__api_service(req), req->params[0], err);
	return vlt__api_answer(resp, rc, 204, NULL);
}

static int members_put(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	struct vlt_api_caller c;
	int rc = authorize_group(req, resp, "groups_members", &c, NULL, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__api_body_of(req, &body, err);
	if (rc < 0)
		return rc;
	rc = vlt__service_members_add(vlt__api_service(req), req->params[0], body, &doc, err);
	return vlt__api_answer(resp, rc, 201, doc);
}

static int members_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	int rc = authorize_group(req, resp, "groups_members", &c, NULL, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__service_members_remove(vlt__api_service(req), req->params[0], NULL, err);
	return vlt__api_answer(resp, rc, 204, NULL);
}

static int member_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	int rc = authorize_group(req, resp, "groups_get", &c, NULL, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__service_member_check(vlt__api_service(req), req->params[0], req->params[1], err);
	return vlt__api_answer(resp, rc, 204, NULL);
}

static int member_delete(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	int rc = authorize_group(req, resp, "groups_members", &c, NULL, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__service_members_remove(vlt__api_service(req), req->params[0], req->params[1],
					     err);
	return vlt__api_answer(resp, rc, 204, NULL);
}

/* HEAD /v1/status: 204 when the store answers (upstream pinged its engine). */
static int status_head(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	json_t *doc = NULL;
	int rc = vlt__api_authorize(req, resp, "status", &c, err);

	if (rc != 0 || vlt__api_no_service(req, err))
		return rc != 0 ? GUARDED(rc) : err->code;
	rc = vlt__service_status(vlt__api_service(req), &doc, err);
	json_decref(doc);
	return vlt__api_answer(resp, rc, 204, NULL);
}

static int status_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	json_t *doc = NULL;
	int rc = vlt__api_authorize(req, resp, "status", &c, err);

	if (rc != 0 || vlt__api_no_service(req, err))
		return rc != 0 ? GUARDED(rc) : err->code;
	rc = vlt__service_status(vlt__api_service(req), &doc, err);
	return vlt__api_answer(resp, rc, 200, doc);
}

static int resources_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	json_t *doc = NULL;
	int rc = vlt__api_authorize(req, resp, "resources", &c, err);

	if (rc != 0 || vlt__api_no_service(req, err))
		return rc != 0 ? GUARDED(rc) : err->code;
	rc = vlt__service_resources(vlt__api_service(req), &doc, err);
	return vlt__api_answer(resp, rc, 200, doc);
}

static int topology_get(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	struct vlt_api_caller c;
	json_t *doc = NULL;
	int rc = vlt__api_authorize(req, resp, "topology", &c, err);

	if (rc != 0 || vlt__api_no_service(req, err))
		return rc != 0 ? GUARDED(rc) : err->code;
	rc = vlt__service_topology(vlt__api_service(req), &doc, err);

	return vlt__api_answer(resp, rc, 200, doc);
}

typedef int (*external_fn)(vlt_service_t *s, const json_t *body, json_t **answer,
			   vlt_err_t *err);

/* An external-scheduler call of SAP's forks (docs/openstack.md, "External scheduler"). */
static int external_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, const char *rule,
			 external_fn decide, vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	struct vlt_api_caller c;
	int rc = vlt__api_authorize(req, resp, rule, &c, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__api_body_of(req, &body, err);
	if (rc < 0 || vlt__api_no_service(req, err))
		return rc < 0 ? rc : err->code;
	rc = decide(vlt__api_service(req), body, &doc, err);
	return vlt__api_answer(resp, rc, 200, doc);
}

/* POST /scheduler/nova/external: SAP's Nova fork asks which host. */
static int nova_external_post(const vlt_http_req_t *req, vlt_http_resp_t *resp, vlt_err_t *err)
{
	return external_post(req, resp, "nova_external", vlt__service_nova_external, err);
}

/* POST /scheduler/cinder/external: SAP's Cinder fork asks which pool. */
static int cinder_external_post(const vlt_http_req_t *req, vlt_http_resp_t *resp,
				vlt_err_t *err)
{
	return external_post(req, resp, "cinder_external", vlt__service_cinder_external, err);
}

/* POST /scheduler/manila/external: shares are not Valet's; the offered hosts as they came. */
static int manila_external_post(const vlt_http_req_t *req, vlt_http_resp_t *resp,
				vlt_err_t *err)
{
	const json_t *body = NULL;
	json_t *doc = NULL;
	struct vlt_api_caller c;
	int rc = vlt__api_authorize(req, resp, "manila_external", &c, err);

	if (rc != 0)
		return GUARDED(rc);
	rc = vlt__api_body_of(req, &body, err);
	if (rc == 0)
		rc = vlt__service_manila_external(body, &doc, err);
	return vlt__api_answer(resp, rc, 200, doc);
}

static const vlt_http_route_t routes[] = {
	{ VLT_HTTP_GET, "/", get_root, 0 },
	{ VLT_HTTP_GET, "/v1", get_v1, 0 },
	{ VLT_HTTP_GET, "/v1/plans", plans_get, 0 },
	{ VLT_HTTP_POST, "/v1/plans", plans_post, 0 },
	{ VLT_HTTP_GET, "/v1/plans/{id}", plan_get, 0 },
	{ VLT_HTTP_PUT, "/v1/plans/{id}", plan_put, 0 },
	{ VLT_HTTP_DELETE, "/v1/plans/{id}", plan_delete, 0 },
	{ VLT_HTTP_GET, "/v1/reservations", vlt__api_reservations_get, 0 },
	{ VLT_HTTP_POST, "/v1/reservations", vlt__api_reservations_post, 0 },
	{ VLT_HTTP_GET, "/v1/reservations/{id}", vlt__api_reservation_get, 0 },
	{ VLT_HTTP_PUT, "/v1/reservations/{id}", vlt__api_reservation_put, 0 },
	{ VLT_HTTP_DELETE, "/v1/reservations/{id}", vlt__api_reservation_delete, 0 },
	{ VLT_HTTP_POST, "/v1/reservations/{id}/servers", vlt__api_reservation_servers_post, 0 },
	{ VLT_HTTP_GET, "/v1/leases", vlt__api_leases_get, 0 },
	{ VLT_HTTP_POST, "/v1/leases", vlt__api_leases_post, 0 },
	{ VLT_HTTP_GET, "/v1/leases/{id}", vlt__api_lease_get, 0 },
	{ VLT_HTTP_PUT, "/v1/leases/{id}", vlt__api_lease_put, 0 },
	{ VLT_HTTP_DELETE, "/v1/leases/{id}", vlt__api_lease_delete, 0 },
	{ VLT_HTTP_GET, "/v1/placements", placements_get, 0 },
	{ VLT_HTTP_GET, "/v1/placements/{id*}", placement_get, 0 },
	{ VLT_HTTP_POST, "/v1/placements/{id*}", placement_post, 0 },
	{ VLT_HTTP_DELETE, "/v1/placements/{id*}", placement_delete, 0 },
	{ VLT_HTTP_GET, "/v1/decisions", decisions_get, 0 },
	{ VLT_HTTP_GET, "/v1/decisions/{id}", decision_get, 0 },
	{ VLT_HTTP_GET, "/v1/groups", groups_get, 0 },
	{ VLT_HTTP_POST, "/v1/groups", groups_post, 0 },
	{ VLT_HTTP_GET, "/v1/groups/{id}", group_get, 0 },
	{ VLT_HTTP_PUT, "/v1/groups/{id}", group_put, 0 },
	{ VLT_HTTP_DELETE, "/v1/groups/{id}", group_delete, 0 },
	{ VLT_HTTP_PUT, "/v1/groups/{id}/members", members_put, 0 },
	{ VLT_HTTP_DELETE, "/v1/groups/{id}/members", members_delete, 0 },
	{ VLT_HTTP_GET, "/v1/groups/{id}/members/{member}", member_get, 0 },
	{ VLT_HTTP_DELETE, "/v1/groups/{id}/members/{member}", member_delete, 0 },
	{ VLT_HTTP_HEAD, "/v1/status", status_head, 0 },
	{ VLT_HTTP_GET, "/v1/status", status_get, 0 },
	{ VLT_HTTP_GET, "/v1/resources", resources_get, 0 },
	{ VLT_HTTP_GET, "/v1/topology", topology_get, 0 },
	{ VLT_HTTP_POST, "/scheduler/nova/external", nova_external_post, 0 },
	{ VLT_HTTP_POST, "/scheduler/cinder/external", cinder_external_post, 0 },
	{ VLT_HTTP_POST, "/scheduler/manila/external", manila_external_post, 0 },
	{ VLT_HTTP_GET, "/metrics", vlt__api_metrics_get, 0 },
	{ VLT_HTTP_GET, "/healthcheck", vlt__api_healthcheck_get, 0 },
	{ VLT_HTTP_HEAD, "/healthcheck", vlt__api_healthcheck_head, 0 },
	{ VLT_HTTP_GET, "/dashboard", vlt__api_dashboard, 0 },
	{ VLT_HTTP_GET, "/dashboard/{file*}", vlt__api_dashboard, 0 },
};

const vlt_http_route_t *vlt__api_routes(size_t *n)
{
	*n = sizeof(routes) / sizeof(routes[0]);
	return routes;
}
