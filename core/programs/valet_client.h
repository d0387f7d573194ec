/*
 * valet_client.h - `valet` as a client of valetd's API: `valet plan ...`,
 * `placement`, `group`, `decision`, `status` and `help` (docs/cli.md).
 *
 *   valet_client.c       options, the endpoint and token from the
 *                        environment, requests and their errors, dispatch
 *   valet_client_cmds.c  one function per subcommand: request, then rows
 *   valet_client_out.c   rows as a table, JSON, YAML or bare values
 *   valet_client_help.c  the usage text of each command
 *
 * Exit statuses: 0 done, 1 the API (or Keystone) refused (its message on
 * stderr), 2 bad usage or configuration, 3 valetd or Keystone unreachable.
 */
#ifndef VALET_PROGRAMS_CLIENT_H
#define VALET_PROGRAMS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "os_client.h"

#define VLT_CLI_EXIT_OK 0
#define VLT_CLI_EXIT_API 1
#define VLT_CLI_EXIT_USAGE 2
#define VLT_CLI_EXIT_UNREACHABLE 3

/* True when argv[1] names a client command (plan, placement, ..., help). */
bool vlt_valet_is_client_command(const char *name);
/* argv[0] is the command ("plan"). RET the exit status. */
int vlt_valet_client(int argc, char **argv);
/*
 * vlt_valet_client_main - valet's own argv when it names a client command,
 * perhaps after --url, --os-token, -f or -c ("valet --url U plan list").
 * RET the exit status, or -1 when argv is not a client command.
 */
int vlt_valet_client_main(int argc, char **argv);

/* ---- between the client's files */

typedef enum vlt_cli_format {
	VLT_CLI_TABLE,
	VLT_CLI_JSON,
	VLT_CLI_YAML,
	VLT_CLI_VALUE,
} vlt_cli_format_t;

/* Options a command may take, as bits: a command refuses the others. */
enum {
	VLT_CLI_O_NAME = 1u << 0,	 /* --name */
	VLT_CLI_O_STACK_ID = 1u << 1,	 /* --stack-id */
	VLT_CLI_O_TYPE = 1u << 2,	 /* --type */
	VLT_CLI_O_LEVEL = 1u << 3,	 /* --level */
	VLT_CLI_O_DESCRIPTION = 1u << 4, /* --description */
	VLT_CLI_O_HOST = 1u << 5,	 /* --host (repeated) */
	VLT_CLI_O_RESOURCE_ID = 1u << 6, /* --resource-id */
	VLT_CLI_O_REPLAN = 1u << 7,	 /* --replan */
	VLT_CLI_O_PLAN = 1u << 8,	 /* --plan */
	VLT_CLI_O_SERVER = 1u << 9,	 /* --server */
	VLT_CLI_O_QUERY = 1u << 10,	 /* --query K=V (repeated) */
	VLT_CLI_O_ALL = 1u << 11,	 /* --all */
	VLT_CLI_O_RESERVED = 1u << 12,	 /* --reserved true|false */
};

#define VLT_CLI_MAX_REPEAT 64 /* most --host, --query or -c options */

/* The command line, parsed. Every string is borrowed from argv. */
typedef struct vlt_cli_opts {
	const char *url;   /* --url, else $VALET_URL */
	const char *token; /* --os-token, else $OS_TOKEN */
	vlt_cli_format_t format;
	const char *columns[VLT_CLI_MAX_REPEAT]; /* -c, in order */
	size_t n_columns;
	const char *name, *stack_id, *type, *level, *description, *resource_id, *plan, *server,
		*reserved;
	const char *hosts[VLT_CLI_MAX_REPEAT];
	size_t n_hosts;
	const char *query[VLT_CLI_MAX_REPEAT]; /* "K=V" */
	size_t n_query;
	bool replan, all;
	unsigned given; /* VLT_CLI_O_* bits */
	const char *noun, *verb;
	char **args; /* the operands after noun and verb */
	size_t n_args;
} vlt_cli_opts_t;

/*
 * Where requests go and how: owned by vlt_valet_client. Opened by the
 * first vlt__cli_call, so that a usage error never waits on Keystone.
 */
typedef struct vlt_cli_conn {
	const vlt_cli_opts_t *opts;
	os_client_t *client; /* owned; NULL until opened */
	char base[2048];     /* valetd's root, no trailing slash nor /v1: "http://host:8090" */
} vlt_cli_conn_t;

/*
 * vlt__cli_call - method path (below the base, "/v1/plans") with body (borrowed,
 * may be NULL). On a 2xx, *doc is the answer (a new reference; NULL when
 * empty); otherwise the error is printed, server's message included.
 * RET a VLT_CLI_EXIT_* status.
 */
int vlt__cli_call(vlt_cli_conn_t *conn, const char *method, const char *path, const json_t *body,
		  json_t **doc);
/* "/v1/<collection>/<id escaped>[/<tail>]" into buf; RET buf, NULL when it does not fit. */
const char *vlt__cli_path(char *buf, size_t size, const char *collection, const char *id,
			  const char *tail);
/*
 * vlt__cli_check_usage - the options given are among allowed (VLT_CLI_O_* bits) and
 * there are min to max operands (max -1: no limit), named what in the
 * message. RET 0 or VLT_CLI_EXIT_USAGE after the message.
 */
int vlt__cli_check_usage(const vlt_cli_opts_t *o, unsigned allowed, size_t min, long max,
			 const char *what);
/* Print "valet <noun> <verb>: <message>" on stderr; RET VLT_CLI_EXIT_USAGE. */
int vlt__cli_usage_error(const vlt_cli_opts_t *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * vlt__cli_print_rows - rows (an array of objects) as o->format asks: the
 * columns of o->columns, else defaults (NULL-terminated); every name of
 * -c must be one of known (NULL-terminated). RET a VLT_CLI_EXIT_* status.
 */
int vlt__cli_print_rows(const vlt_cli_opts_t *o, const json_t *rows, const char *const *defaults,
			const char *const *known);
/*
 * vlt__cli_print_object - one object as Field/Value (a table) or its members
 * (the other formats); -c picks members. RET a VLT_CLI_EXIT_* status.
 */
int vlt__cli_print_object(const vlt_cli_opts_t *o, const json_t *obj);

/* The subcommands: RET a VLT_CLI_EXIT_* status. */
int vlt__cli_cmd_plan(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o);
int vlt__cli_cmd_placement(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o);
int vlt__cli_cmd_group(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o);
int vlt__cli_cmd_decision(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o);
int vlt__cli_cmd_status(vlt_cli_conn_t *conn, const vlt_cli_opts_t *o);

/*
 * vlt__cli_load_json - a JSON file ("-": standard input), duplicate keys refused.
 * RET a new reference, or NULL after "who: FILE:LINE:COL: reason" on stderr.
 * (valet.c: `valet simulate` reads its files with it too.)
 */
json_t *vlt__cli_load_json(const char *who, const char *path);

/* The usage text of noun (NULL: the overview) on out; RET false for an unknown noun. */
bool vlt__cli_help(const char *noun, FILE *out);

#endif /* VALET_PROGRAMS_CLIENT_H */
