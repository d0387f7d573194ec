#!/usr/bin/python3
"""Upstream's Heat templates through `valet simulate --template`, each placement
checked against what the template's file name promises.

usage: hot_templates_test.py VALET_BINARY INVENTORY [TEMPLATE_DIR...]

TEMPLATE_DIRs default to valet/tempest-templates and valet/functional-templates
of $VALET_SHARED_DATA (CTest runs this through tests/helpers/shared_data.py,
which sets it).

Every template that no other template nests is placed as a root: with its own
.env when there is one, else std_env.env or std_env_1_flavor.env (whichever
gives exactly its parameters), parameters no file gives made up here (names,
ports, and groups of the type the file name says). Templates that others nest
are placed through those. The checker reads the templates itself with PyYAML
and shares no code with the engine: it walks the tree (nested templates,
ResourceGroup members), computes each server's id by the ids rule and the
groups it belongs to, and checks the one plan `valet simulate` printed:

- nested: every server of the whole tree is in that one plan, keyed
  <stack_id>/<path>, and nothing else is placed;
- affinity: a group's members share one host (rack, cluster: its level);
- diversity: a group's members (servers, or groups nested in it) are on
  disjoint hosts (racks...);
- exclusivity: no server outside the group shares its members' hosts (racks),
  the servers of a background plan placed first included (four servers on
  four hosts of one rack, so that a group with no host of its own would
  show);
- Nova server groups: affinity on one host, anti-affinity on different ones;
- each of affinity, diversity, exclusivity and nested the file name says is
  in the tree, so that no promise is checked vacuously.

Groups named in server metadata must exist in Valet's registry: the test
writes one per template, the type from the group's name, the level rack when
the file name says "<type>_rack", else host.
"""
import json
import os
import subprocess
import sys
import tempfile

import yaml

TYPES = ("affinity", "diversity", "exclusivity")
# Templates Heat itself would refuse, and the fault valet simulate must name.
REFUSED = {
    # its group assignment's `resources` is a mapping (a resource_def of a file
    # that is not there), where Heat's property schema wants a list
    "affinity_inner_1_instance.yml": "properties.resources: expected a list of resource",
}
LEVELS = ("host", "rack", "cluster")
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".template")


class Tree:
    """The servers and groups of a template's whole tree, read independently."""

    def __init__(self, folder, stack_id):
        self.folder = folder
        self.stack_id = stack_id
        self.servers = {}      # id -> {"groups": [names], "nova_group": id or None}
        self.assignments = {}  # id -> {"type", "level", "name", "members": [ids]}
        self.nova_groups = {}  # id -> policy
        self.nested = False
        self.metadata_groups = set()
        self.files = set()  # the nested templates read

    def load(self, name):
        self.files.add(name)
        with open(os.path.join(self.folder, name)) as f:
            return yaml.safe_load(f)

    def walk(self, tmpl, params, prefix):
        resources = tmpl.get("resources") or {}
        for name, res in resources.items():
            rid = f"{prefix}/{name}"
            props = self.resolve(res.get("properties") or {}, params, prefix, resources)
            self.resource(rid, res["type"], props)

    def resource(self, rid, rtype, props):
        if rtype.endswith(TEMPLATE_SUFFIXES):
            self.nested = True
            inner = self.load(rtype)
            self.walk(inner, self.bind(inner, props), rid)
        elif rtype == "OS::Heat::ResourceGroup":
            self.nested = True
            rdef = props["resource_def"]
            for i in range(int(props.get("count", 1))):
                member = json.loads(json.dumps(rdef).replace("%index%", str(i)))
                self.resource(f"{rid}/{i}", member["type"], member.get("properties") or {})
        elif rtype == "OS::Nova::Server":
            valet = (props.get("metadata") or {}).get("valet") or {}
            groups = valet.get("groups", [])
            self.metadata_groups.update(groups)
            hint = (props.get("scheduler_hints") or {}).get("group")
            self.servers[rid] = {"groups": groups, "nova_group": hint}
        elif rtype == "ATT::Valet::GroupAssignment":
            self.assignments[rid] = {"type": props["group_type"], "level": props["level"],
                                     "name": props.get("group_name"),
                                     "members": props["resources"]}
        elif rtype == "OS::Nova::ServerGroup":
            self.nova_groups[rid] = (props.get("policies") or [props.get("policy")])[0]

    @staticmethod
    def bind(tmpl, props):
        """A nested template's parameters: what its parent passed, else defaults."""
        out = {}
        for name, decl in (tmpl.get("parameters") or {}).items():
            out[name] = props.get(name, decl.get("default"))
        return out

    def resolve(self, v, params, prefix, resources):
        if isinstance(v, dict) and len(v) == 1:
            (fn, arg), = v.items()
            if fn == "get_param":
                return params[arg]
            if fn == "get_resource":
                assert arg in resources, f"get_resource of an unknown {arg}"
                return f"{prefix}/{arg}"
            if fn == "get_attr":
                return v
        if isinstance(v, dict):
            return {k: self.resolve(e, params, prefix, resources) for k, e in v.items()}
        if isinstance(v, list):
            return [self.resolve(e, params, prefix, resources) for e in v]
        return v

    def groups(self, registry):
        """Every group: (label, type, level, members as lists of server ids)."""
        out = []
        for name in sorted(self.metadata_groups):
            g = registry[name]
            members = [[s] for s, d in sorted(self.servers.items()) if name in d["groups"]]
            out.append((name, g["type"], g["level"], members))
        for gid, a in sorted(self.assignments.items()):
            out.append((a["name"] or gid, a["type"], a["level"],
                        [self.servers_of(m) for m in a["members"]]))
        for gid, policy in sorted(self.nova_groups.items()):
            members = [[s] for s, d in sorted(self.servers.items()) if d["nova_group"] == gid]
            if policy in ("affinity", "anti-affinity") and members:
                out.append((gid, "affinity" if policy == "affinity" else "diversity", "host",
                            members))
        return out

    def servers_of(self, member):
        if member in self.servers:
            return [member]
        a = self.assignments[member]
        return [s for m in a["members"] for s in self.servers_of(m)]


class Inventory:
    def __init__(self, inv):
        racks = {r["name"]: r.get("cluster") for r in inv.get("racks", [])}
        self.domains = {h["name"]: {"host": h["name"], "rack": h.get("rack"),
                                    "cluster": racks.get(h.get("rack"))}
                        for h in inv["hosts"]}
        self.flavors = {f["name"] for f in inv.get("flavors", [])}

    def domain(self, host, level):
        return self.domains[host][level]


BACKGROUND = {
    "plan_name": "background", "stack_id": "background",
    "resources": dict(
        [(f"bg{i}", {"type": "OS::Nova::Server", "name": f"bg{i}",
                     "properties": {"flavor": "m1.tiny"}}) for i in range(4)]
        + [("bg-spread", {"type": "ATT::Valet::GroupAssignment", "properties": {
            "group_type": "diversity", "level": "host",
            "resources": [f"bg{i}" for i in range(4)]}}),
           ("bg-rack", {"type": "ATT::Valet::GroupAssignment", "properties": {
               "group_type": "affinity", "level": "rack", "resources": ["bg-spread"]}})]),
}


def check(tree, registry, inv, result, promised, background):
    """The faults of one placed template (an empty list when it keeps its promises)."""
    errs = []
    where = {k: p["location"] for k, p in result["placements"].items()}
    others = {k: p["location"] for k, p in background["placements"].items()}
    if len(set(others.values())) != 4:
        errs.append(f"the background plan is not on four hosts: {others}")
    if set(where) != set(tree.servers):
        errs.append(f"placed {sorted(where)}, the tree's servers are {sorted(tree.servers)}")
        return errs
    kinds = set()
    for label, gtype, level, members in tree.groups(registry):
        kinds.add(gtype)
        domains = [{inv.domain(where[s], level) for s in m} for m in members]
        flat = {s for m in members for s in m}
        if gtype == "affinity" and len(set().union(*domains)) != 1:
            errs.append(f"affinity {label} ({level}) spans {sorted(set().union(*domains))}")
        if gtype == "diversity":
            for i in range(len(domains)):
                for j in range(i + 1, len(domains)):
                    if domains[i] & domains[j]:
                        errs.append(f"diversity {label} ({level}): members {members[i]} and "
                                    f"{members[j]} share {sorted(domains[i] & domains[j])}")
        if gtype == "exclusivity":
            held = set().union(*domains)
            for s, host in list(where.items()) + list(others.items()):
                if s not in flat and inv.domain(host, level) in held:
                    errs.append(f"exclusivity {label} ({level}): {s} is on {host}, "
                                f"inside the group's {inv.domain(host, level)}")
    if tree.nested:
        kinds.add("nested")
    for p in promised:
        if p not in kinds:
            errs.append(f"the file name promises {p}, the tree has none")
    return errs


def promises(name):
    words = name.split("_")
    out = [t for t in TYPES if t in words]
    # an inner template placed on its own is the inside of a nesting, not one
    if "nested" in words and not name.startswith(("inner_", "nested_inner_")):
        out.append("nested")
    return out


def pick_env(folder, name, declared):
    own = os.path.join(folder, os.path.splitext(name)[0] + ".env")
    candidates = [own] if os.path.exists(own) else [
        os.path.join(folder, e) for e in ("std_env.env", "std_env_1_flavor.env")]
    best = None
    for env in candidates:
        if not os.path.exists(env):
            continue
        with open(env) as f:
            given = (yaml.safe_load(f) or {}).get("parameters", {})
        if set(given) <= declared:
            if best is None or len(given) > len(best[1]):
                best = (env, given)
    return best or (None, {})


def made_up(name, pname, declared_type, inv_flavor):
    """A value for a parameter no file gives."""
    primary = next((t for t in TYPES if t in name), "affinity")
    stem = os.path.splitext(name)[0].replace("_", "-")
    if pname.startswith("group"):
        gtype = primary if pname.endswith("1") else "affinity"
        return f"{gtype}-{stem}-{pname}"
    if "flavor" in pname:
        return inv_flavor
    return f"{pname}-{stem}"


def registry_for(name, group_names):
    reg = {}
    for g in sorted(group_names):
        gtype = next(t for t in TYPES if t in g)
        level = "rack" if f"{gtype}_rack" in name else "host"
        reg[g] = {"name": g, "type": gtype, "level": level}
    return reg


def run_one(valet, inv_path, inv, folder, name, tmp):
    with open(os.path.join(folder, name)) as f:
        tmpl = yaml.safe_load(f)
    decls = tmpl.get("parameters") or {}
    env, given = pick_env(folder, name, set(decls))
    params = {}
    flavor = sorted(inv.flavors)[0] if "m1.tiny" not in inv.flavors else "m1.tiny"
    for pname, decl in decls.items():
        value = given.get(pname, decl.get("default"))
        if value is None or ("flavor" in pname and value not in inv.flavors):
            params[pname] = made_up(name, pname, decl.get("type"), flavor)
    values = dict(given)
    values.update(params)
    stack_id = "stack-" + os.path.splitext(name)[0]
    tree = Tree(folder, stack_id)
    tree.walk(tmpl, {k: values.get(k, d.get("default")) for k, d in decls.items()}, stack_id)
    registry = registry_for(name, tree.metadata_groups)
    groups_path = os.path.join(tmp, "groups.json")
    with open(groups_path, "w") as f:
        json.dump({"groups": list(registry.values())}, f)
    bg_path = os.path.join(tmp, "background.json")
    with open(bg_path, "w") as f:
        json.dump(BACKGROUND, f)
    cmd = [valet, "simulate", "--inventory", inv_path, "--groups", groups_path,
           "--plan", bg_path,
           "--template", os.path.join(folder, name), "--stack-id", stack_id, "--json"]
    if env:
        cmd += ["--environment", env]
    for k, v in sorted(params.items()):
        cmd += ["--param", f"{k}={v}"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    lines = out.stdout.splitlines()
    background = json.loads(lines.pop(0)) if lines else None
    if name in REFUSED:
        if out.returncode == 2 and REFUSED[name] in out.stderr and name in out.stderr:
            return [], tree
        return [f"want exit 2 naming {REFUSED[name]!r}, got {out.returncode}: "
                f"{out.stderr.strip()}"], tree
    if out.returncode != 0 or len(lines) != 1:
        return [f"exit {out.returncode}: {out.stderr.strip()} {out.stdout.strip()}"], tree
    res = json.loads(lines[0])
    if res["status"]["type"] != "ok":
        return [f"not placed: {res['status']['message']}"], tree
    return check(tree, registry, inv, res, promises(name), background), tree


def nested_names(folder, names):
    """The templates some template of the folder nests."""
    used = set()
    for name in names:
        with open(os.path.join(folder, name)) as f:
            text = f.read()
        for other in names:
            if other != name and f"type: {other}" in text:
                used.add(other)
    return used


def main():
    valet, inv_path = sys.argv[1:3]
    data = os.environ.get("VALET_SHARED_DATA", "")
    folders = sys.argv[3:] or [os.path.join(data, "valet", d)
                               for d in ("tempest-templates", "functional-templates")]
    with open(inv_path) as f:
        inv = Inventory(json.load(f))
    passed = failed = 0
    for folder in folders:
        names = sorted(n for n in os.listdir(folder) if n.endswith(TEMPLATE_SUFFIXES))
        if not names:  # an empty run must not pass
            print(f"FAIL no templates in {folder}")
            return 1
        inner = nested_names(folder, names)
        covered = set()
        for name in names:
            if name in inner:
                continue
            with tempfile.TemporaryDirectory() as tmp:
                errs, tree = run_one(valet, inv_path, inv, folder, name, tmp)
            if not errs:
                covered |= tree.files
            if errs:
                failed += 1
                print(f"FAIL {name}: {errs}")
            else:
                passed += 1
                print(f"ok   {name}: " + ("refused, naming the fault" if name in REFUSED
                                          else f"{len(tree.servers)} servers, one plan"))
        for name in sorted(inner - covered):
            failed += 1
            print(f"FAIL {name}: nested by no template that was placed")
        print(f"{folder}: {len(names) - len(inner)} templates placed as roots, "
              f"{len(inner & covered)} nested ones through them")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
