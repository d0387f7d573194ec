"""Independent checker for placements (placement contract, sections 1-4).

It reads the inventory, the named groups, the plan requests and the results
that `valet simulate --json` printed, and checks every capacity and every
group rule from those inputs alone. It shares no code with the engine.
"""
import math

LEVELS = ["host", "rack", "cluster"]
UNITS = {"kbps": 0.001, "mbps": 1.0, "gbps": 1000.0, "tbps": 1e6}


class Inventory:
    def __init__(self, inv):
        ratios = {"vcpus": 16.0, "ram_mb": 1.5, "disk_gb": 1.0}
        ratios.update(inv.get("allocation_ratios", {}))
        standby = {"vcpus": 0, "ram_mb": 0, "disk_gb": 0}
        standby.update(inv.get("standby_percent", {}))
        rack_cluster = {r["name"]: r.get("cluster") for r in inv.get("racks", [])}
        self.hosts = {}
        for h in inv["hosts"]:
            r = dict(ratios)
            r.update(h.get("allocation_ratios", {}))
            used = h.get("used", {})
            rack = h.get("rack") or ("host:" + h["name"])
            cluster = rack_cluster.get(h.get("rack")) if h.get("rack") else None
            self.hosts[h["name"]] = {
                "cap": {k: math.floor(h[k] * r[k] * (1 - standby[k] / 100.0)) - used.get(k, 0)
                        for k in ("vcpus", "ram_mb", "disk_gb")},
                "rack": rack,
                "cluster": cluster or "implicit-cluster",
                "az": h.get("availability_zone", "nova"),
                "enabled": h.get("enabled", True),
                "preloaded": any(v != 0 for v in used.values()),
                "nic": h.get("nic_mbps"),
            }
        self.rack_cluster = {h["rack"]: h["cluster"] for h in self.hosts.values()}
        self.racks_uplink = {r["name"]: r.get("uplink_mbps") for r in inv.get("racks", [])}
        self.clusters_uplink = {c["name"]: c.get("uplink_mbps") for c in inv.get("clusters", [])}
        self.pools = {p["name"]: p for p in inv.get("storage", [])}
        self.flavors = {f["name"]: f for f in inv.get("flavors", [])}

    def domain(self, kind, loc, level):
        if kind == "server":
            h = self.hosts[loc]
            return {"host": loc, "rack": h["rack"], "cluster": h["cluster"]}[level]
        if level == "host":
            return None  # volumes are not on hosts
        p = self.pools[loc]
        if level == "rack":
            return p.get("rack")
        return self.rack_cluster.get(p.get("rack"))

    def distance(self, ka, a, kb, b):
        if ka == kb and a == b:
            return 0
        ra, rb = self.domain(ka, a, "rack"), self.domain(kb, b, "rack")
        if ra is not None and ra == rb:
            return 1
        ca, cb = self.domain(ka, a, "cluster"), self.domain(kb, b, "cluster")
        if ca is not None and ca == cb:
            return 2
        return 3


def ref_of(x):
    return x["get_resource"] if isinstance(x, dict) else x


def parse_request(req, registry):
    """Servers, volumes, links and groups of one request, in the checker's own terms."""
    if isinstance(req, list):
        req = req[0]
    res = req["resources"]
    by_name = {v.get("name"): k for k, v in res.items()}

    def resolve(r):
        r = ref_of(r)
        return r if r in res else by_name[r]

    units, links, groups = {}, [], {}
    for oid, r in res.items():
        t, p = r["type"], r.get("properties", {})
        if t == "OS::Nova::Server":
            units[oid] = ("server", p)
        elif t == "OS::Cinder::Volume":
            units[oid] = ("volume", p)
    for oid, r in res.items():
        t, p = r["type"], r.get("properties", {})
        if t in ("ATT::Valet::Pipe", "ATT::CloudQoS::Pipe"):
            bw = p["bandwidth"]
            mbps = float(bw["min"]) * UNITS[bw.get("units", "Mbps").lower()]
            ends = [resolve(e) for e in p["resources"]]
            for i in range(len(ends)):
                for j in range(i + 1, len(ends)):
                    links.append((ends[i], ends[j], mbps))
        elif t in ("ATT::Valet::GroupAssignment", "ATT::CloudQoS::ResourceGroup"):
            gtype = p.get("group_type") or p.get("relationship")
            name = p.get("group_name") or (r.get("name") if gtype == "exclusivity" else None)
            groups[oid] = {"type": gtype, "level": p["level"], "name": name,
                           "children": [resolve(x) for x in p["resources"]]}
    for oid, (kind, p) in units.items():
        md = p.get("metadata", {}).get("valet")
        if isinstance(md, str):
            import json
            md = json.loads(md)
        for gname in (md or {}).get("groups", []):
            g = registry[gname]
            key = "named:" + g["name"]
            groups.setdefault(key, {"type": g["type"], "level": g["level"], "name": g["name"],
                                    "children": []})["children"].append(oid)
    return units, links, groups


def members(groups, gid):
    """Every unit under group gid."""
    out = []
    for c in groups[gid]["children"]:
        out += members(groups, c) if c in groups else [c]
    return out


class Checker:
    def __init__(self, inventory, registry=None):
        self.inv = Inventory(inventory)
        self.registry = {g["name"]: g for g in (registry or {}).get("groups", [])}
        self.used = {h: {"vcpus": 0, "ram_mb": 0, "disk_gb": 0} for h in self.inv.hosts}
        self.pool_used = {p: 0 for p in self.inv.pools}
        self.residents = []  # (plan, oid, kind, loc, set of exclusivity (name, level))
        self.named = {}      # name -> list of (kind, loc, plan, branch)
        self.nic = {h: 0.0 for h in self.inv.hosts}
        self.rack_up, self.cluster_up = {}, {}

    def check(self, plan_no, req, result):
        """Errors (a list of strings) for one placed plan; records its holds."""
        errs = []
        units, links, groups = parse_request(req, self.registry)
        place = {oid: p["location"] for oid, p in result["placements"].items()}
        for oid in units:
            if oid not in place:
                errs.append(f"{oid}: not placed")
        if errs:
            return errs
        inv = self.inv
        for oid, (kind, p) in units.items():
            loc = place[oid]
            if kind == "server":
                h = inv.hosts.get(loc)
                if h is None:
                    errs.append(f"{oid}: unknown host {loc}")
                    continue
                if not h["enabled"]:
                    errs.append(f"{oid}: on disabled host {loc}")
                az = (p.get("availability_zone") or "").split(":")[0]
                if az and az != h["az"]:
                    errs.append(f"{oid}: zone {az} but host {loc} is in {h['az']}")
                f = inv.flavors[p["flavor"]]
                for k in ("vcpus", "ram_mb", "disk_gb"):
                    self.used[loc][k] += f[k]
            else:
                self.pool_used[loc] += p["size"]
                vt = p.get("volume_type")
                types = inv.pools[loc].get("volume_types", [])
                if vt and types and vt not in types:
                    errs.append(f"{oid}: volume type {vt} not in pool {loc}")
        for h, u in self.used.items():
            for k, v in u.items():
                if v > 0 and v > inv.hosts[h]["cap"][k]:
                    errs.append(f"host {h}: {k} {v} held > capacity {inv.hosts[h]['cap'][k]}")
        for pname, u in self.pool_used.items():
            pool = inv.pools[pname]
            if u > pool["capacity_gb"] - pool.get("used_gb", 0):
                errs.append(f"pool {pname}: {u} GB held > free")
        errs += self.check_bandwidth(units, links, place, result)
        errs += self.check_groups(plan_no, units, groups, place)
        return errs

    def check_bandwidth(self, units, links, place, result):
        errs, cost = [], 0.0
        inv = self.inv
        for a, b, mbps in links:
            ka, kb = units[a][0], units[b][0]
            d = inv.distance(ka, place[a], kb, place[b])
            cost += 2 * mbps * d
            if d == 0:
                continue
            for k, loc in ((ka, place[a]), (kb, place[b])):
                if k == "server":
                    self.nic[loc] += mbps
            if d >= 2:
                for k, loc in ((ka, place[a]), (kb, place[b])):
                    r = inv.domain(k, loc, "rack")
                    self.rack_up[r] = self.rack_up.get(r, 0) + mbps
            if d >= 3:
                for k, loc in ((ka, place[a]), (kb, place[b])):
                    c = inv.domain(k, loc, "cluster")
                    self.cluster_up[c] = self.cluster_up.get(c, 0) + mbps
        for h, v in self.nic.items():
            cap = inv.hosts[h]["nic"]
            if cap is not None and v > cap + 1e-6:
                errs.append(f"host {h}: NIC {v} Mbps > {cap}")
        for r, v in self.rack_up.items():
            cap = inv.racks_uplink.get(r)
            if cap is not None and v > cap + 1e-6:
                errs.append(f"rack {r}: uplink {v} Mbps > {cap}")
        for c, v in self.cluster_up.items():
            cap = inv.clusters_uplink.get(c)
            if cap is not None and v > cap + 1e-6:
                errs.append(f"cluster {c}: uplink {v} Mbps > {cap}")
        got = result["metrics"]["bandwidth_cost"]
        if abs(got - cost) > 1e-6 * max(1.0, cost):
            errs.append(f"bandwidth_cost {got} but the placement costs {cost}")
        return errs

    def check_groups(self, plan_no, units, groups, place):
        errs, inv = [], self.inv
        excl_of = {}
        for gid, g in groups.items():
            lvl = g["level"]
            mem = members(groups, gid)
            doms = {m: inv.domain(units[m][0], place[m], lvl) for m in mem}
            key = g["name"]
            earlier = self.named.get(key, []) if key else []
            if g["type"] == "affinity":
                ds = {d for d in doms.values() if d is not None}
                ds |= {inv.domain(k, loc, lvl) for k, loc, _, _ in earlier} - {None}
                if len(ds) > 1:
                    errs.append(f"affinity({lvl}) {key or gid}: members in {sorted(ds)}")
            elif g["type"] == "diversity":
                branches = {}
                for c in g["children"]:
                    for m in (members(groups, c) if c in groups else [c]):
                        d = doms[m]
                        if d is None:
                            continue
                        branches.setdefault(c, set()).add(d)
                seen = {}
                for c, ds in branches.items():
                    for d in ds:
                        if d in seen and seen[d] != c:
                            errs.append(f"diversity({lvl}) {key or gid}: {c} and {seen[d]} "
                                        f"share {d}")
                        seen[d] = c
                for k, loc, _, _ in earlier:
                    d = inv.domain(k, loc, lvl)
                    if d in seen:
                        errs.append(f"diversity({lvl}) {key}: {d} held by an earlier plan")
            elif g["type"] == "exclusivity":
                for m in mem:
                    excl_of.setdefault(m, set()).add((key, lvl))
            if key:
                for m in mem:
                    self.named.setdefault(key, []).append((units[m][0], place[m], plan_no, m))
        for oid, (kind, _) in units.items():
            if kind == "server":
                self.residents.append((plan_no, oid, place[oid], excl_of.get(oid, set())))
        # Exclusivity over every plan so far: a domain holding a member holds only members.
        for key, lvl in {e for s in excl_of.values() for e in s}:
            doms = {inv.domain("server", loc, lvl) for _, _, loc, ex in self.residents
                    if (key, lvl) in ex}
            for plan, oid, loc, ex in self.residents:
                d = inv.domain("server", loc, lvl)
                if d in doms and (key, lvl) not in ex:
                    errs.append(f"exclusivity({lvl}) {key}: {d} also holds {oid} of plan {plan}")
            for h, info in inv.hosts.items():
                if info["preloaded"] and inv.domain("server", h, lvl) in doms:
                    errs.append(f"exclusivity({lvl}) {key}: {h} in its domain runs other load")
        # Servers placed now must avoid the domains of every other exclusivity group.
        held = {}
        for _, _, loc, ex in self.residents:
            for key, lvl in ex:
                held.setdefault((key, lvl), set()).add(inv.domain("server", loc, lvl))
        for plan, oid, loc, ex in self.residents:
            if plan != plan_no:
                continue
            for (key, lvl), doms in held.items():
                if (key, lvl) not in ex and inv.domain("server", loc, lvl) in doms:
                    errs.append(f"exclusivity({lvl}) {key}: {oid} shares "
                                f"{inv.domain('server', loc, lvl)} with its members")
        return errs
