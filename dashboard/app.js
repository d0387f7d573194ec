/*
 * Valet dashboard: reads valetd's public API (relative to this page, so it
 * works behind a proxy that mounts valetd under a prefix) and draws
 *   - the topology as a heat map: clusters, racks, hosts coloured by the
 *     utilisation of the chosen resource, exclusivity holds marked
 *     (GET /v1/topology);
 *   - plans, the selected one's hosts highlighted (GET /v1/plans,
 *     GET /v1/placements?plan_id=...);
 *   - recent decisions (GET /v1/decisions) and refusals by reason
 *     (GET /metrics, or /v1/status), each only when valetd serves them.
 * No framework and no build step; every name from the API is shown with
 * textContent, never parsed as HTML.
 */
"use strict";

const API = "../";
const REFRESH_MS = 15000;

const state = {
  topology: null,
  plans: [],
  selectedPlan: null,      /* plan id */
  selectedPlacements: [],  /* its placements, from /v1/placements */
  resource: "vcpus",
  timer: null,
};

const $ = (id) => document.getElementById(id);

/* ---- small DOM helpers */

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c);
  return e;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function table(headers, rows) {
  const t = el("table");
  const head = el("tr");
  for (const h of headers) head.append(el("th", { text: h }));
  t.append(el("thead", {}, head));
  const body = el("tbody");
  for (const r of rows) {
    const tr = el("tr");
    for (const c of r) {
      const num = typeof c === "number";
      tr.append(el("td", { text: num ? c.toLocaleString() : String(c ?? ""), class: num ? "num" : "" }));
    }
    body.append(tr);
  }
  t.append(body);
  return t;
}

/* ---- the API */

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function fetchText(path) {
  const r = await fetch(API + path, { headers: { Accept: "application/json" } });
  const text = await r.text();
  if (!r.ok) {
    let why = text;
    try { why = JSON.parse(text).explanation || text; } catch (e) { /* not JSON */ }
    throw new HttpError(r.status, `${path}: ${r.status} ${why}`);
  }
  return text;
}

async function fetchJson(path) {
  return JSON.parse(await fetchText(path));
}

/* ---- utilisation and colour */

function utilisation(host, resource) {
  const r = host.resources[resource];
  if (!r || r.allocatable <= 0) return null;
  return Math.min(1, Math.max(0, (r.used + r.held) / r.allocatable));
}

/* Green (idle) through yellow to red (full). */
function colour(u) {
  if (u === null) return "#bbb";
  if (u === 0) return "#e6efe6";
  const hue = 120 * (1 - u);
  return `hsl(${hue.toFixed(0)}, 70%, ${(58 - 12 * u).toFixed(0)}%)`;
}

function domainUtilisation(hosts, resource) {
  let load = 0;
  let cap = 0;
  for (const h of hosts) {
    const r = h.resources[resource];
    if (!h.enabled || !r) continue;
    load += r.used + r.held;
    cap += r.allocatable;
  }
  return cap > 0 ? load / cap : null;
}

function percent(u) {
  return u === null ? "n/a" : `${(100 * u).toFixed(1)} %`;
}

/* ---- the heat map */

function exclusiveText(ex) {
  if (!ex) return "";
  const names = ex.groups.length ? ex.groups.join(", ") : "an unnamed group";
  return `exclusive to ${names} (${ex.servers} servers)`;
}

function hostCell(host, rack, cluster) {
  const u = utilisation(host, state.resource);
  const excl = host.exclusive || rack.exclusive || cluster.exclusive;
  const cell = el("div", {
    class: "host" + (host.enabled ? "" : " disabled") + (excl ? " excl" : ""),
    "data-host": host.name,
    "data-util": u === null ? "" : u.toFixed(4),
  });
  cell.style.background = colour(u);
  cell.title = `${host.name} · ${rack.name} · ${cluster.name}\n` +
    `${state.resource}: ${percent(u)}, ${host.servers} servers` +
    (host.enabled ? "" : "\ndisabled") +
    (excl ? "\n" + exclusiveText(excl) : "");
  cell.addEventListener("mouseenter", () => showHost(host, rack, cluster));
  cell.addEventListener("click", () => showHost(host, rack, cluster));
  return cell;
}

function drawHeatmap() {
  const map = $("heatmap");
  const topo = state.topology;
  clear(map);
  if (!topo.clusters.length)
    map.append(el("p", { class: "muted", text: "The data center in use has no hosts: " +
      "no source described any (see the sources in valet.conf)." }));
  for (const c of topo.clusters) {
    const allHosts = c.racks.flatMap((r) => r.hosts);
    const title = el("h3", { text: c.name + " " },
      el("span", { class: "util", text: percent(domainUtilisation(allHosts, state.resource)) }));
    const racks = el("div", { class: "racks" });
    for (const r of c.racks) {
      const rack = el("div", {
        class: "rack" + (r.exclusive ? " excl" : ""),
        "data-rack": r.name,
        title: `${r.name}: ${percent(domainUtilisation(r.hosts, state.resource))}` +
          (r.exclusive ? "\n" + exclusiveText(r.exclusive) : ""),
      });
      rack.append(el("div", { class: "rack-label", text: r.name }));
      for (const h of r.hosts) rack.append(hostCell(h, r, c));
      racks.append(rack);
    }
    map.append(el("section", {
      class: "cluster" + (c.exclusive ? " excl" : ""),
      "data-cluster": c.name,
    }, title, racks));
  }
  highlightPlan();
  findHosts();
}

function drawLegend() {
  const legend = $("legend");
  clear(legend);
  const stops = [0, 0.25, 0.5, 0.75, 1].map((u) => colour(u === 0 ? 0.001 : u)).join(", ");
  const scale = el("span", { class: "scale" });
  scale.style.background = `linear-gradient(to right, ${stops})`;
  const excl = el("span", { class: "key host excl" });
  excl.style.background = colour(0);
  const planKey = el("span", { class: "key" });
  planKey.style.outline = "2px solid var(--plan)";
  legend.append(el("span", { text: "idle" }), scale, el("span", { text: "full" }),
    excl, el("span", { text: "exclusivity hold" }),
    planKey, el("span", { text: "selected plan (dashed: not reserved yet)" }));
}

function showHost(host, rack, cluster) {
  const box = $("host-detail");
  box.className = "";
  clear(box);
  const rows = Object.entries(host.resources).map(([name, r]) =>
    [name, r.allocatable, r.used, r.held, r.free]);
  box.append(
    el("div", { text: `${host.name} in ${rack.name}, ${cluster.name} (zone ${host.availability_zone})` }),
    el("div", { class: "muted", text: `${host.servers} servers held by Valet` +
      (host.enabled ? "" : "; disabled") }),
    table(["resource", "allocatable", "used outside", "held", "free"], rows));
  const excl = host.exclusive || rack.exclusive || cluster.exclusive;
  if (excl) box.append(el("div", { text: exclusiveText(excl) }));
}

function drawSummary() {
  const t = state.topology;
  $("datacenter").textContent = t.datacenter;
  const all = t.clusters.flatMap((c) => c.racks.flatMap((r) => r.hosts));
  const summary = $("summary");
  summary.textContent = `${t.clusters.length} clusters · ${t.racks} racks · ${t.hosts} hosts · ` +
    `${t.servers} servers · ${state.plans.length} plans · ${state.resource} used ` +
    percent(domainUtilisation(all, state.resource));
  summary.dataset.hosts = t.hosts;
  summary.dataset.servers = t.servers;
}

function drawPools() {
  const box = $("pools");
  const pools = state.topology.pools || [];
  clear(box);
  box.className = pools.length ? "" : "muted";
  if (!pools.length) {
    box.textContent = "No storage pools in this data center.";
    return;
  }
  const rows = pools.map((p) => {
    const u = p.capacity_gb > 0 ? (p.capacity_gb - p.free_gb) / p.capacity_gb : null;
    return [p.name, p.rack ?? p.cluster ?? "", p.free_gb, percent(u)];
  });
  const t = table(["pool", "rack or cluster", "free GiB", "used"], rows);
  t.querySelectorAll("tbody tr").forEach((tr, i) => tr.setAttribute("data-pool", pools[i].name));
  box.append(t);
}

/* Outline the hosts whose name holds the text of "Find host"; RET how many. */
function findHosts() {
  const text = $("find").value.trim().toLowerCase();
  let n = 0;
  for (const cell of $("heatmap").querySelectorAll(".host")) {
    const found = text !== "" && cell.dataset.host.toLowerCase().includes(text);
    cell.classList.toggle("found", found);
    n += found;
  }
  $("find").dataset.found = n;
  return n;
}

/* The sources' state from GET /v1/status: ok, degraded or stale, and their age. */
async function drawSources() {
  const chip = $("sources");
  try {
    const s = (await fetchJson("v1/status")).status.sources;
    chip.className = "chip " + s.type;
    chip.textContent = `sources ${s.type}, read ${s.read_s_ago} s ago` +
      (s.error ? `: ${s.error}` : "");
    chip.dataset.type = s.type;
  } catch (e) {
    chip.className = "chip down";
    chip.textContent = "status: " + e.message;
    chip.dataset.type = "unknown";
  }
}

/* ---- plans */

function planHosts() {
  const hosts = new Map(); /* host -> reserved (every server of the plan there is) */
  for (const p of state.selectedPlacements) {
    if (!p.location) continue;
    hosts.set(p.location, (hosts.get(p.location) ?? true) && p.reserved === true);
  }
  return hosts;
}

function highlightPlan() {
  const map = $("heatmap");
  const hosts = state.selectedPlan ? planHosts() : new Map();
  map.classList.toggle("plan-selected", state.selectedPlan !== null);
  for (const cell of map.querySelectorAll(".host")) {
    const name = cell.dataset.host;
    const inPlan = hosts.has(name);
    cell.classList.toggle("in-plan", inPlan);
    cell.classList.toggle("reserved", inPlan && hosts.get(name));
    cell.classList.toggle("planned", inPlan && !hosts.get(name));
  }
}

function drawPlans() {
  const list = $("plans");
  clear(list);
  $("plan-count").textContent = `(${state.plans.length})`;
  if (!state.plans.length) list.append(el("li", { class: "muted", text: "No plans." }));
  for (const p of state.plans) {
    const servers = Object.keys(p.placements || {}).length;
    const li = el("li", { "data-plan": p.id, class: p.id === state.selectedPlan ? "selected" : "" },
      el("button", { type: "button", text: `${p.name} · ${p.stack_id} · ${servers} servers` }));
    li.firstChild.addEventListener("click", () => selectPlan(p.id === state.selectedPlan ? null : p.id));
    list.append(li);
  }
}

function drawPlanDetail() {
  const box = $("plan-detail");
  clear(box);
  if (!state.selectedPlan) return;
  const rows = state.selectedPlacements.map((p) =>
    [p.name, p.location ?? "expired", p.reserved ? "reserved" : "planned"]);
  box.append(table(["server", "host", "state"], rows));
}

async function loadPlacements() {
  if (!state.selectedPlan) {
    state.selectedPlacements = [];
    return;
  }
  const doc = await fetchJson("v1/placements?plan_id=" + encodeURIComponent(state.selectedPlan));
  state.selectedPlacements = doc.placements || [];
}

/* The plan named by its plan id or its stack id (as /v1/plans/{id} takes either), or null. */
function findPlan(ref) {
  return state.plans.find((p) => p.id === ref || p.stack_id === ref) || null;
}

async function selectPlan(ref) {
  const plan = ref ? findPlan(ref) : null;
  const id = plan ? plan.id : null;
  state.selectedPlan = id;
  history.replaceState(null, "", id ? "#plan=" + encodeURIComponent(id) : "#");
  try {
    await loadPlacements();
  } catch (e) {
    showError(e);
  }
  drawPlans();
  drawPlanDetail();
  highlightPlan();
  await drawDecisions();
  document.body.dataset.plan = id || "";
}

function planFromHash() {
  const m = /(?:^#|&)plan=([^&]+)/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

/* ---- decisions and refusals: other endpoints, shown when valetd has them */

const pick = (obj, keys) => keys.map((k) => obj[k]).find((v) => v !== undefined && v !== null);

function decisionTime(d) {
  const t = pick(d, ["at", "time", "created_at", "timestamp"]);
  if (typeof t === "number") return new Date(t > 1e12 ? t : t * 1000).toISOString().replace(".000", "");
  return t ?? "";
}

/* "web-1 → h3, web-2 → h4" for a decision's units (chosen host per unit). */
function unitsText(d) {
  const units = Array.isArray(d.units) ? d.units : [];
  const shown = units.slice(0, 4).map((u) => `${u.name ?? u.id ?? "?"} → ${u.host ?? "none"}`);
  return shown.join(", ") + (units.length > 4 ? `, … (${units.length})` : "");
}

/* The decisions read last (for the refusals fallback); null when not served. */
let lastDecisions = null;

/*
 * The last twenty decisions, or the selected plan's (GET /v1/decisions?plan=ID).
 * Their shape is the decision record's: time, kind, plan_id, stack_id, solver,
 * units [{name, host, runner_up, why}], refused {reason: hosts}.
 */
async function drawDecisions() {
  const box = $("decisions");
  const query = state.selectedPlan ? "?plan=" + encodeURIComponent(state.selectedPlan) : "";
  let doc;
  try {
    doc = await fetchJson("v1/decisions" + query);
  } catch (e) {
    lastDecisions = null;
    box.className = "muted";
    box.textContent = e.status === 404 ?
      "This valetd keeps no decision record (GET /v1/decisions: 404)." :
      "Decisions could not be read: " + e.message;
    box.dataset.available = "false";
    return;
  }
  const list = Array.isArray(doc) ? doc : (doc.decisions || []);
  lastDecisions = list;
  const recent = list.slice(0, 20); /* GET /v1/decisions answers newest first */
  clear(box);
  box.className = "";
  box.dataset.available = "true";
  if (!recent.length) {
    box.append(el("span", { class: "muted", text: "No decisions recorded yet." }));
    return;
  }
  box.append(table(["when", "what", "stack", "solver", "units"], recent.map((d) => [
    decisionTime(d),
    pick(d, ["kind", "op", "action", "type"]) ?? "",
    pick(d, ["stack_id", "plan_id", "server", "resource_id"]) ?? "",
    pick(d, ["solver"]) ?? "",
    unitsText(d),
  ])));
  if (state.selectedPlan)
    box.append(el("div", { class: "muted", text: "of the selected plan" }));
}

/* Refusals summed over the decisions' "refused" counts ({reason: hosts}). */
function refusalsFromDecisions(list) {
  const byReason = new Map();
  for (const d of list || []) {
    const r = d.refused;
    if (!r || typeof r !== "object") continue;
    for (const [k, v] of Object.entries(r))
      if (typeof v === "number") byReason.set(k, (byReason.get(k) || 0) + v);
  }
  return byReason;
}

/*
 * Refusals from the Prometheus exposition: valetd's valet_refusals_total,
 * summed by its "reason" label (valet_refused_hosts_total beside it counts
 * the hosts each refusal ruled out, not refusals: docs/operations.md).
 */
function refusalsFromMetrics(text) {
  const byReason = new Map();
  const line = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}\s+(\S+)/;
  for (const l of text.split("\n")) {
    const m = line.exec(l);
    if (!m || m[1] !== "valet_refusals_total") continue;
    const reason = /(?:^|,)\s*reason="((?:[^"\\]|\\.)*)"/.exec(m[2]);
    const v = Number(m[3]);
    if (!reason || !Number.isFinite(v)) continue;
    const key = reason[1].replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
    byReason.set(key, (byReason.get(key) || 0) + v);
  }
  return byReason;
}

function refusalsFromStatus(doc) {
  const r = doc && doc.status && (doc.status.refusals || (doc.status.engine || {}).refusals);
  const byReason = new Map();
  if (r && typeof r === "object")
    for (const [k, v] of Object.entries(r.by_reason || r)) if (typeof v === "number") byReason.set(k, v);
  return byReason;
}

async function drawRefusals() {
  const box = $("refusals");
  let byReason = new Map();
  let source = null;
  try {
    byReason = refusalsFromMetrics(await fetchText("metrics"));
    source = "GET /metrics";
  } catch (e) { /* not served: try the status document */ }
  if (!byReason.size) {
    try {
      const fromStatus = refusalsFromStatus(await fetchJson("v1/status"));
      if (fromStatus.size) {
        byReason = fromStatus;
        source = "GET /v1/status";
      }
    } catch (e) { /* shown below */ }
  }
  if (!byReason.size && lastDecisions !== null) {
    byReason = refusalsFromDecisions(lastDecisions);
    source = "the decisions above";
  }
  clear(box);
  box.dataset.available = source ? "true" : "false";
  if (!source) {
    box.className = "muted";
    box.textContent = "This valetd exposes no refusal counts " +
      "(no /metrics, none in /v1/status, no decision record).";
    return;
  }
  box.className = "";
  if (!byReason.size) {
    box.append(el("span", { class: "muted", text: `No refusals counted (${source}).` }));
    return;
  }
  const rows = [...byReason.entries()].sort((a, b) => b[1] - a[1]);
  const max = rows[0][1] || 1;
  const t = table(["reason", "hosts refused", ""], rows.map(([k, v]) => [k, v, ""]));
  t.querySelectorAll("tbody tr").forEach((tr, i) => {
    const bar = el("div", { class: "bar" });
    bar.style.width = `${Math.max(2, (100 * rows[i][1]) / max)}px`;
    tr.lastChild.append(bar);
  });
  box.append(t, el("div", { class: "muted", text: source }));
}

/* ---- loading */

function showError(e) {
  const box = $("error");
  box.hidden = false;
  box.textContent = e.message || String(e);
}

async function refresh() {
  try {
    const [topo, plans] = await Promise.all([fetchJson("v1/topology"), fetchJson("v1/plans")]);
    state.topology = topo.topology;
    state.plans = plans.plans || [];
    const chosen = findPlan(state.selectedPlan);
    state.selectedPlan = chosen ? chosen.id : null;
    await loadPlacements();
    $("error").hidden = true;
    drawSummary();
    drawHeatmap();
    drawPools();
    drawPlans();
    drawPlanDetail();
    document.body.dataset.plan = state.selectedPlan || "";
  } catch (e) {
    showError(e);
  }
  await Promise.all([drawSources(), drawDecisions()]);
  await drawRefusals(); /* may fall back on the decisions just read */
  document.body.dataset.state = "ready";
}

function schedule() {
  clearInterval(state.timer);
  state.timer = $("auto").checked ? setInterval(refresh, REFRESH_MS) : null;
}

function start() {
  state.selectedPlan = planFromHash();
  $("resource").addEventListener("change", (e) => {
    state.resource = e.target.value;
    if (state.topology) {
      drawSummary();
      drawHeatmap();
    }
  });
  $("reload").addEventListener("click", refresh);
  $("find").addEventListener("input", findHosts);
  $("auto").addEventListener("change", schedule);
  window.addEventListener("hashchange", () => {
    const id = planFromHash();
    if (id !== state.selectedPlan) selectPlan(id);
  });
  drawLegend();
  schedule();
  refresh();
}

start();
