#!/usr/bin/python3
"""Blazar's own client (python3-blazarclient's `blazar`) against a real
valetd started by the test on a static inventory, with no Keystone: the
client's `--os-auth-type none --os-endpoint URL/v1`. Leases of both kinds
(virtual:instance with each affinity, physical:host with
hypervisor_properties) are created, listed, shown, updated and deleted
through the client, and what the client is told is checked against
valetd's own reservation (/v1/reservations) and its placements.

Arguments: the test inventory (eight hosts qos101 to qos108 of 4 vCPUs,
16 GB and 200 GB, racks r1 and r2); $VALETD is the valetd binary (CTest
sets it).
"""
import datetime
import json
import os
import subprocess
import sys
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "plugins" / "openstack"))
from tests.valetd import Valetd  # noqa: E402  (the package's helper)

DAEMON = None
BLAZAR = "/usr/bin/blazar"
HOSTS = ["qos10%d" % i for i in range(1, 9)]
DATE = "%Y-%m-%d %H:%M"
LEASE_DATE = "%Y-%m-%dT%H:%M:%S.%f"


def blazar(*args):
    """Run the blazar client against the test's valetd; a CompletedProcess."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    cmd = [BLAZAR, "--os-auth-type", "none",
           "--os-endpoint", DAEMON.url + "/v1", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env,
                          check=False, timeout=120)


def api(method, path, body=None):
    """valetd's own answer: (status, document or None)."""
    return DAEMON.request(method, path, body)


def at(days=0, hours=0):
    """A date the client takes, days and hours from now (whole minutes)."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    when = now + datetime.timedelta(days=days, hours=hours)
    return when.strftime(DATE)


def instance(amount, affinity, vcpus=1, memory_mb=1024, disk_gb=10):
    """A --reservation argument of an instance reservation."""
    return ("resource_type=virtual:instance,amount=%d,vcpus=%d,memory_mb=%d,"
            "disk_gb=%d,affinity=%s" % (amount, vcpus, memory_mb, disk_gb,
                                        affinity))


def hosts_arg(low, high, properties=""):
    """A --physical-reservation argument."""
    arg = "min=%d,max=%d" % (low, high)
    if properties:
        arg += ",hypervisor_properties=" + properties
    return arg


class Case(unittest.TestCase):
    def tearDown(self):
        for lease in api("GET", "/v1/leases")[1]["leases"]:
            api("DELETE", "/v1/leases/" + lease["id"])

    def ok(self, *args):
        out = blazar(*args)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        return out.stdout

    def refused(self, *args):
        """The client exits 1 printing valetd's error_message."""
        out = blazar(*args)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertIn("ERROR: ", out.stderr)
        return out.stderr

    def create(self, name, *args, start=None, end=None):
        """lease-create through the client; the lease as valetd serves it."""
        dates = ["--start-date", start or at(days=1), "--end-date",
                 end or at(days=2)]
        out = self.ok("lease-create", "-f", "json", *dates, *args, name)
        head, _, text = out.partition("\n")
        self.assertEqual(head, "Created a new lease:")
        shown = json.loads(text)
        self.assertEqual(shown["name"], name)
        status, doc = api("GET", "/v1/leases/" + shown["id"])
        self.assertEqual(status, 200)
        self.assertEqual(doc["lease"]["status"], shown["status"])
        return doc["lease"]

    def reservation(self, lease):
        """valetd's own reservation behind a lease."""
        status, doc = api("GET", "/v1/reservations/" + lease["id"])
        self.assertEqual(status, 200)
        return doc["reservation"]

    def placed(self, lease, res):
        """{orchestration id: host} of one Blazar reservation's servers."""
        return {orch: p["location"]
                for orch, p in self.reservation(lease)["placements"].items()
                if orch.startswith(res["id"] + "/")}


class InstanceLeases(Case):
    def test_create_list_show_delete(self):
        start, end = at(days=1), at(days=2)
        lease = self.create("web", "--reservation", instance(3, "False"),
                            start=start, end=end)
        self.assertEqual(lease["status"], "PENDING")
        self.assertEqual(lease["start_date"][:16], start.replace(" ", "T"))
        self.assertEqual(lease["end_date"][:16], end.replace(" ", "T"))
        res = lease["reservations"][0]
        self.assertEqual((res["resource_type"], res["amount"], res["vcpus"],
                          res["memory_mb"], res["disk_gb"], res["affinity"]),
                         ("virtual:instance", 3, 1, 1024, 10, False))
        self.assertEqual(res["status"], "pending")
        # affinity False: three servers on three different hosts, as held
        placed = self.placed(lease, res)
        self.assertEqual(len(placed), 3)
        self.assertEqual(len(set(placed.values())), 3)
        self.assertEqual(res["hosts"], sorted(placed.values()))
        resv = self.reservation(lease)
        self.assertEqual(resv["status"], "pending")
        self.assertEqual(resv["stack_id"], lease["id"])
        events = {e["event_type"]: e for e in lease["events"]}
        self.assertEqual(sorted(events), ["before_end_lease", "end_lease",
                                          "start_lease"])
        self.assertEqual(events["start_lease"]["time"], lease["start_date"])
        self.assertEqual(events["end_lease"]["status"], "UNDONE")

        listed = self.ok("lease-list", "-f", "json")
        self.assertEqual([(x["id"], x["name"]) for x in json.loads(listed)],
                         [(lease["id"], "web")])
        by_name = json.loads(self.ok("lease-show", "-f", "json", "web"))
        self.assertEqual(by_name["id"], lease["id"])
        self.assertEqual(by_name["status"], "PENDING")
        by_id = json.loads(self.ok("lease-show", "-f", "json", lease["id"]))
        self.assertEqual(by_id["start_date"], lease["start_date"])

        self.assertIn("Deleted lease", self.ok("lease-delete", "web"))
        self.assertEqual(json.loads(self.ok("lease-list", "-f", "json")), [])
        self.assertEqual(api("GET", "/v1/reservations/" + lease["id"])[0],
                         404)
        self.assertIn("could not be found",
                      self.refused("lease-show", lease["id"]))

    def test_affinity_true_is_one_host_null_is_free(self):
        lease = self.create("pair", "--reservation", instance(2, "True"))
        res = lease["reservations"][0]
        self.assertIs(res["affinity"], True)
        self.assertEqual(len(set(self.placed(lease, res).values())), 1)
        free = self.create("free", "--reservation", instance(2, "None"))
        self.assertIsNone(free["reservations"][0]["affinity"])
        self.assertEqual(len(self.placed(free, free["reservations"][0])), 2)

    def test_starting_now_is_active(self):
        lease = self.create("now", "--reservation", instance(1, "None"),
                            start="now", end=at(hours=3))
        self.assertEqual(lease["status"], "ACTIVE")
        events = {e["event_type"]: e["status"] for e in lease["events"]}
        self.assertEqual(events, {"start_lease": "DONE",
                                  "end_lease": "UNDONE",
                                  "before_end_lease": "UNDONE"})
        self.assertEqual(self.reservation(lease)["status"], "active")

    def test_one_lease_is_placed_whole(self):
        # two reservations of one lease: 4 + 4 servers of a whole host's
        # vCPUs each, diverse: all eight hosts, or nothing
        big = instance(4, "False", vcpus=4, memory_mb=1024)
        lease = self.create("whole", "--reservation", big,
                            "--reservation", big)
        hosts = set()
        for res in lease["reservations"]:
            hosts |= set(self.placed(lease, res).values())
        self.assertEqual(hosts, set(HOSTS))

    def test_no_room_is_refused_with_the_reason_and_changes_nothing(self):
        self.create("first", "--reservation", instance(8, "False", vcpus=4))
        before = api("GET", "/v1/reservations")[1]
        why = self.refused("lease-create", "--start-date", at(days=1),
                           "--end-date", at(days=2), "--reservation",
                           instance(1, "None"), "second")
        self.assertIn("short of vcpus", why)
        self.assertEqual(api("GET", "/v1/reservations")[1], before)
        self.assertEqual(len(api("GET", "/v1/leases")[1]["leases"]), 1)


class HostLeases(Case):
    def test_hosts_matching_properties_held_whole(self):
        lease = self.create("hosts", "--physical-reservation",
                            hosts_arg(2, 3, '["==", "$vcpus", "4"]'))
        res = lease["reservations"][0]
        self.assertEqual((res["resource_type"], res["min"], res["max"]),
                         ("physical:host", 2, 3))
        self.assertEqual(res["hypervisor_properties"],
                         '["==", "$vcpus", "4"]')
        placed = self.placed(lease, res)
        self.assertEqual(len(placed), 3)
        # one server per host, pinned there, of the host's whole capacity
        for orch, host in placed.items():
            self.assertEqual(orch, res["id"] + "/" + host)
        topo = api("GET", "/v1/topology")[1]["topology"]
        free = {h["name"]: h["resources"]["vcpus"]["free"]
                for c in topo["clusters"] for r in c["racks"]
                for h in r["hosts"]}
        for host in placed.values():
            self.assertEqual(free[host], 0)
        self.assertEqual(res["hosts"], sorted(placed.values()))

    def test_with_instances_in_one_lease(self):
        lease = self.create("mixed", "--physical-reservation",
                            hosts_arg(2, 2), "--reservation",
                            instance(2, "False"))
        held, servers = lease["reservations"]
        self.assertEqual(held["resource_type"], "physical:host")
        self.assertFalse(set(held["hosts"]) & set(servers["hosts"]))

    def test_not_enough_hosts_is_refused_and_changes_nothing(self):
        why = self.refused("lease-create", "--end-date", at(days=1),
                           "--physical-reservation",
                           hosts_arg(1, 2, '["==", "$vcpus", "8"]'), "big")
        self.assertIn("Not enough hosts available", why)
        self.create("most", "--physical-reservation", hosts_arg(7, 7))
        why = self.refused("lease-create", "--start-date", at(days=1),
                           "--end-date", at(days=2), "--physical-reservation",
                           hosts_arg(2, 2), "more")
        self.assertIn("1 found", why)
        self.assertEqual(len(api("GET", "/v1/leases")[1]["leases"]), 1)

    def test_malformed_properties_name_the_member(self):
        why = self.refused("lease-create", "--end-date", at(days=1),
                           "--physical-reservation",
                           hosts_arg(1, 1, '["~", "$vcpus", "8"]'), "bad")
        self.assertIn("$.reservations[0].hypervisor_properties", why)


def lease_date(text):
    """A date of a lease document."""
    return datetime.datetime.strptime(text, LEASE_DATE)


class Updates(Case):
    def test_prolong_reduce_defer_end_date_and_name(self):
        lease = self.create("moving", "--reservation", instance(2, "False"))
        start, end = (lease_date(lease["start_date"]),
                      lease_date(lease["end_date"]))
        steps = [(("--prolong-for", "1d"), 0, 24),
                 (("--reduce-by", "2h"), 0, 22),
                 (("--defer-by", "1h"), 1, 22)]
        for args, start_h, end_h in steps:
            self.assertIn("Updated lease", self.ok("lease-update", *args,
                                                   "moving"))
            now = api("GET", "/v1/leases/" + lease["id"])[1]["lease"]
            self.assertEqual(lease_date(now["start_date"]),
                             start + datetime.timedelta(hours=start_h))
            self.assertEqual(lease_date(now["end_date"]),
                             end + datetime.timedelta(hours=end_h))
            resv = self.reservation(lease)
            self.assertEqual(resv["start"][:16],
                             now["start_date"][:16])
            self.assertEqual(resv["end"][:16], now["end_date"][:16])
        new_end = at(days=5)
        self.ok("lease-update", "--end-date", new_end, "--name", "moved",
                "moving")
        shown = json.loads(self.ok("lease-show", "-f", "json", "moved"))
        self.assertEqual(shown["end_date"][:16], new_end.replace(" ", "T"))
        self.assertEqual(self.reservation(lease)["end"][:16],
                         new_end.replace(" ", "T"))

    def test_more_servers_keep_the_others_where_they_are(self):
        lease = self.create("grow", "--reservation", instance(2, "False"),
                            "--physical-reservation", hosts_arg(1, 1))
        servers = lease["reservations"][1]
        before = self.placed(lease, servers)
        held = self.placed(lease, lease["reservations"][0])
        self.ok("lease-update", "--reservation",
                "id=%s,amount=3" % servers["id"], "grow")
        now = api("GET", "/v1/leases/" + lease["id"])[1]["lease"]
        self.assertEqual(now["reservations"][1]["amount"], 3)
        after = self.placed(lease, servers)
        self.assertEqual(len(after), 3)
        self.assertEqual(len(set(after.values())), 3)
        for orch, host in before.items():
            self.assertEqual(after[orch], host)
        self.assertEqual(self.placed(lease, lease["reservations"][0]), held)

    def test_hosts_added_and_dropped_the_others_kept(self):
        lease = self.create("grow-hosts", "--physical-reservation",
                            hosts_arg(1, 1))
        res = lease["reservations"][0]
        first = self.placed(lease, res)
        self.ok("lease-update", "--reservation", "id=%s,max=3" % res["id"],
                "grow-hosts")
        grown = self.placed(lease, res)
        self.assertEqual(len(grown), 3)
        self.assertEqual(len(set(grown.values())), 3)
        for orch, host in first.items():
            self.assertEqual(grown[orch], host)
        now = api("GET", "/v1/leases/" + lease["id"])[1]["lease"]
        self.assertEqual(now["reservations"][0]["max"], 3)
        self.assertEqual(now["reservations"][0]["hosts"],
                         sorted(grown.values()))
        self.ok("lease-update", "--reservation",
                "id=%s,min=1,max=1" % res["id"], "grow-hosts")
        self.assertEqual(self.placed(lease, res), first)
        # more than the hosts free: refused, unchanged
        why = self.refused("lease-update", "--reservation",
                           "id=%s,min=9,max=9" % res["id"], "grow-hosts")
        self.assertIn("Not enough hosts available", why)
        self.assertIn("besides the 1 it keeps", why)
        self.assertEqual(self.placed(lease, res), first)

    def test_refused_updates_change_nothing(self):
        lease = self.create("fixed", "--reservation", instance(2, "False"),
                            "--physical-reservation", hosts_arg(1, 1))
        before = api("GET", "/v1/reservations/" + lease["id"])[1]
        servers, hosts = (lease["reservations"][1],
                          lease["reservations"][0])
        why = self.refused("lease-update", "--reservation",
                           "id=%s,amount=40" % servers["id"], "fixed")
        self.assertIn("short of vcpus", why)
        why = self.refused("lease-update", "--reservation",
                           'id=%s,hypervisor_properties=[">", "$vcpus", "1"]'
                           % hosts["id"], "fixed")
        self.assertIn("hypervisor_properties of host reservation", why)
        why = self.refused("lease-update", "--end-date", at(days=-1),
                           "fixed")
        self.assertIn("$.end_date", why)
        self.assertEqual(api("GET", "/v1/reservations/" + lease["id"])[1],
                         before)
        now = api("GET", "/v1/leases/" + lease["id"])[1]["lease"]
        self.assertEqual(now["reservations"], lease["reservations"])


class Windows(Case):
    def test_hosts_reserved_later_are_free_before(self):
        self.create("later", "--physical-reservation", hosts_arg(8, 8),
                    start=at(days=3), end=at(days=4))
        # the same eight hosts, whole, for a window that ends before
        earlier = self.create("earlier", "--physical-reservation",
                              hosts_arg(8, 8), start=at(days=1),
                              end=at(days=2))
        self.assertEqual(earlier["reservations"][0]["hosts"], HOSTS)
        why = self.refused("lease-create", "--start-date", at(days=2),
                           "--end-date", at(days=3, hours=1),
                           "--reservation", instance(1, "None"), "across")
        self.assertIn("short of", why)


class Ending(Case):
    def test_an_ended_lease_is_terminated_until_deleted(self):
        # Blazar's own date form has seconds: a lease of three seconds
        end = (datetime.datetime.now(datetime.timezone.utc)
               + datetime.timedelta(seconds=3)).replace(tzinfo=None)
        status, doc = api("POST", "/v1/leases", {
            "name": "short", "start_date": "now",
            "end_date": end.strftime(LEASE_DATE),
            "reservations": [{"resource_type": "virtual:instance",
                              "amount": 1, "vcpus": 1, "memory_mb": 512,
                              "disk_gb": 1, "affinity": None}]})
        self.assertEqual(status, 201, doc)
        lease_id = doc["lease"]["id"]
        self.assertEqual(doc["lease"]["status"], "ACTIVE")
        deadline = time.monotonic() + 60
        while (self.reservation(doc["lease"])["status"] != "ended"
               or not self.reservation(doc["lease"])["released"]):
            self.assertLess(time.monotonic(), deadline, "never ended")
            time.sleep(0.5)
        shown = json.loads(self.ok("lease-show", "-f", "json", "short"))
        self.assertEqual(shown["status"], "TERMINATED")
        lease = api("GET", "/v1/leases/" + lease_id)[1]["lease"]
        self.assertEqual(lease["reservations"][0]["status"], "deleted")
        events = {e["event_type"]: e["status"] for e in lease["events"]}
        self.assertEqual(events["end_lease"], "DONE")
        self.assertEqual([x["id"] for x in json.loads(
            self.ok("lease-list", "-f", "json"))], [lease_id])
        self.ok("lease-delete", "short")
        self.assertEqual(api("GET", "/v1/leases/" + lease_id)[0], 404)


class Durability(Case):
    def test_leases_survive_a_restart_and_kill_9(self):
        lease = self.create("kept", "--reservation", instance(2, "True"),
                            "--physical-reservation", hosts_arg(1, 2))
        self.ok("lease-update", "--prolong-for", "1h", "kept")
        want = api("GET", "/v1/leases/" + lease["id"])[1]
        DAEMON.stop()
        DAEMON.start()
        self.assertEqual(api("GET", "/v1/leases/" + lease["id"])[1], want)
        DAEMON.proc.kill()  # SIGKILL: no clean stop
        DAEMON.proc.wait(timeout=60)
        DAEMON.start()
        self.assertEqual(api("GET", "/v1/leases/" + lease["id"])[1], want)
        shown = json.loads(self.ok("lease-show", "-f", "json", "kept"))
        self.assertEqual(shown["end_date"], want["lease"]["end_date"])


class Errors(Case):
    def test_blazars_error_body(self):
        status, doc = api("POST", "/v1/leases", {"name": "x"})
        self.assertEqual(status, 400)
        self.assertEqual(doc["error_code"], 400)
        self.assertEqual(doc["error_name"], 400)
        self.assertIn("$.start_date", doc["error_message"])
        unknown = "3f1c0000-0000-4000-8000-0000000000aa"
        status, doc = api("GET", "/v1/leases/" + unknown)
        self.assertEqual((status, doc["error_code"]), (404, 404))

    def test_unsupported_kinds_are_refused(self):
        why = self.refused("lease-create", "--end-date", at(days=1),
                           "--reservation",
                           "resource_type=virtual:floatingip,network_id=n1",
                           "fip")
        self.assertIn("'virtual:floatingip' is not supported", why)
        why = self.refused("lease-create", "--end-date", at(days=1),
                           "--reservation", instance(0, "None"), "zero")
        self.assertIn("$.reservations[0].amount", why)
        self.assertEqual(api("GET", "/v1/leases")[1]["leases"], [])

    def test_a_plan_is_no_lease(self):
        # an ordinary reservation made through /v1/reservations is not listed
        body = {"plan_name": "p", "stack_id": "not-a-lease", "start": "now",
                "end": "2099-01-01T00:00:00Z",
                "resources": {"s1": {"type": "OS::Nova::Server",
                                     "properties": {"flavor": "m1.small"}}}}
        self.assertEqual(api("POST", "/v1/reservations", body)[0], 201)
        try:
            self.assertEqual(api("GET", "/v1/leases")[1]["leases"], [])
            self.assertEqual(api("GET", "/v1/leases/not-a-lease")[0], 404)
            self.assertEqual(api("DELETE", "/v1/leases/not-a-lease")[0], 404)
        finally:
            api("DELETE", "/v1/reservations/not-a-lease")


def main():
    global DAEMON
    inventory = sys.argv[1]
    del sys.argv[1]
    DAEMON = Valetd(inventory=inventory)
    try:
        unittest.main(verbosity=2)
    finally:
        DAEMON.close()


if __name__ == "__main__":
    main()
