/*
 * valet_client_help.c - `valet help [COMMAND]` and `valet COMMAND --help`:
 * one page per command, laid out as a manual page (valet_client.h).
 */
#include <stdio.h>
#include <string.h>

#include "valet_client.h"

static const char common[] =
	"COMMON OPTIONS\n"
	"    --url URL          valetd's root (http://host:8090); else $VALET_URL, else\n"
	"                       the catalog's valet service (OS_AUTH_URL and credentials)\n"
	"    --os-token TOKEN   sent as X-Auth-Token; else $OS_TOKEN, else a token from\n"
	"                       Keystone when OS_AUTH_URL is set, else none\n"
	"    -f, --format FMT   table (aligned, the default), json, yaml or value\n"
	"    -c, --column COL   print only COL (repeat for more, in that order)\n"
	"    -h, --help         this page\n"
	"\n"
	"ENVIRONMENT\n"
	"    VALET_URL, OS_TOKEN, OS_AUTH_URL, OS_USERNAME, OS_PASSWORD, OS_PROJECT_NAME,\n"
	"    OS_USER_DOMAIN_NAME, OS_PROJECT_DOMAIN_NAME (both \"Default\" when unset),\n"
	"    OS_APPLICATION_CREDENTIAL_ID, OS_APPLICATION_CREDENTIAL_SECRET, OS_CACERT,\n"
	"    OS_INTERFACE (public), OS_REGION_NAME\n"
	"\n"
	"EXIT STATUS\n"
	"    0 done; 1 valetd or Keystone refused (the server's message on stderr);\n"
	"    2 bad usage, input file or environment; 3 valetd or Keystone unreachable\n"
	"\n"
	"SEE ALSO\n"
	"    docs/cli.md, docs/api.md\n";

static const struct page {
	const char *noun;
	const char *text;
} pages[] = {
	{ "plan",
	  "NAME\n"
	  "    valet plan - the plans valetd holds: one per Heat stack\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    valet plan list\n"
	  "    valet plan show PLAN\n"
	  "    valet plan create REQUEST.json [--name NAME] [--stack-id ID]\n"
	  "    valet plan delete PLAN...\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    PLAN is a plan id or a Heat stack id.\n"
	  "    list     every plan, oldest first: id, name, stack_id, servers (how many);\n"
	  "             placements too with -c placements\n"
	  "    show     one plan, its servers' placements by orchestration id\n"
	  "    create   POST /v1/plans with the plan request in REQUEST.json (- reads\n"
	  "             standard input; docs/plan-request.md), its plan_name and\n"
	  "             stack_id replaced by --name and --stack-id when given; prints\n"
	  "             the plan. The whole stack is placed and held before the answer;\n"
	  "             a stack that does not fit is refused (exit 1) with the reason.\n"
	  "    delete   release every plan named and remove its placements\n" },
	{ "placement",
	  "NAME\n"
	  "    valet placement - where each planned server goes, and its reservation\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    valet placement list [--plan PLAN] [--host HOST] [--reserved true|false]\n"
	  "                         [--query KEY=VALUE ...]\n"
	  "    valet placement show PLACEMENT\n"
	  "    valet placement reserve PLACEMENT --host HOST [--host HOST ...]\n"
	  "                            [--resource-id ID] [--replan]\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    PLACEMENT is a placement id or an orchestration id (Heat's resource uuid).\n"
	  "    list     the servers' placements matching every filter: --plan its plan id,\n"
	  "             --host its location, --reserved, --query any other field or a\n"
	  "             metadata key (heat_resource_uuid=...); columns id, name,\n"
	  "             orchestration_id, location, reserved, plan_id, and resource_id,\n"
	  "             metadata with -c\n"
	  "    show     one placement (a volume's too)\n"
	  "    reserve  what Nova's filter does: reserve it on its planned host when that\n"
	  "             is one of the --host candidates, else place it again among them;\n"
	  "             --replan places it again in any case; --resource-id records\n"
	  "             the server's Nova uuid\n" },
	{ "group",
	  "NAME\n"
	  "    valet group - named affinity, diversity and exclusivity groups\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    valet group list\n"
	  "    valet group show GROUP\n"
	  "    valet group create NAME --type TYPE [--level host|rack|cluster]\n"
	  "                       [--description TEXT]\n"
	  "    valet group update GROUP --description TEXT\n"
	  "    valet group delete GROUP...\n"
	  "    valet group member-add GROUP TENANT...\n"
	  "    valet group member-remove GROUP TENANT... | GROUP --all\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    GROUP is a group id or its name. TYPE is a loaded policy: affinity,\n"
	  "    diversity or exclusivity; the level is host when not given. Name, type\n"
	  "    and level never change. A group with members may be used only by the\n"
	  "    plans of those tenants (project ids); a group with members cannot be\n"
	  "    deleted, and a member with servers in the group cannot be removed.\n"
	  "    member-add and update print the group; delete and member-remove print\n"
	  "    nothing.\n" },
	{ "decision",
	  "NAME\n"
	  "    valet decision - why a server is where it is\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    valet decision show --plan PLAN\n"
	  "    valet decision show --server SERVER\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    The decision record valetd keeps for every plan, replan, reservation and\n"
	  "    ad-hoc placement (GET /v1/decisions?plan=...|server=...), one row per unit\n"
	  "    of each decision: time, kind, solver, unit, host, runner_up, why; and\n"
	  "    with -c id, plan_id, stack_id, unit_id, metrics, refused (hosts ruled\n"
	  "    out, by reason), request. PLAN is a plan id or a stack id, SERVER a\n"
	  "    server's Nova uuid or orchestration id. A valetd without the decision\n"
	  "    record answers 404 (no resource at /v1/decisions), and valet says so.\n" },
	{ "status",
	  "NAME\n"
	  "    valet status - valetd's store, journal and sources\n"
	  "\n"
	  "SYNOPSIS\n"
	  "    valet status\n"
	  "\n"
	  "DESCRIPTION\n"
	  "    GET /v1/status, its nested members flattened into dotted fields\n"
	  "    (store.journal_entries, sources.read_s_ago, ...); -c picks them.\n" },
};

static const char overview[] =
	"NAME\n"
	"    valet - Valet's command line\n"
	"\n"
	"SYNOPSIS\n"
	"    valet COMMAND [SUBCOMMAND] [OPTIONS] [OPERANDS]\n"
	"    valet help [COMMAND]\n"
	"\n"
	"COMMANDS\n"
	"    plan        list, show, create, delete plans          (valetd's API)\n"
	"    placement   list, show, reserve placements            (valetd's API)\n"
	"    group       list, show, create, update, delete, member-add, member-remove\n"
	"    decision    show why servers went where they did      (valetd's API)\n"
	"    status      valetd's store, journal and sources       (valetd's API)\n"
	"    simulate    where would this go? no valetd needed     (valet simulate --help)\n"
	"    inventory   what the sources see                      (valet inventory --help)\n"
	"\n";

bool vlt__cli_help(const char *noun, FILE *out)
{
	if (noun == NULL) {
		fputs(overview, out);
		fputs(common, out);
		return true;
	}
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		if (strcmp(pages[i].noun, noun) == 0) {
			fputs(pages[i].text, out);
			fputc('\n', out);
			fputs(common, out);
			return true;
		}
	}
	return false;
}
