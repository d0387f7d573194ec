/*
 * store_contract.h - what every store must do, as cmocka cases that take
 * any vlt_store_ops_t. A store's test supplies a harness (how to empty the
 * backing store and open a state on it) and runs the whole table:
 *
 *	store_harness_t h = { "sqlite", ops, ctx, reset, open };
 *	failures += store_contract_run(&h);
 *
 * The cases cover create, conflict, update and version, remove, list order,
 * unknown ids, name checks, unicode and large documents, compare-and-set
 * from several threads and from several processes, durability across close and reopen, and a writer
 * process killed mid-burst (every write it acknowledged must be there,
 * exactly once).
 *
 * Beyond valet/store.h, the cases pin down what callers may rely on with
 * any store:
 * - collection names and ids are 1 to 255 bytes of valid UTF-8, documents
 *   are JSON objects; anything else is VLT_EINVAL and writes nothing;
 * - put with expect < 0 and remove with expect 0 or < -1 are VLT_EINVAL;
 * - a removed document created again starts at version 1;
 * - list walks ids in byte order; a positive return from the callback
 *   stops it and list returns 0, a negative one is list's return value;
 *   the callback may call the store (get, put, remove) itself;
 * - one state serves many threads at once: the core calls a store from its
 *   request threads, and VLT_PLUGIN_INFO flags every module
 *   VLT_PLUGIN_F_THREADSAFE, so no store could be skipped for lacking it.
 */
#ifndef VALET_TEST_STORE_CONTRACT_H
#define VALET_TEST_STORE_CONTRACT_H

#include <stddef.h>

#include <valet/store.h>

typedef struct store_harness {
	const char *name; /* shown in the cmocka group name */
	const vlt_store_ops_t *ops;
	void *ctx; /* the harness's own, passed back to reset and open */
	/* Empty the backing store. Called before each case, with no state open. */
	int (*reset)(void *ctx);
	/* Open a new state on the backing store (ops->init with the harness's
	 * settings). Also called in forked child processes. */
	int (*open)(void *ctx, void **state, vlt_err_t *err);
} store_harness_t;

/*
 * One case. *state is a state from h->open on an empty store; a case may
 * fini it and put another in its place (the runner finis what is left).
 */
typedef void (*store_case_fn)(const store_harness_t *h, void **state);

typedef struct store_case {
	const char *name;
	store_case_fn fn;
} store_case_t;

extern const store_case_t store_contract_cases[];
extern const size_t store_contract_n_cases;

/* Run every case as one cmocka group. RET the number of failed cases. */
int store_contract_run(const store_harness_t *h);

#endif /* VALET_TEST_STORE_CONTRACT_H */
