/*
 * store_world.h - where a test of the service keeps its store, on either
 * kind: sqlite in a folder of the test's, or mongodb in a database of the
 * test's own on the shared MongoDB test server (VALET_TEST_MONGODB_URI,
 * else tests/mongo/mockmongod.py; mongo_test_shared_start as the cmocka
 * group setup). Cases given a NULL world (mongodb without a server) skip.
 */
#ifndef VALET_TEST_STORE_WORLD_H
#define VALET_TEST_STORE_WORLD_H

#include "mongo_test_server.h"

typedef struct store_world {
	const char *store; /* "sqlite" or "mongodb" */
	char dir[64];
	char uri_setting[1100], db_setting[64];
	const char *settings[3]; /* the store's overrides for svc_fixture_open_store */
} store_world_t;

/*
 * A new folder (and, for mongodb, a new database named after tag) for
 * store. RET 0, or -1 for mongodb when no server could be started.
 */
int store_world_init(store_world_t *w, const char *store, const char *tag);
/* Another new folder and database: an empty store again. */
void store_world_renew(store_world_t *w, const char *tag);
/* Remove the folder. */
void store_world_fini(store_world_t *w);

/* The cmocka case skips, saying why, when its world is NULL. */
#define STORE_WORLD_NEED(w)                                                                        \
	do {                                                                                       \
		if ((w) == NULL) {                                                                 \
			print_message("SKIP: no MongoDB test server: %s\n",                        \
				      mongo_test_shared_why());                                    \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

#endif /* VALET_TEST_STORE_WORLD_H */
