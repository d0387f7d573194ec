/*
 * store_world.c - a test's store on sqlite or mongodb (store_world.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "service_fixture.h"
#include "store_world.h"

void store_world_renew(store_world_t *w, const char *tag)
{
	static unsigned n_worlds;

	svc_fixture_dir(w->dir);
	w->settings[0] = w->settings[1] = w->settings[2] = NULL;
	if (strcmp(w->store, "mongodb") != 0)
		return;
	snprintf(w->uri_setting, sizeof(w->uri_setting), "uri=%s", mongo_test_shared()->uri);
	snprintf(w->db_setting, sizeof(w->db_setting), "database=valet_%s_%d_%u", tag,
		 (int)getpid(), n_worlds++);
	w->settings[0] = w->uri_setting;
	w->settings[1] = w->db_setting;
}

int store_world_init(store_world_t *w, const char *store, const char *tag)
{
	memset(w, 0, sizeof(*w));
	w->store = store;
	if (strcmp(store, "mongodb") == 0 && mongo_test_shared() == NULL)
		return -1;
	store_world_renew(w, tag);
	return 0;
}

void store_world_fini(store_world_t *w)
{
	svc_fixture_rmdir(w->dir);
}
