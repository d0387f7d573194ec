/* solver_fixture.c - see solver_fixture.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "solver_fixture.h"

/* ---------------------------------------------------------------- inventory */

static uint32_t mix(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

static json_t *gen_hosts(const inv_spec_t *sp)
{
	json_t *hosts = json_array();
	char name[48], rack[32];
	uint32_t i = 0;

	for (unsigned c = 0; c < sp->clusters; c++)
		for (unsigned r = 0; r < sp->racks; r++)
			for (unsigned h = 0; h < sp->hosts; h++, i++) {
				snprintf(rack, sizeof(rack), "c%02ur%03u", c, r);
				snprintf(name, sizeof(name), "%sh%03u", rack, h);
				json_t *o = json_pack("{s:s, s:s, s:i, s:i, s:i}", "name", name,
						      "rack", rack, "vcpus", sp->vcpus, "ram_mb",
						      sp->ram_mb, "disk_gb", sp->disk_gb);
				if (sp->nic_mbps > 0)
					json_object_set_new(o, "nic_mbps",
							    json_integer(sp->nic_mbps));
				if (sp->preload_pct > 0) {
					unsigned pct = mix(i + 1) % (sp->preload_pct + 1);
					json_int_t ram = (json_int_t)sp->ram_mb * pct / 100;
					json_int_t cpu = (json_int_t)sp->vcpus * pct / 100;
					if (ram > 0 || cpu > 0)
						json_object_set_new(
							o, "used",
							json_pack("{s:I, s:I}", "vcpus", cpu,
								  "ram_mb", ram));
				}
				json_array_append_new(hosts, o);
			}
	return hosts;
}

void fx_write_inventory(const inv_spec_t *sp, const char *name, char *path, size_t n)
{
	json_t *inv = json_pack("{s:s, s:{s:f, s:f, s:f}}", "datacenter", name,
				"allocation_ratios", "vcpus", 1.0, "ram_mb", 1.0, "disk_gb", 1.0);
	json_t *clusters = json_array(), *racks = json_array(), *pools = json_array();
	char buf[64];

	assert_non_null(inv);
	for (unsigned c = 0; c < sp->clusters; c++) {
		snprintf(buf, sizeof(buf), "c%02u", c);
		json_array_append_new(clusters, json_pack("{s:s}", "name", buf));
		for (unsigned r = 0; r < sp->racks; r++) {
			char cl[16];
			snprintf(cl, sizeof(cl), "c%02u", c);
			snprintf(buf, sizeof(buf), "c%02ur%03u", c, r);
			json_t *o = json_pack("{s:s, s:s}", "name", buf, "cluster", cl);
			if (sp->rack_uplink_mbps > 0)
				json_object_set_new(o, "uplink_mbps",
						    json_integer(sp->rack_uplink_mbps));
			json_array_append_new(racks, o);
			for (unsigned p = 0; p < sp->pools_per_rack; p++) {
				char pool[96];
				snprintf(pool, sizeof(pool), "%s-pool%u", buf, p);
				json_array_append_new(pools,
						      json_pack("{s:s, s:s, s:i}", "name", pool,
								"rack", buf, "capacity_gb",
								sp->pool_gb));
			}
		}
	}
	json_object_set_new(inv, "clusters", clusters);
	json_object_set_new(inv, "racks", racks);
	json_object_set_new(inv, "hosts", gen_hosts(sp));
	json_object_set_new(inv, "storage", pools);
	json_object_set_new(
		inv, "flavors",
		json_pack("[{s:s, s:i, s:i, s:i}, {s:s, s:i, s:i, s:i}, {s:s, s:i, s:i, s:i}]",
			  "name", "small", "vcpus", 1, "ram_mb", 2048, "disk_gb", 20, "name",
			  "medium", "vcpus", 2, "ram_mb", 4096, "disk_gb", 40, "name", "large",
			  "vcpus", 4, "ram_mb", 8192, "disk_gb", 80));

	snprintf(buf, sizeof(buf), "%s", VLT_BINARY_DIR "/tests/solvers");
	mkdir(buf, 0755);
	snprintf(path, n, "%s/%s.json", buf, name);
	assert_int_equal(json_dump_file(inv, path, JSON_COMPACT), 0);
	json_decref(inv);
}

void fx_open(vlt_session_t *s, const char *inventory, const char *const *settings)
{
	static const char *const solvers[] = {"ostro", "nova"};
	vlt_err_t err = {0};
	int rc = vlt__session_open(s, NULL, inventory, solvers, 2, settings, &err);

	if (rc != VLT_OK)
		fail_msg("session on %s: %s", inventory, err.msg);
}

/* ---------------------------------------------------------------- requests */

json_t *fx_request(const char *name)
{
	char id[128];

	snprintf(id, sizeof(id), "st-%s", name);
	return json_pack("{s:s, s:s, s:{}}", "plan_name", name, "stack_id", id, "resources");
}

static void add(json_t *req, const char *id, json_t *res)
{
	assert_non_null(res);
	json_object_set_new(json_object_get(req, "resources"), id, res);
}

void fx_server(json_t *req, const char *id, const char *flavor)
{
	add(req, id,
	    json_pack("{s:s, s:s, s:{s:s}}", "name", id, "type", "OS::Nova::Server", "properties",
		      "flavor", flavor));
}

void fx_volume(json_t *req, const char *id, int size_gb)
{
	add(req, id,
	    json_pack("{s:s, s:s, s:{s:i}}", "name", id, "type", "OS::Cinder::Volume",
		      "properties", "size", size_gb));
}

void fx_attach(json_t *req, const char *id, const char *server, const char *volume)
{
	add(req, id,
	    json_pack("{s:s, s:s, s:{s:s, s:s}}", "name", id, "type",
		      "OS::Cinder::VolumeAttachment", "properties", "instance_uuid", server,
		      "volume_id", volume));
}

static json_t *id_list(const char *const *ids)
{
	json_t *a = json_array();

	for (size_t i = 0; ids[i] != NULL; i++)
		json_array_append_new(a, json_string(ids[i]));
	return a;
}

void fx_group(json_t *req, const char *id, const char *type, const char *level,
	      const char *group_name, const char *const *members)
{
	json_t *props = json_pack("{s:s, s:s, s:o}", "group_type", type, "level", level,
				  "resources", id_list(members));

	if (group_name != NULL)
		json_object_set_new(props, "group_name", json_string(group_name));
	add(req, id,
	    json_pack("{s:s, s:s, s:o}", "name", id, "type", "ATT::Valet::GroupAssignment",
		      "properties", props));
}

void fx_pipe(json_t *req, const char *id, const char *const *members, double mbps)
{
	add(req, id,
	    json_pack("{s:s, s:s, s:{s:o, s:{s:f, s:s}}}", "name", id, "type", "ATT::Valet::Pipe",
		      "properties", "resources", id_list(members), "bandwidth", "min", mbps,
		      "units", "Mbps"));
}

/* A group of the servers prefix0..prefix(n-1) starting at first, by name. */
static void group_range(json_t *req, const char *id, const char *type, const char *level,
			const char *prefix, unsigned first, unsigned n)
{
	json_t *members = json_array();
	char m[64];

	for (unsigned i = 0; i < n; i++) {
		snprintf(m, sizeof(m), "%s%u", prefix, first + i);
		json_array_append_new(members, json_string(m));
	}
	add(req, id,
	    json_pack("{s:s, s:s, s:{s:s, s:s, s:o}}", "name", id, "type",
		      "ATT::Valet::GroupAssignment", "properties", "group_type", type, "level",
		      level, "resources", members));
}

static void pipe2(json_t *req, const char *a, const char *b, double mbps)
{
	char id[160];

	snprintf(id, sizeof(id), "pipe-%s-%s", a, b);
	fx_pipe(req, id, (const char *[]){a, b, NULL}, mbps);
}

json_t *fx_ntier(const char *name, unsigned n, bool volumes)
{
	json_t *req = fx_request(name);
	unsigned n_web = n * 4 / 10, n_db = n - 2 * n_web;
	char a[64], b[64], g[64];

	for (unsigned i = 0; i < n_web; i++) {
		snprintf(a, sizeof(a), "web%u", i);
		fx_server(req, a, "small");
		snprintf(a, sizeof(a), "app%u", i);
		fx_server(req, a, "medium");
	}
	for (unsigned c = 0; c * 5 < n_web; c++) {
		unsigned k = n_web - c * 5 < 5 ? n_web - c * 5 : 5;
		snprintf(a, sizeof(a), "web-div%u", c);
		group_range(req, a, "diversity", "host", "web", c * 5, k);
		snprintf(b, sizeof(b), "app-div%u", c);
		group_range(req, b, "diversity", "host", "app", c * 5, k);
		snprintf(g, sizeof(g), "cell%u", c);
		fx_group(req, g, "affinity", "rack", NULL, (const char *[]){a, b, NULL});
	}
	for (unsigned i = 0; i < n_db; i++) {
		snprintf(a, sizeof(a), "db%u", i);
		fx_server(req, a, "large");
		if (volumes) {
			snprintf(b, sizeof(b), "dbvol%u", i);
			fx_volume(req, b, 100);
			snprintf(g, sizeof(g), "att%u", i);
			fx_attach(req, g, a, b);
			pipe2(req, a, b, 200);
		}
		if (i % 2 == 1 || i + 1 == n_db) {
			snprintf(g, sizeof(g), "db-pair%u", i / 2);
			group_range(req, g, "diversity", "rack", "db", i - i % 2, i % 2 + 1);
		}
	}
	for (unsigned i = 0; i < n_web; i++) {
		snprintf(a, sizeof(a), "web%u", i);
		snprintf(b, sizeof(b), "app%u", i);
		pipe2(req, a, b, 100);
		snprintf(a, sizeof(a), "db%u", n_db ? i % n_db : 0);
		if (n_db > 0)
			pipe2(req, b, a, 200);
	}
	return req;
}

int fx_place(vlt_session_t *s, const json_t *req, const char *solver, json_t **result)
{
	vlt_err_t err = {0};
	int rc;

	*result = NULL;
	rc = vlt__engine_place(s->engine, req, "test request", solver, result, &err);
	if (rc != VLT_OK && rc != VLT_ENOPLACE && rc != VLT_E2BIG)
		print_message("place: %s\n", err.msg);
	return rc;
}

/* ---------------------------------------------------------------- results */

const char *fx_loc(const json_t *result, const char *id)
{
	json_t *p = json_object_get(json_object_get(result, "placements"), id);

	return json_string_value(json_object_get(p, "location"));
}

double fx_metric(const json_t *result, const char *name)
{
	return json_number_value(json_object_get(json_object_get(result, "metrics"), name));
}

const char *fx_message(const json_t *result)
{
	return json_string_value(json_object_get(json_object_get(result, "status"), "message"));
}

void fx_domain(const char *host, const char *level, char *buf, size_t n)
{
	size_t len = strlen(host);

	if (strcmp(level, "rack") == 0 && len > 7)
		len = 7;
	else if (strcmp(level, "cluster") == 0 && len > 3)
		len = 3;
	snprintf(buf, n, "%.*s", (int)len, host);
}

/* ---------------------------------------------------------------- group checks */

static bool is_group(const json_t *req, const char *id)
{
	const json_t *r = json_object_get(json_object_get(req, "resources"), id);
	const char *type = json_string_value(json_object_get(r, "type"));

	return type != NULL && strcmp(type, "ATT::Valet::GroupAssignment") == 0;
}

static bool is_server(const json_t *req, const char *id)
{
	const json_t *r = json_object_get(json_object_get(req, "resources"), id);
	const char *type = json_string_value(json_object_get(r, "type"));

	return type != NULL && strcmp(type, "OS::Nova::Server") == 0;
}

/* Add every server under id (a server or a group) to set (an object used as a set). */
static void servers_under(const json_t *req, const char *id, json_t *set)
{
	if (is_server(req, id)) {
		json_object_set_new(set, id, json_true());
		return;
	}
	if (!is_group(req, id))
		return;
	const json_t *r = json_object_get(json_object_get(req, "resources"), id);
	const json_t *members = json_object_get(json_object_get(r, "properties"), "resources");
	size_t i;
	json_t *m;
	json_array_foreach(members, i, m)
		servers_under(req, json_string_value(m), set);
}

/* The set of level-domains the servers under id use. */
static json_t *domains_of(const json_t *req, const json_t *result, const char *id,
			  const char *level)
{
	json_t *servers = json_object(), *doms = json_object(), *v;
	const char *s;
	char d[64];

	servers_under(req, id, servers);
	json_object_foreach(servers, s, v) {
		const char *loc = fx_loc(result, s);
		if (loc == NULL)
			fail_msg("server %s is not placed", s);
		fx_domain(loc, level, d, sizeof(d));
		json_object_set_new(doms, d, json_true());
	}
	json_decref(servers);
	return doms;
}

static void verify_affinity(const json_t *req, const json_t *result, const char *id,
			    const char *level)
{
	json_t *doms = domains_of(req, result, id, level);

	if (json_object_size(doms) != 1)
		fail_msg("affinity(%s) %s spans %zu domains", level, id, json_object_size(doms));
	json_decref(doms);
}

static void verify_diversity(const json_t *req, const json_t *result, const char *id,
			     const json_t *members, const char *level)
{
	json_t *seen = json_object(), *m, *doms, *v;
	const char *d;
	size_t i;

	json_array_foreach(members, i, m) {
		doms = domains_of(req, result, json_string_value(m), level);
		json_object_foreach(doms, d, v) {
			if (json_object_get(seen, d) != NULL)
				fail_msg("diversity(%s) %s: %s and %s share %s", level, id,
					 json_string_value(json_object_get(seen, d)),
					 json_string_value(m), d);
			json_object_set_new(seen, d, json_string(json_string_value(m)));
		}
		json_decref(doms);
	}
	json_decref(seen);
}

static void verify_exclusivity(const json_t *req, const json_t *result, const json_t *others,
			       const char *id, const char *level)
{
	json_t *doms = domains_of(req, result, id, level), *inside = json_object(), *v;
	const char *s;
	char d[64];

	servers_under(req, id, inside);
	json_object_foreach(json_object_get(result, "placements"), s, v) {
		if (!is_server(req, s) || json_object_get(inside, s) != NULL)
			continue;
		fx_domain(fx_loc(result, s), level, d, sizeof(d));
		if (json_object_get(doms, d) != NULL)
			fail_msg("exclusivity(%s) %s: outsider %s is in %s", level, id, s, d);
	}
	for (size_t i = 0; others != NULL && i < json_array_size(others); i++) {
		fx_domain(json_string_value(json_array_get(others, i)), level, d, sizeof(d));
		if (json_object_get(doms, d) != NULL)
			fail_msg("exclusivity(%s) %s: another plan's server is in %s", level, id,
				 d);
	}
	json_decref(inside);
	json_decref(doms);
}

void fx_verify_groups(const json_t *req, const json_t *result, const json_t *others)
{
	const char *id;
	json_t *r;

	json_object_foreach(json_object_get(req, "resources"), id, r) {
		if (is_server(req, id) && fx_loc(result, id) == NULL)
			fail_msg("server %s is not placed", id);
		if (!is_group(req, id))
			continue;
		const json_t *p = json_object_get(r, "properties");
		const char *type = json_string_value(json_object_get(p, "group_type"));
		const char *level = json_string_value(json_object_get(p, "level"));
		if (strcmp(type, "affinity") == 0)
			verify_affinity(req, result, id, level);
		else if (strcmp(type, "diversity") == 0)
			verify_diversity(req, result, id, json_object_get(p, "resources"), level);
		else if (strcmp(type, "exclusivity") == 0)
			verify_exclusivity(req, result, others, id, level);
	}
}
