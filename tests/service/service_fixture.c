#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "service_fixture.h"

void svc_fixture_dir(char *buf)
{
	const char *tmp = getenv("TMPDIR");

	/* under $TMPDIR (or /tmp), as the other tests' folders */
	if (tmp == NULL || tmp[0] == '\0' || strlen(tmp) > 40)
		tmp = "/tmp";
	snprintf(buf, 64, "%s/valet-service-XXXXXX", tmp);
	assert_non_null(mkdtemp(buf));
}

void svc_fixture_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[512];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

static int64_t fixture_now(void *arg)
{
	return ((const svc_fixture_t *)arg)->now_ms;
}

void svc_fixture_open(svc_fixture_t *f, const char *dir, int64_t hold_ttl_s, int64_t now_ms)
{
	vlt_service_opts_t so = { .hold_ttl_s = hold_ttl_s };

	svc_fixture_open_with(f, dir, VLT_TEST_DATA "/api/inventory.json", so, now_ms);
}

svc_world_t *svc_world_open(int64_t hold_ttl_s, int64_t now_ms)
{
	svc_world_t *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	svc_fixture_dir(w->dir);
	svc_fixture_open(&w->f, w->dir, hold_ttl_s, now_ms);
	return w;
}

void svc_world_close(svc_world_t *w)
{
	svc_fixture_close(&w->f);
	svc_fixture_rmdir(w->dir);
	free(w);
}

static void open_on(svc_fixture_t *f, const char *dir, const char *inventory,
		    const char *store, const char *const *store_settings, vlt_service_opts_t so,
		    int64_t now_ms)
{
	vlt_err_t err = { 0 };
	char key[128];

	memset(f, 0, sizeof(*f));
	f->now_ms = now_ms;
	vlt__log_setup(VLT_LOG_ERR, false, "test");
	assert_int_equal(vlt__config_load(&f->cfg, NULL, &err), 0);
	assert_int_equal(vlt__config_set_str(&f->cfg.data_dir, dir), 0);
	assert_int_equal(vlt__config_add_override(&f->cfg, "source.static.inventory", inventory),
			 0);
	if (store != NULL)
		assert_int_equal(vlt__config_set_str(&f->cfg.store, store), 0);
	for (size_t i = 0; store_settings != NULL && store_settings[i] != NULL; i++) {
		const char *eq = strchr(store_settings[i], '=');
		assert_non_null(eq);
		snprintf(key, sizeof(key), "store.%s.%.*s", f->cfg.store,
			 (int)(eq - store_settings[i]), store_settings[i]);
		assert_int_equal(vlt__config_add_override(&f->cfg, key, eq + 1), 0);
	}
	if (vlt__modules_load(&f->mods, &f->cfg, NULL, 0, &err) < 0)
		fail_msg("modules: %s", err.msg);
	if (vlt__engine_new(&f->engine, &f->mods, &err) < 0)
		fail_msg("engine: %s", err.msg);
	so.mods = &f->mods;
	so.clock = (vlt_clock_t){ fixture_now, f };
	if (vlt__service_open(&f->svc, f->engine, f->mods.store, &so, &err) < 0)
		fail_msg("service: %s", err.msg);
}

void svc_fixture_open_with(svc_fixture_t *f, const char *dir, const char *inventory,
			   vlt_service_opts_t so, int64_t now_ms)
{
	open_on(f, dir, inventory, NULL, NULL, so, now_ms);
}

void svc_fixture_open_store(svc_fixture_t *f, const char *dir, const char *store,
			    const char *const *store_settings, vlt_service_opts_t so,
			    int64_t now_ms)
{
	open_on(f, dir, VLT_TEST_DATA "/api/inventory.json", store, store_settings, so, now_ms);
}

void svc_fixture_close(svc_fixture_t *f)
{
	vlt__service_free(f->svc);
	vlt__engine_free(f->engine);
	vlt__modules_unload(&f->mods);
	vlt__config_free(&f->cfg);
	memset(f, 0, sizeof(*f));
}

json_t *svc_fixture_request(const char *stack_id, const char *prefix, unsigned n,
			    const char *flavor)
{
	json_t *res = json_object();
	char id[32];

	for (unsigned i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%s%u", prefix, i);
		json_object_set_new(res, id,
				    json_pack("{s:s, s:s, s:{s:s}}", "name", id, "type",
					      "OS::Nova::Server", "properties", "flavor", flavor));
	}
	return json_pack("{s:s, s:s, s:o}", "plan_name", stack_id, "stack_id", stack_id,
			 "resources", res);
}

json_t *svc_fixture_placement(svc_fixture_t *f, const char *orch)
{
	json_t *doc = NULL;
	vlt_err_t err = { 0 };

	if (vlt__service_placement_get(f->svc, orch, &doc, &err) < 0)
		fail_msg("placement %s: %s", orch, err.msg);
	json_t *pl = json_incref(json_object_get(doc, "placement"));
	json_decref(doc);
	return pl;
}

int svc_fixture_create(svc_fixture_t *f, const char *stack_id, const char *prefix, unsigned n,
		       vlt_err_t *err)
{
	json_t *req = svc_fixture_request(stack_id, prefix, n, "m1.large");
	json_t *plan = NULL;
	int rc = vlt__service_plan_create(f->svc, req, NULL, &plan, err);

	json_decref(req);
	json_decref(plan);
	return rc;
}

const char *svc_fixture_location(svc_fixture_t *f, const char *orch, char *buf, size_t size)
{
	json_t *pl = svc_fixture_placement(f, orch);
	const char *loc = json_string_value(json_object_get(pl, "location"));

	snprintf(buf, size, "%s", loc != NULL ? loc : "");
	json_decref(pl);
	return buf;
}

/* oslo.messaging's str(utcnow()) of t_us: no fraction when the microseconds are 0. */
static void oslo_timestamp(int64_t t_us, char *buf, size_t size)
{
	time_t secs = (time_t)(t_us / 1000000);
	struct tm tm;
	int us = (int)(t_us % 1000000);

	gmtime_r(&secs, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	if (us != 0)
		snprintf(buf + n, size - n, ".%06d", us);
}

char *svc_fixture_nova_body_flavor(const char *event_type, const char *uuid, const char *host,
				   const char *flavor, int64_t t_us)
{
	char stamp[64];

	oslo_timestamp(t_us, stamp, sizeof(stamp));
	json_t *data = json_pack("{s:s, s:s?, s:s?, s:s}", "uuid", uuid, "host", host, "node", host,
				 "state", "active");
	if (flavor != NULL)
		json_object_set_new(data, "flavor",
				    json_pack("{s:s, s:{s:s}}", "nova_object.name", "FlavorPayload",
					      "nova_object.data", "name", flavor));
	json_t *msg = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:o}}", "message_id",
				"8a1c3f0e-0000-4000-8000-000000000000", "publisher_id",
				"nova-compute:qos101", "event_type", event_type, "priority", "INFO",
				"timestamp", stamp, "payload", "nova_object.name",
				"InstanceActionPayload", "nova_object.namespace", "nova",
				"nova_object.version", "1.8", "nova_object.data", data);
	char *text = json_dumps(msg, JSON_COMPACT);
	json_t *env = json_pack("{s:s, s:s}", "oslo.version", "2.0", "oslo.message", text);
	char *body = json_dumps(env, JSON_COMPACT);

	free(text);
	json_decref(msg);
	json_decref(env);
	return body;
}

char *svc_fixture_nova_body(const char *event_type, const char *uuid, const char *host,
			    int64_t t_us)
{
	return svc_fixture_nova_body_flavor(event_type, uuid, host, NULL, t_us);
}

void svc_fixture_create_reserved(svc_fixture_t *f, const char *stack, const char *prefix, unsigned n,
			    const char *flavor)
{
	json_t *req = svc_fixture_request(stack, prefix, n, flavor);
	json_t *plan = NULL;
	vlt_err_t err = { 0 };

	if (vlt__service_plan_create(f->svc, req, NULL, &plan, &err) < 0)
		fail_msg("plan %s: %s", stack, err.msg);
	json_decref(req);
	json_decref(plan);
	for (unsigned i = 0; i < n; i++) {
		char orch[64], uuid[64], loc[64];
		json_t *answer = NULL;

		snprintf(orch, sizeof(orch), "%s%u", prefix, i);
		snprintf(uuid, sizeof(uuid), "%s-uuid-%u", prefix, i);
		svc_fixture_location(f, orch, loc, sizeof(loc));
		json_t *body = json_pack("{s:[s], s:s}", "locations", loc, "resource_id", uuid);
		if (vlt__service_placement_reserve(f->svc, orch, body, &answer, &err) < 0)
			fail_msg("reserve %s: %s", orch, err.msg);
		json_decref(body);
		json_decref(answer);
	}
}

bool svc_fixture_placement_exists(svc_fixture_t *f, const char *orch)
{
	json_t *doc = NULL;
	vlt_err_t err = { 0 };
	int rc = vlt__service_placement_get(f->svc, orch, &doc, &err);

	json_decref(doc);
	assert_true(rc == 0 || rc == VLT_ENOENT);
	return rc == 0;
}
