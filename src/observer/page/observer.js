// The observer's page: trees and node figures pushed by the server (/api/events, server-sent
// events), the process table paged and sorted on the node (/api/processes), one process's
// details and actions (/api/process/<pid>). Plain DOM, no library: served from the library.
"use strict";

const token = new URLSearchParams(location.search).get("token");

/** `path` with the page's access token, if it was opened with one. */
function api(path) {
  if (!token) return path;
  return `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

/** An element with attributes and children (strings become text: nothing is parsed as HTML). */
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== undefined && v !== null) e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

const pidId = (pid) => pid.split(".")[1];
const $ = (sel) => document.querySelector(sel);

// -- views --------------------------------------------------------------------------------

let current = "trees";
function show(view) {
  current = view;
  for (const b of document.querySelectorAll("nav button")) {
    b.classList.toggle("active", b.dataset.view === view);
  }
  for (const s of document.querySelectorAll("main .view")) s.hidden = s.id !== view;
  if (view === "processes") loadProcesses();
}
for (const b of document.querySelectorAll("nav button")) {
  b.addEventListener("click", () => show(b.dataset.view));
}

// -- trees --------------------------------------------------------------------------------

// A process flashes when its pid was not in the previous drawing: it was just (re)started.
// By pid, not by place: a restarted simple_one_for_one child moves to the end of its list.
let lastPids = new Set();
const flashUntil = new Map();  // pid -> time until which its node flashes
const flashMs = 1500;

function strategyOf(n) {
  if (!n.flags) return "";
  return `${n.flags.strategy} ${n.flags.intensity}/${n.flags.period_ms / 1000}s`;
}

function drawTreeNode(n, path, pids, now) {
  pids.add(n.pid);
  if (lastPids.size && !lastPids.has(n.pid)) flashUntil.set(n.pid, now + flashMs);
  const flashing = (flashUntil.get(n.pid) || 0) > now;
  const label = n.id || n.module;
  const box = el("div", {
    class: `node ${n.type}${flashing ? " flash" : ""}`, "data-path": path, "data-pid": n.pid,
    title: `${n.module}, restart ${n.restart}`,
  },
  el("span", { class: "id" }, label), el("span", { class: "pid" }, n.pid ?? "undefined"),
  el("span", { class: "strategy" }, strategyOf(n)),
  el("span", { class: `restarts${n.restarts > 0 ? " some" : ""}` },
    `${n.restarts} restart${n.restarts === 1 ? "" : "s"}`),
  el("span", { class: "state" }, n.state));
  if (n.pid) box.addEventListener("click", () => openProcess(n.pid));
  const li = el("li", {}, box);
  if (n.children.length) {
    const ul = el("ul");
    n.children.forEach((c, i) => {
      // simple_one_for_one children have no id: their place names them
      ul.append(drawTreeNode(c, `${path}/${c.id || `#${i + 1}`}`, pids, now));
    });
    li.append(ul);
  }
  return li;
}

function drawTrees(trees) {
  const now = Date.now();
  const pids = new Set();
  for (const [pid, until] of flashUntil) if (until <= now) flashUntil.delete(pid);
  const section = $("#trees");
  section.replaceChildren();
  if (!trees.length) section.append(el("p", { class: "empty" }, "No supervision tree yet."));
  for (const t of trees) section.append(el("ul", { class: "tree" }, drawTreeNode(t, t.id, pids, now)));
  lastPids = pids;
}

// -- processes ----------------------------------------------------------------------------

const table = { offset: 0, limit: 100, sort: "pid", descending: false, total: 0 };
let loading = false;
let reload = false;  // asked for while loading: the parameters may have changed since

async function loadProcesses() {
  if (loading) {
    reload = true;
    return;
  }
  loading = true;
  reload = false;
  try {
    const sort = `${table.descending ? "-" : ""}${table.sort}`;
    const res = await fetch(api(`/api/processes?offset=${table.offset}&limit=${table.limit}&sort=${sort}`));
    const page = await res.json();
    if (!res.ok) throw new Error(page.error);
    drawProcesses(page);
  } catch (e) {
    $("#range").textContent = `could not load: ${e.message}`;
  } finally {
    loading = false;
    if (reload) loadProcesses();
  }
}

// Rows are updated in place, not replaced: the table reloads with every figures event, and a
// row replaced between a press and its release would swallow the click.
const processRow = () => el("tr", {},
  el("td", { class: "pid num" }), el("td", { class: "name" }), el("td", { class: "kind" }),
  el("td", { class: "module" }), el("td", { class: "mailbox num" }),
  el("td", { class: "handled num" }), el("td", { class: "memory num" }), el("td", { class: "state" }));

function drawProcesses(page) {
  table.total = page.total;
  const body = $("#ptable tbody");
  page.processes.forEach((p, i) => {
    const tr = body.rows[i] || body.appendChild(processRow());
    tr.dataset.pid = p.pid;
    const texts = [p.pid, p.name, p.kind, p.module, p.mailbox === null ? "–" : String(p.mailbox),
      String(p.handled), kib(p.memory), p.state];
    texts.forEach((t, j) => {
      t = t ?? "";
      if (tr.cells[j].textContent !== t) tr.cells[j].textContent = t;
    });
  });
  while (body.rows.length > page.processes.length) body.deleteRow(-1);
  const last = Math.min(page.total, table.offset + page.processes.length);
  $("#range").textContent =
    `${page.total ? table.offset + 1 : 0}–${last} of ${page.total.toLocaleString("en")} processes`;
  $("#prev").disabled = table.offset === 0;
  $("#next").disabled = last >= page.total;
  for (const th of document.querySelectorAll("th[data-sort]")) {
    if (th.dataset.sort === table.sort) {
      th.setAttribute("aria-sort", table.descending ? "descending" : "ascending");
    } else {
      th.removeAttribute("aria-sort");
    }
  }
}

$("#ptable tbody").addEventListener("click", (e) => {
  const tr = e.target.closest("tr");
  if (tr && tr.dataset.pid) openProcess(tr.dataset.pid);
});
for (const th of document.querySelectorAll("th[data-sort]")) {
  th.addEventListener("click", () => {
    const key = th.dataset.sort;
    // counters: the largest first; pids: the oldest first
    table.descending = key === table.sort ? !table.descending : key !== "pid";
    table.sort = key;
    table.offset = 0;
    loadProcesses();
  });
}
$("#prev").addEventListener("click", () => {
  table.offset = Math.max(0, table.offset - table.limit);
  loadProcesses();
});
$("#next").addEventListener("click", () => {
  table.offset += table.limit;
  loadProcesses();
});
$("#limit").addEventListener("change", (e) => {
  table.limit = Number(e.target.value);
  loadProcesses();
});

// -- one process --------------------------------------------------------------------------

let opened = null;

async function openProcess(pid) {
  opened = pid;
  $("#detail").hidden = false;
  $("#detail-title").textContent = pid;
  $("#action-result").textContent = "";
  $("#detail-fields").replaceChildren(el("dt", {}, "loading…"));
  $("#detail-state").textContent = "";
  await loadDetail();
}


async function loadDetail() {
  const pid = opened;
  const res = await fetch(api(`/api/process/${pidId(pid)}`));
  const p = await res.json();
  if (pid !== opened) return;
  const fields = $("#detail-fields");
  fields.replaceChildren();
  if (!res.ok) {
    fields.append(el("dt", {}, "status"), el("dd", {}, p.error));
    $("#detail-state").textContent = "";
    return;
  }
  for (const [k, v] of Object.entries(p)) {
    if (k === "state" && "module" in p) continue;
    const shown = v === null ? "–" : Array.isArray(v) ? (v.length ? v.join(", ") : "none") : String(v);
    fields.append(el("dt", {}, k), el("dd", { "data-field": k }, shown));
  }
  $("#detail-state").textContent =
    "module" in p ? p.state : "a plain process: it answers no sys messages";
}

$("#detail-close").addEventListener("click", () => {
  opened = null;
  $("#detail").hidden = true;
});

for (const b of document.querySelectorAll(".actions button")) {
  b.addEventListener("click", async () => {
    const out = $("#action-result");
    out.className = "";
    out.textContent = `${b.dataset.action}…`;
    const res = await fetch(api(`/api/process/${pidId(opened)}/${b.dataset.action}`), { method: "POST" });
    const body = await res.json().catch(() => ({ error: res.statusText }));
    if (!res.ok) {
      out.className = "error";
      out.textContent = `refused (${res.status}): ${body.error}`;
      return;
    }
    out.textContent = `${body.action}: done`;
    if (body.action !== "kill") loadDetail();
  });
}

// -- node ---------------------------------------------------------------------------------

const bytes = (n) => `${(n / (1024 * 1024)).toFixed(1)} MiB`;
const orDash = (v, f = String) => (v === null || v === undefined ? "–" : f(v));
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

function drawRows(table, rows) {
  $(`#${table} tbody`).replaceChildren(...rows.map((cells) =>
    el("tr", {}, ...cells.map((c, i) => el("td", { class: i ? "num" : "" }, String(c))))));
}

function drawPeersAndListeners(figures) {
  const d = figures.distribution;
  drawRows("peers", (d ? d.nodes : []).map((n) => [n.name, n.via, seconds(n.connected_ms),
    orDash(n.bytes_in, kib), orDash(n.bytes_out, kib), orDash(n.last_heard_ms, seconds), n.tick]));
  drawRows("listeners", (figures.listeners || []).map((l) => [l.name, l.connections,
    l.free_acceptors, l.max_connections === null ? "unlimited" : l.max_connections, l.accepted,
    l.limit_reached, `${l.full_seconds.toFixed(1)} s`, l.queued, l.backlog_drops]));
}

function drawFigures(figures) {
  const rows = [
    ["processes", figures.processes.toLocaleString("en")],
    ["scheduler threads", figures.scheduler_threads],
    ["scheduler utilisation", figures.scheduler_utilisation.map((u) => `${(u * 100).toFixed(0)} %`).join(" · ")],
    ["distribution", figures.distribution ? `${figures.distribution.self}, tick ${seconds(figures.distribution.tick_time_ms)}` : "not running"],
    ["resident memory", bytes(figures.resident_bytes)],
    ["virtual memory", bytes(figures.virtual_bytes)],
    ["heap in use", bytes(figures.heap_in_use_bytes)],
    ["registered names", figures.registered],
  ];
  $("#figures").replaceChildren(...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", { "data-figure": k }, String(v))]));
  drawPeersAndListeners(figures);
}

// -- live updates -------------------------------------------------------------------------

function listen() {
  const events = new EventSource(api("/api/events"));
  const live = $("#live");
  events.addEventListener("open", () => {
    live.className = "live on";
    live.textContent = "live";
  });
  events.addEventListener("error", () => {
    live.className = "live off";
    live.textContent = "reconnecting…";
  });
  events.addEventListener("trees", (e) => drawTrees(JSON.parse(e.data)));
  events.addEventListener("node", (e) => {
    drawFigures(JSON.parse(e.data));
    if (current === "processes") loadProcesses();
  });
}

listen();
