#!/usr/bin/python3
"""`valet` as a client of a real valetd started by the test: every
subcommand, every output format, the server's errors (404, 400, 409) with
its message and exit status 1, bad usage (2), an unreachable valetd (3),
and a token sent as X-Auth-Token, seen by a forwarding proxy in front of
valetd.

Arguments: the valet binary and the test inventory (eight hosts qos101 to
qos108 of 4 vCPUs); $VALETD is the valetd binary (CTest sets it).
"""
import http.server
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.error
import urllib.request
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "plugins" / "openstack"))
from tests.valetd import Valetd  # noqa: E402  (the package's helper)

VALET = None
INVENTORY = None
DAEMON = None

STACK_ID = "5d7a4a1c-3b1e-4c55-9d7e-0c1a2b3c4d5e"
WEB = ["0a000000-0000-4000-8000-%012d" % i for i in (1, 2)]


def stack(stack_id=STACK_ID, servers=WEB, flavor="m1.small", tenant="t-cli",
          group=None):
    """A plan request of servers (orchestration ids) of one flavor."""
    resources = {}
    for i, orch in enumerate(servers):
        props = {"flavor": flavor}
        if group:
            props["metadata"] = {"valet": {"groups": [group]}}
        resources[orch] = {"name": "web-%d" % (i + 1),
                           "type": "OS::Nova::Server", "properties": props}
    return {"plan_name": "web", "stack_id": stack_id, "tenant_id": tenant,
            "resources": resources}


def valet(*args, url=None, env=None, stdin=None):
    """Run valet against the test's valetd (or url); a CompletedProcess."""
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("OS_") and k != "VALET_URL"}
    environ["VALET_URL"] = url if url is not None else DAEMON.url
    environ.update(env or {})
    return subprocess.run([VALET, *args], capture_output=True, text=True,
                          input=stdin, env=environ, check=False, timeout=120)


def api(method, path, body=None):
    """valetd's own answer to a request: (status, document or None)."""
    return DAEMON.request(method, path, body)


class Case(unittest.TestCase):
    def ok(self, *args, **kw):
        out = valet(*args, **kw)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out

    def json_of(self, *args, **kw):
        return json.loads(self.ok(*args, "-f", "json", **kw).stdout)

    def refused(self, status, *args, **kw):
        """valet exits 1 and names the HTTP status and the server's explanation."""
        out = valet(*args, **kw)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn(": %d " % status, out.stderr)
        self.assertEqual(out.stdout, "")
        return out.stderr

    def usage(self, *args, **kw):
        out = valet(*args, **kw)
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertTrue(out.stderr.startswith("valet"), out.stderr)
        return out.stderr


def table_rows(text):
    """The cells of an aligned table, header first, one list per line."""
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    return [[c.strip() for c in ln.strip("|").split("|")] for ln in lines]


class Status(Case):
    def test_every_format_says_the_same(self):
        want = api("GET", "/v1/status")[1]["status"]
        table = {r[0]: r[1] for r in table_rows(self.ok("status").stdout)[1:]}
        self.assertEqual(table["store.module"], want["store"]["module"])
        self.assertEqual(table["ostro.status.type"], "ok")
        as_json = self.json_of("status")
        self.assertEqual(as_json["store.module"], "sqlite")
        self.assertEqual(as_json["sources.hosts"], 8)
        as_yaml = yaml.safe_load(self.ok("status", "-f", "yaml").stdout)
        self.assertEqual(as_yaml["sources.hosts"], 8)
        self.assertEqual(as_yaml["store.type"], "ok")
        value = self.ok("status", "-f", "value", "-c", "sources.hosts",
                        "-c", "store.module").stdout
        self.assertEqual(value, "8\nsqlite\n")

    def test_url_may_end_in_v1_or_a_slash(self):
        for url in (DAEMON.url + "/", DAEMON.url + "/v1", DAEMON.url + "/v1/"):
            self.assertEqual(self.json_of("status", url=url)["store.type"], "ok")
        # --url wins over VALET_URL
        out = self.ok("--url", DAEMON.url, "status", "-f", "value", "-c",
                      "store.type", url="http://127.0.0.1:1")
        self.assertEqual(out.stdout, "ok\n")


class Groups(Case):
    def test_lifecycle(self):
        made = self.json_of("group", "create", "cli-div", "--type", "diversity",
                            "--level", "rack", "--description", "web tier")
        self.assertEqual((made["name"], made["type"], made["level"]),
                         ("cli-div", "diversity", "rack"))
        self.assertEqual(api("GET", "/v1/groups/cli-div")[1]["group"]["id"],
                         made["id"])
        listed = self.json_of("group", "list")
        self.assertIn(made["id"], [g["id"] for g in listed])
        as_yaml = yaml.safe_load(self.ok("group", "list", "-f", "yaml").stdout)
        self.assertEqual(as_yaml, listed)

        self.ok("group", "update", "cli-div", "--description", "front end")
        self.ok("group", "member-add", made["id"], "t1", "t2", "t3")
        shown = self.json_of("group", "show", "cli-div")
        self.assertEqual(shown["description"], "front end")
        self.assertEqual(sorted(shown["members"]), ["t1", "t2", "t3"])
        rows = table_rows(self.ok("group", "show", "cli-div").stdout)
        self.assertEqual(rows[0], ["Field", "Value"])
        self.assertIn(["members", "t1, t2, t3"], rows)

        self.assertEqual(self.ok("group", "member-remove", "cli-div", "t2").stdout, "")
        self.assertEqual(sorted(api("GET", "/v1/groups/cli-div")[1]["group"]["members"]),
                         ["t1", "t3"])
        why = self.refused(409, "group", "delete", "cli-div")
        self.assertIn(api("DELETE", "/v1/groups/cli-div")[1]["explanation"], why)
        self.ok("group", "member-remove", "cli-div", "--all")
        self.ok("group", "delete", "cli-div")
        self.assertIn("Group not found", self.refused(404, "group", "show", "cli-div"))

    def test_bad_type_is_the_servers_400_and_changes_nothing(self):
        before = api("GET", "/v1/groups")[1]
        why = self.refused(400, "group", "create", "bad", "--type", "sideways")
        status, doc = api("POST", "/v1/groups", {"name": "bad", "type": "sideways"})
        self.assertEqual(status, 400)
        self.assertIn(doc["explanation"], why)
        self.assertIn("sideways", why)
        self.assertEqual(api("GET", "/v1/groups")[1], before)

    def test_what_yaml_would_misread_stays_a_string(self):
        for text in ("123", "true", "null", "no", "2026-12-07", "", "a: b", "café — front"):
            self.ok("group", "create", "cli-yaml", "--type", "affinity",
                    "--description", text)
            try:
                shown = yaml.safe_load(self.ok("group", "show", "cli-yaml", "-f", "yaml").stdout)
                self.assertEqual(shown["description"], text)
                table = self.ok("group", "show", "cli-yaml").stdout
                widths = {len(ln) for ln in table.splitlines()}
                self.assertEqual(len(widths), 1, table)
            finally:
                self.ok("group", "delete", "cli-yaml")

    def test_columns_in_the_order_given(self):
        self.ok("group", "create", "cli-cols", "--type", "affinity")
        rows = table_rows(self.ok("group", "list", "-c", "type", "-c", "name").stdout)
        self.assertEqual(rows[0], ["type", "name"])
        self.assertIn(["affinity", "cli-cols"], rows)
        value = self.ok("group", "list", "-f", "value", "-c", "name").stdout.split()
        self.assertIn("cli-cols", value)
        self.ok("group", "delete", "cli-cols")


class Plans(Case):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.request = Path(self.tmp.name) / "stack.json"
        self.request.write_text(json.dumps(stack()), encoding="utf-8")

    def tearDown(self):
        for sid in (STACK_ID, "cli-second", "cli-big"):
            api("DELETE", "/v1/plans/" + sid)
        self.tmp.cleanup()

    def test_create_show_list_reserve_delete(self):
        plan = self.json_of("plan", "create", str(self.request))
        self.assertEqual(plan["stack_id"], STACK_ID)
        self.assertEqual(sorted(plan["placements"]), WEB)
        self.assertEqual(api("GET", "/v1/plans/" + STACK_ID)[1]["plan"], plan)
        self.assertEqual(self.json_of("plan", "show", STACK_ID), plan)
        self.assertEqual(self.json_of("plan", "show", plan["id"]), plan)

        # from standard input, stack id and name replaced
        second = self.json_of("plan", "create", "-", "--stack-id", "cli-second",
                              "--name", "again",
                              stdin=json.dumps(stack(servers=["0b000000-0000-4000-8000-1"])))
        self.assertEqual((second["stack_id"], second["name"]), ("cli-second", "again"))
        listed = {p["stack_id"]: p for p in self.json_of("plan", "list")}
        self.assertEqual(listed[STACK_ID]["servers"], 2)
        self.assertEqual(listed["cli-second"]["servers"], 1)
        ids = self.ok("plan", "list", "-f", "value", "-c", "stack_id").stdout.split()
        self.assertIn(STACK_ID, ids)

        placements = self.json_of("placement", "list", "--plan", plan["id"])
        self.assertEqual(sorted(p["orchestration_id"] for p in placements), WEB)
        one = self.json_of("placement", "show", WEB[0])
        host = one["location"]
        self.assertEqual(host, plan["placements"][WEB[0]]["location"])
        self.assertFalse(one["reserved"])

        # reserve on its host among the candidates, as Nova's filter does
        got = self.json_of("placement", "reserve", WEB[0], "--host", "qos108",
                           "--host", host, "--resource-id", "nova-cli-1")
        self.assertEqual((got["location"], got["reserved"], got["resource_id"]),
                         (host, True, "nova-cli-1"))
        reserved = self.json_of("placement", "list", "--reserved", "true",
                                "--plan", plan["id"])
        self.assertEqual([p["orchestration_id"] for p in reserved], [WEB[0]])
        on_host = self.ok("placement", "list", "--host", host, "-f", "value",
                          "-c", "orchestration_id").stdout.split()
        self.assertIn(WEB[0], on_host)
        by_meta = self.json_of("placement", "list", "--query", "name=web-2",
                               "--plan", plan["id"])
        self.assertEqual([p["orchestration_id"] for p in by_meta], [WEB[1]])

        # replan: placed again among the hosts given
        other = next(h for h in ("qos107", "qos106") if h != host)
        moved = self.json_of("placement", "reserve", WEB[1], "--host", other, "--replan")
        self.assertEqual(moved["location"], other)
        self.assertEqual(api("GET", "/v1/placements/" + WEB[1])[1]["placement"]["location"],
                         other)

        self.assertEqual(self.ok("plan", "delete", STACK_ID, "cli-second").stdout, "")
        self.assertEqual(api("GET", "/v1/plans/" + STACK_ID)[0], 404)
        self.assertEqual(self.json_of("placement", "list", "--plan", plan["id"]), [])

    def test_table_of_a_plan(self):
        self.ok("plan", "create", str(self.request))
        rows = table_rows(self.ok("plan", "list").stdout)
        self.assertEqual(rows[0], ["id", "name", "stack_id", "servers"])
        self.assertIn(STACK_ID, [r[2] for r in rows[1:]])
        shown = self.ok("plan", "show", STACK_ID).stdout
        for orch in WEB:
            self.assertIn(orch + ": name=", shown)
        widths = {len(ln) for ln in shown.splitlines()}
        self.assertEqual(len(widths), 1, "every line of the table is as wide")

    def test_no_room_is_409_with_the_reason(self):
        servers = ["0c000000-0000-4000-8000-%d" % i for i in range(9)]
        big = stack(stack_id="cli-big", servers=servers, flavor="m1.large")
        self.request.write_text(json.dumps(big), encoding="utf-8")
        why = self.refused(409, "plan", "create", str(self.request))
        self.assertIn("hosts fit", why)
        self.assertEqual(api("GET", "/v1/plans/cli-big")[0], 404)

    def test_unknown_ids_are_404(self):
        self.assertIn("Plan not found", self.refused(404, "plan", "show", "no-such-plan"))
        self.assertIn("Placement not found",
                      self.refused(404, "placement", "show", "no-such-placement"))
        self.assertIn("Placement not found",
                      self.refused(404, "placement", "reserve", "nope", "--host", "qos101"))
        # one of several deletes fails: the others are done, the status says so
        self.ok("plan", "create", str(self.request))
        self.refused(404, "plan", "delete", "no-such-plan", STACK_ID)
        self.assertEqual(api("GET", "/v1/plans/" + STACK_ID)[0], 404)

    def test_bad_request_files_exit_2_naming_the_file(self):
        self.assertIn("/no/such.json", self.usage("plan", "create", "/no/such.json"))
        broken = Path(self.tmp.name) / "broken.json"
        broken.write_text('{"plan_name": "x",\n  "stack_id": }\n', encoding="utf-8")
        self.assertIn(str(broken) + ":2:", self.usage("plan", "create", str(broken)))
        listed = Path(self.tmp.name) / "list.json"
        listed.write_text("[1, 2]", encoding="utf-8")
        self.assertIn("JSON object", self.usage("plan", "create", str(listed)))

    def test_a_malformed_request_is_the_servers_400(self):
        bad = stack()
        del bad["resources"]
        self.request.write_text(json.dumps(bad), encoding="utf-8")
        why = self.refused(400, "plan", "create", str(self.request))
        self.assertIn("$.resources", why)


class Decisions(Case):
    """GET /v1/decisions: the CLI prints its rows, or says clearly that
    this valetd has no decision record."""

    def test_show(self):
        status, doc = api("GET", "/v1/decisions?plan=" + STACK_ID)
        if status == 404 and doc["explanation"].startswith("no resource at"):
            why = self.refused(404, "decision", "show", "--plan", STACK_ID)
            self.assertIn("no resource at /v1/decisions", why)
            self.assertIn("does not serve /v1/decisions", why)
            return
        request = Path(tempfile.mkdtemp()) / "stack.json"
        request.write_text(json.dumps(stack()), encoding="utf-8")
        plan = self.json_of("plan", "create", str(request))
        try:
            rows = self.json_of("decision", "show", "--plan", STACK_ID)
            hosts = {r["unit"]: r["host"] for r in rows if r["kind"]}
            for unit in plan["placements"].values():
                self.assertEqual(hosts[unit["name"]], unit["location"])
            by_server = self.json_of("decision", "show", "--server", WEB[0])
            self.assertTrue(by_server)
        finally:
            api("DELETE", "/v1/plans/" + STACK_ID)

    def test_needs_plan_or_server(self):
        self.usage("decision", "show")
        self.usage("decision", "show", "--plan", "a", "--server", "b")


class Errors(Case):
    def test_unreachable_is_3(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        out = valet("plan", "list", url="http://127.0.0.1:%d" % port)
        self.assertEqual(out.returncode, 3, out.stderr)
        self.assertIn("127.0.0.1:%d" % port, out.stderr)

    def test_usage_is_2(self):
        self.assertIn("subcommand", self.usage("plan"))
        self.assertIn("unknown subcommand", self.usage("plan", "explode"))
        self.assertIn("needed", self.usage("plan", "show"))
        self.assertIn("unexpected operand", self.usage("plan", "show", "a", "b"))
        self.assertIn("--type", self.usage("plan", "list", "--type", "x"))
        self.assertIn("--host is needed", self.usage("placement", "reserve", "x"))
        self.assertIn("true or false", self.usage("placement", "list", "--reserved", "yes"))
        self.assertIn("KEY=VALUE", self.usage("placement", "list", "--query", "novalue"))
        self.assertIn("table, json, yaml and value", self.usage("status", "-f", "xml"))
        self.assertIn("--all", self.usage("group", "member-remove", "g"))
        self.assertIn("--type is needed", self.usage("group", "create", "g"))
        why = self.usage("group", "list", "-c", "colour")
        self.assertIn("-c colour", why)
        self.assertIn("members", why)  # the columns there are

    def test_configuration_is_2(self):
        why = self.usage("status", url="")
        self.assertIn("VALET_URL", why)
        self.assertIn("OS_AUTH_URL", why)
        self.assertIn("VALET_URL", self.usage("status", url="127.0.0.1:8090"))
        why = self.usage("status", env={"OS_AUTH_URL": "http://127.0.0.1:1/v3",
                                        "OS_USERNAME": "admin"})
        self.assertIn("OS_PASSWORD", why)
        why = self.usage("status", env={"OS_AUTH_URL": "http://127.0.0.1:1/v3"})
        self.assertIn("OS_APPLICATION_CREDENTIAL_ID", why)
        why = self.usage("status", env={"OS_TOKEN": "t", "OS_INTERFACE": "private"})
        self.assertIn("OS_INTERFACE", why)

    def test_keystone_unreachable_is_3(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        out = valet("status", url="", env={
            "OS_AUTH_URL": "http://127.0.0.1:%d/v3" % port, "OS_USERNAME": "admin",
            "OS_PASSWORD": "secret-pw", "OS_PROJECT_NAME": "admin"})
        self.assertEqual(out.returncode, 3, out.stderr)
        self.assertIn("/v3/auth/tokens", out.stderr)
        self.assertNotIn("secret-pw", out.stderr)


class Help(Case):
    def test_pages(self):
        for noun in ("plan", "placement", "group", "decision", "status"):
            page = self.ok("help", noun).stdout
            for part in ("NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "ENVIRONMENT"):
                self.assertIn(part, page)
            self.assertIn("valet " + noun, page)
            self.assertEqual(self.ok(noun, "--help").stdout, page)
        overview = self.ok("help").stdout
        self.assertIn("simulate", overview)
        self.assertIn("decision", overview)
        self.assertEqual(valet("help", "nope").returncode, 2)

    def test_simulate_still_answers(self):
        out = subprocess.run([VALET, "simulate", "--help"], capture_output=True,
                             text=True, check=False)
        self.assertEqual(out.returncode, 0)
        self.assertIn("valet simulate", out.stdout)


class Recorder(http.server.BaseHTTPRequestHandler):
    """Forwards every request to valetd as it is and keeps its headers."""
    seen = []

    def forward(self):
        Recorder.seen.append(dict(self.headers))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        req = urllib.request.Request(DAEMON.url + self.path, data=body,
                                     method=self.command)
        for name in ("Content-Type", "X-Auth-Token", "Accept"):
            if self.headers.get(name):
                req.add_header(name, self.headers[name])
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, text = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    do_GET = do_POST = do_PUT = do_DELETE = forward

    def log_message(self, *args):
        pass


class Token(Case):
    @classmethod
    def setUpClass(cls):
        cls.proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
        threading.Thread(target=cls.proxy.serve_forever, daemon=True).start()
        cls.url = "http://127.0.0.1:%d" % cls.proxy.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.proxy.shutdown()
        cls.proxy.server_close()

    def setUp(self):
        Recorder.seen.clear()

    def test_token_from_the_environment_or_the_option(self):
        self.ok("status", url=self.url, env={"OS_TOKEN": "tok-env"})
        self.assertEqual(Recorder.seen[-1].get("X-Auth-Token"), "tok-env")
        self.ok("--os-token", "tok-opt", "group", "list", url=self.url,
                env={"OS_TOKEN": "tok-env"})
        self.assertEqual(Recorder.seen[-1].get("X-Auth-Token"), "tok-opt")

    def test_no_token_without_auth(self):
        self.ok("status", url=self.url)
        self.assertNotIn("X-Auth-Token", Recorder.seen[-1])

    def test_a_write_carries_it_too(self):
        self.ok("group", "create", "cli-tok", "--type", "affinity", url=self.url,
                env={"OS_TOKEN": "tok-write"})
        self.assertEqual(Recorder.seen[-1].get("X-Auth-Token"), "tok-write")
        self.ok("group", "delete", "cli-tok", url=self.url, env={"OS_TOKEN": "tok-write"})


def main():
    global VALET, INVENTORY, DAEMON
    VALET, INVENTORY = sys.argv[1], sys.argv[2]
    del sys.argv[1:3]
    DAEMON = Valetd(inventory=INVENTORY)
    try:
        unittest.main(verbosity=2)
    finally:
        DAEMON.close()


if __name__ == "__main__":
    main()
