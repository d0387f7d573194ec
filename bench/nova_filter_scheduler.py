#!/usr/bin/python3
"""nova_filter_scheduler.py - plan requests placed by Nova's own scheduler.

usage: nova_filter_scheduler.py INVENTORY.json EVENTS.jsonl RESULTS.jsonl

The peer the benchmark measures Valet against, run from Debian's
python3-nova (no code of Nova's copied): each server of a stack is one boot
request, in the stack's order, as Heat would send them, through Nova's
enabled filters and its weighers (nova.conf's defaults), the best weighed
host taken (host_subset_size = 1) and consumed with Nova's own
consume_from_request, as SchedulerManager does between the instances of a
request.

What Nova leaves to others is done the way those others do it:
- Placement's allocation candidates come before the filters: the hosts where
  (total - reserved) x allocation_ratio - used covers the flavor, in the
  providers' order, at most [scheduler]max_placement_results (1000) of them
  (Placement's randomize_allocation_candidates is off by default).
- A diversity (affinity) group at host level is a Nova server group with
  policy anti-affinity (affinity), Heat's OS::Nova::ServerGroup; Nova takes
  one group per server (the first), and has no group at rack or cluster
  level: those are not seen, as they are not in Nova.
- A volume goes to the pool with the most free space that holds it, as
  cinder-scheduler's default CapacityWeigher chooses.
- A stack one of whose servers or volumes finds no host is rolled back
  whole, as Heat does on a failed create.

Events are the bench_engine replay's ({"place": plan} or {"release":
stack_id}); results are its lines: {"i", "us", "result": {"status",
"placements", "metrics"}}, metrics with bandwidth_cost and cross_rack_mbps
computed as the engine does (2 x Mb/s x distance; links across racks). The
request and the distances are read with tests/engine/checker.py, the
placement contract's independent reading, as the scenario checks them.
"""
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "engine"))
import checker  # noqa: E402

import nova.conf  # noqa: E402
from nova import objects  # noqa: E402
from nova.scheduler import filters, host_manager, manager, weights  # noqa: E402
from oslo_utils import timeutils  # noqa: E402

MAX_PLACEMENT_RESULTS = 1000


class Cloud:
    """The inventory as Nova's HostStates and Cinder's pools."""

    def __init__(self, inv):
        ratios = {"vcpus": 16.0, "ram_mb": 1.5, "disk_gb": 1.0}
        ratios.update(inv.get("allocation_ratios", {}))
        self.flavors = {f["name"]: f for f in inv.get("flavors", [])}
        self.topology = checker.Inventory(inv)
        self.hosts = []
        for h in inv["hosts"]:
            if not h.get("enabled", True):
                continue
            r = dict(ratios, **h.get("allocation_ratios", {}))
            self.hosts.append(self.host_state(h, r))
        self.pools = {p["name"]: p for p in inv.get("storage", [])}
        self.pool_free = {n: p["capacity_gb"] - p.get("used_gb", 0)
                          for n, p in self.pools.items()}

    @staticmethod
    def host_state(h, r):
        used = h.get("used", {})
        hs = host_manager.HostState(h["name"], h["name"], None)
        hs.uuid = str(uuid.uuid5(uuid.NAMESPACE_DNS, h["name"]))
        hs.vcpus_total = h["vcpus"]
        hs.vcpus_used = used.get("vcpus", 0)
        hs.cpu_allocation_ratio = r["vcpus"]
        hs.total_usable_ram_mb = h["ram_mb"]
        hs.free_ram_mb = h["ram_mb"] - used.get("ram_mb", 0)
        hs.ram_allocation_ratio = r["ram_mb"]
        hs.total_usable_disk_gb = h["disk_gb"]
        hs.free_disk_mb = (h["disk_gb"] - used.get("disk_gb", 0)) * 1024
        hs.disk_allocation_ratio = r["disk_gb"]
        hs.service = {"disabled": False, "forced_down": False, "host": h["name"],
                      "created_at": timeutils.utcnow(), "updated_at": None}
        hs.updated = timeutils.utcnow()
        hs.aggregates = []
        return hs

    def heartbeat(self):
        """Every compute service alive now, as their reports every 10 s keep
        them; else ComputeFilter takes them for down after service_down_time
        (60 s), which a long run on a loaded machine exceeds."""
        now = timeutils.utcnow()
        for hs in self.hosts:
            hs.service["last_seen_up"] = now

    def placement_candidates(self, flavor):
        """Placement's GET /allocation_candidates: capacity arithmetic, provider order."""
        out = []
        for hs in self.hosts:
            if (hs.vcpus_total * hs.cpu_allocation_ratio - hs.vcpus_used >= flavor.vcpus
                    and hs.total_usable_ram_mb * hs.ram_allocation_ratio
                    - (hs.total_usable_ram_mb - hs.free_ram_mb) >= flavor.memory_mb
                    and hs.total_usable_disk_gb * hs.disk_allocation_ratio
                    - (hs.total_usable_disk_gb - hs.free_disk_mb / 1024) >= flavor.root_gb):
                out.append(hs)
                if len(out) == MAX_PLACEMENT_RESULTS:
                    break
        return out

    def distance(self, a, b):
        """Links' distance as the engine counts it; a location is (kind, name)."""
        return self.topology.distance(a[0], a[1], b[0], b[1])


class NovaScheduler:
    """Nova's filters and weighers, configured as nova.conf's defaults."""

    def __init__(self):
        conf = nova.conf.CONF
        fh = filters.HostFilterHandler()
        by_name = {c.__name__: c for c in fh.get_all_classes()}
        self.filter_handler = fh
        self.filters = [by_name[n]() for n in conf.filter_scheduler.enabled_filters]
        wh = weights.HostWeightHandler()
        self.weight_handler = wh
        self.weighers = [c() for c in wh.get_matching_classes(
            conf.filter_scheduler.weight_classes)]

    def select(self, candidates, spec):
        hosts = self.filter_handler.get_filtered_objects(self.filters, candidates, spec, 0)
        if not hosts:
            return None
        weighed = self.weight_handler.get_weighed_objects(self.weighers, list(hosts), spec)
        return weighed[0].obj


class Stack:
    """One plan request as Heat would create it: servers, volumes, groups, links."""

    def __init__(self, req):
        units, self.links, groups = checker.parse_request(req, {})
        self.id = req.get("stack_id") or req.get("plan_name")
        self.servers = [k for k, (kind, _) in units.items() if kind == "server"]
        self.volumes = [k for k, (kind, _) in units.items() if kind == "volume"]
        self.props = {k: p for k, (_, p) in units.items()}
        # named from the stack, so that a run is repeatable
        self.uuids = {s: str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.id}/{s}"))
                      for s in self.servers}
        self.group_of = {}
        for gid, g in groups.items():
            self.add_group(gid, g)

    def add_group(self, gid, g):
        """A host-level (anti-)affinity group of servers becomes a Nova server group."""
        policy = {"diversity": "anti-affinity", "affinity": "affinity"}.get(g["type"])
        members = g["children"]
        if policy is None or g["level"] != "host":
            return
        if not all(m in self.uuids for m in members):
            return  # a group of groups: Nova's server groups hold servers only
        group_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.id}/{gid}"))
        group = objects.InstanceGroup(uuid=group_uuid, name=gid, policy=policy,
                                      policies=[policy], rules={}, hosts=[],
                                      members=[self.uuids[m] for m in members])
        for m in members:
            self.group_of.setdefault(m, group)

    def spec(self, server, cloud):
        f = cloud.flavors[self.props[server]["flavor"]]
        flavor = objects.Flavor(name=f["name"], vcpus=f["vcpus"], memory_mb=f["ram_mb"],
                                root_gb=f["disk_gb"], ephemeral_gb=0, swap=0,
                                extra_specs={})
        return objects.RequestSpec(
            flavor=flavor, instance_uuid=self.uuids[server], num_instances=1,
            image=objects.ImageMeta.from_dict({}), scheduler_hints={},
            instance_group=self.group_of.get(server), ignore_hosts=None,
            force_hosts=None, force_nodes=None, availability_zone=None,
            is_bfv=False, project_id="bench", user_id="bench", numa_topology=None,
            pci_requests=objects.InstancePCIRequests(requests=[]))


SAVED = ("vcpus_used", "free_ram_mb", "free_disk_mb", "num_instances", "instances")


class Replay:
    """The events through Nova, each stack's consumption kept for its release."""

    def __init__(self, cloud):
        self.cloud = cloud
        self.nova = NovaScheduler()
        self.held = {}   # stack id -> list of undo records

    def place(self, req):
        stack = Stack(req)
        undo, placements = [], {}
        for s in stack.servers:
            self.cloud.heartbeat()
            spec = stack.spec(s, self.cloud)
            host = self.nova.select(self.cloud.placement_candidates(spec.flavor), spec)
            if host is None:
                self.rollback(undo)
                return {"type": "error", "message": f"{s}: no valid host"}, {}
            undo.append(("host", host, {a: self.copy(getattr(host, a)) for a in SAVED}))
            manager.SchedulerManager._consume_selected_host(host, spec, spec.instance_uuid)
            placements[s] = ("server", host.host)
        for v in stack.volumes:
            size = self.cloud_size(stack.props[v])
            pool = max((n for n, free in self.cloud.pool_free.items() if free >= size),
                       key=lambda n: self.cloud.pool_free[n], default=None)
            if pool is None:
                self.rollback(undo)
                return {"type": "error", "message": f"{v}: no valid pool"}, {}
            self.cloud.pool_free[pool] -= size
            undo.append(("pool", pool, size))
            placements[v] = ("volume", pool)
        self.held[stack.id] = undo
        return {"type": "ok"}, self.result(stack, placements)

    @staticmethod
    def cloud_size(props):
        return int(props.get("size", 0))

    @staticmethod
    def copy(value):
        return dict(value) if isinstance(value, dict) else value

    def rollback(self, undo):
        for rec in reversed(undo):
            if rec[0] == "host":
                for attr, value in rec[2].items():
                    setattr(rec[1], attr, value)
            else:
                self.cloud.pool_free[rec[1]] += rec[2]

    def release(self, stack_id):
        self.rollback(self.held.pop(stack_id, []))

    def result(self, stack, placements):
        cost = cross = 0.0
        for a, b, mbps in stack.links:
            d = self.cloud.distance(placements[a], placements[b])
            cost += 2 * mbps * d
            if d >= 2:
                cross += mbps
        hosts = {loc for kind, loc in placements.values() if kind == "server"}
        return {"placements": {k: {"location": loc} for k, (_, loc) in placements.items()},
                "metrics": {"hosts_used": len(hosts), "bandwidth_cost": cost,
                            "cross_rack_mbps": cross}}


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__.split("\n\n")[1])
    nova.conf.CONF([], project="nova", default_config_files=[])
    objects.register_all()
    with open(argv[1]) as f:
        replay = Replay(Cloud(json.load(f)))
    with open(argv[2]) as f, open(argv[3], "w") as out:
        for i, line in enumerate(x for x in f if x.strip()):
            ev = json.loads(line)
            t0 = time.perf_counter()
            if "place" in ev:
                status, res = replay.place(ev["place"])
                doc = {"i": i, "result": dict(res, status=status)}
            else:
                replay.release(ev["release"])
                doc = {"i": i}
            doc["us"] = (time.perf_counter() - t0) * 1e6
            out.write(json.dumps(doc, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main(sys.argv)
