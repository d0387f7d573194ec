/*
 * mongo_test_server.h - the MongoDB the mongodb store's tests talk to: a
 * real server when VALET_TEST_MONGODB_URI is set, otherwise the project's
 * wire-protocol test server, tests/mongo/mockmongod.py, started here on a
 * free port and stopped at the end.
 */
#ifndef VALET_TEST_MONGO_SERVER_H
#define VALET_TEST_MONGO_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct mongo_test_server {
	bool real;     /* true: VALET_TEST_MONGODB_URI; false: mockmongod.py */
	pid_t pid;     /* mockmongod's process, 0 for a real server */
	int out_fd;    /* mockmongod's stdout, kept open until it stops */
	char uri[1024];
	char shown[300]; /* the servers, for messages: never user or password */
} mongo_test_server_t;

/* Use VALET_TEST_MONGODB_URI when set, else start mockmongod.py.
 * RET 0, or -1 with why filled. */
int mongo_test_server_start(mongo_test_server_t *srv, char *why, size_t why_size);

/* Start mockmongod.py whatever the environment says. RET 0, or -1 with why filled. */
int mongo_test_server_start_mock(mongo_test_server_t *srv, char *why, size_t why_size);

/* Stop mockmongod (SIGTERM, then SIGKILL after 10 s); nothing for a real server. */
void mongo_test_server_stop(mongo_test_server_t *srv);

/*
 * One server shared by a test program's cases, as a cmocka group setup
 * and teardown: mongo_test_shared_start starts it (always returns 0: the
 * cases that need it skip when mongo_test_shared() is NULL, saying
 * mongo_test_shared_why()).
 */
int mongo_test_shared_start(void **state);
int mongo_test_shared_stop(void **state);
/* The shared server, or NULL when it could not be started. */
const mongo_test_server_t *mongo_test_shared(void);
const char *mongo_test_shared_why(void);

#endif /* VALET_TEST_MONGO_SERVER_H */
