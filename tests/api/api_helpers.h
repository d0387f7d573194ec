/*
 * api_helpers.h - what the valet-api tests share: a real valetd started on
 * a free port with a fresh data directory, and JSON requests to it.
 */
#ifndef VALET_TESTS_API_HELPERS_H
#define VALET_TESTS_API_HELPERS_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

typedef struct valetd {
	pid_t pid;
	char dir[256];	/* this daemon's folder: data/, valetd.err, valet.conf */
	char data[300]; /* its data directory */
	char log[300];	/* its standard error */
	unsigned port;
	char base[64]; /* "http://127.0.0.1:PORT" */
} valetd_t;

/* A fresh temporary folder under $TMPDIR (or /tmp) named after tag. */
void api_tmpdir(char *buf, size_t size, const char *tag);
/*
 * Start valetd with --listen 127.0.0.1:0, --data-dir DIR/data and the test
 * inventory, plus --config DIR/valet.conf when conf is not NULL (written
 * there first). Keeps dir: a restart on the same folder finds its data.
 * RET 0, or -1 after printing valetd's stderr.
 */
int valetd_start(valetd_t *d, const char *dir, const char *conf);
/* valetd_start on another inventory file. */
int valetd_start_on(valetd_t *d, const char *dir, const char *conf, const char *inventory);
/* The test inventory (eight hosts qos101..qos108 of 4 vCPU). */
#define API_TEST_INVENTORY VLT_TEST_DATA "/api/inventory.json"
/*
 * Send sig and reap. With SIGTERM, fail the test unless valetd exits 0
 * (under ASan that also means no leak).
 */
void valetd_stop(valetd_t *d, int sig);
/* valetd_stop, then its folder removed (kept when VALET_TEST_KEEP is set). */
void valetd_stop_and_remove(valetd_t *d, int sig);

/* The reply of one request: status, parsed body (NULL when empty), raw body. */
typedef struct api_reply {
	long status;
	json_t *doc;
	char *body;
	char allow[128];
} api_reply_t;

/*
 * method path with body (a string, or NULL) and extra headers ("Name:
 * value", NULL-terminated, may be NULL). RET the status (-1 on transport
 * failure); rep may be NULL when only the status matters.
 */
long api_call(const valetd_t *d, const char *method, const char *path, const char *body,
	      const char *const *headers, api_reply_t *rep);
void api_reply_free(api_reply_t *rep);
/* Fail the test unless the status is want; RET the reply's document (owned by rep). */
json_t *api_expect(const valetd_t *d, const char *method, const char *path, const char *body,
		   long want, api_reply_t *rep);
/* The error body of upstream valet-api, with its code; RET its explanation. */
const char *api_check_error(const api_reply_t *rep, long code);
/* Fail unless hay contains needle. */
void api_assert_contains(const char *hay, const char *needle);

/* A one-server (or n-server) stack in the plan request form, as a new string. */
char *api_stack(const char *stack_id, int n_servers, const char *flavor, const char *group);

/*
 * The same as a reservation's body (POST /v1/reservations): start and end
 * (RFC 3339 UTC, or "now" for start; NULL: left out). A new string.
 */
char *api_reservation(const char *stack_id, int n_servers, const char *flavor, const char *start,
		      const char *end);

/* The journal entries the daemon has applied (from GET /v1/status). */
long api_journal_entries(const valetd_t *d);
/* The whole state as text: plans, placements, groups, for before/after comparisons. */
char *api_snapshot(const valetd_t *d);

void api_sleep_ms(long ms);

/*
 * Set (or, value NULL, delete) the member of body at pointer, a key path
 * with '/' ("spec/nova_object.data/flavor"); value is JSON text.
 */
void api_json_set_at(json_t *body, const char *pointer, const char *value);

/* Does an external-scheduler body offer this host (pool): {"hosts": [{"host": name}]}? */
bool api_offered(const json_t *body, const char *host);
/*
 * The placement of orchestration id orch (GET /v1/placements?orchestration_id=,
 * since ids of nested stacks' servers hold '/'), checked reserved with
 * resource_id, or unreserved when resource_id is NULL. RET its location (a
 * copy, the caller's to free).
 */
char *api_placement_location(const valetd_t *d, const char *orch, const char *resource_id);

#endif /* VALET_TESTS_API_HELPERS_H */
