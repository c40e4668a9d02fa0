// The Baton console: renders the page that <main data-page> names from the JSON of /console/api.
// Reads go to /console/api; start, stop and redrive go to the AWS API itself (POST / with X-Amz-Target).
// On a server with keys, every request that changes something carries the session's CSRF token (X-Baton-Csrf).
// Every value from the server is set as text (textContent, attributes), never parsed as HTML; the graphs' SVG is
// parsed as XML and kept to the elements that draw (svgGraph).
// Plain browser JavaScript, no build step, no dependencies.
"use strict";

const app = document.getElementById("app");
const crumbs = document.getElementById("crumbs");
// The signed-in key's session's token, empty on a server without keys.
const csrf = app.dataset.csrf || "";
// Bumped each time a page is drawn, so the timers of the page it replaced stop.
let drawn = 0;

// ---- helpers ---------------------------------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

function when(ms) {
  if (ms === null || ms === undefined) return "";
  // History timestamps are seconds (AWS JSON), records are milliseconds.
  const millis = ms < 1e11 ? ms * 1000 : ms;
  // Named as UTC: a time without its zone is read in the reader's own.
  return new Date(millis).toISOString().replace("T", " ").replace("Z", "").slice(0, 23) + " UTC";
}

// A number of seconds as people say it: "1 hour", "90 minutes", "2 days", "45 seconds".
function duration(seconds) {
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (seconds >= size && seconds % size === 0) return (seconds / size) + " " + unit + (seconds === size ? "" : "s");
  }
  return seconds + " second" + (seconds === 1 ? "" : "s");
}

// The time between two timestamps of the AWS API (seconds), as "1.234 s".
function elapsed(start, stop) {
  return ((stop - start) || 0).toFixed(3) + " s";
}

function statusBadge(status) {
  return h("span", { class: "status " + status }, status);
}

function machineUrl(arn) { return "/console/state-machines/" + encodeURIComponent(arn); }
function executionUrl(arn) { return "/console/executions/" + encodeURIComponent(arn); }
// A Map Run's page, its child executions filtered by `status` if one is given.
function mapRunUrl(arn, status) { return "/console/map-runs/" + encodeURIComponent(arn) + (status ? "?status=" + status : ""); }

// The last part of an ARN (an execution's or a state machine's name).
function arnName(arn) { return arn.split(":").pop(); }

// The headers of a request that changes something: the session's CSRF token, when there is a session.
function writeHeaders(headers) {
  return csrf ? Object.assign({ "X-Baton-Csrf": csrf }, headers) : headers;
}

// A session that ended (it expired, its key signed out or was removed) is answered 401: the page is loaded again,
// which shows the sign-in form.
function signedOut(response) {
  if (response.status !== 401 || !app.dataset.key) return false;
  location.reload();
  return true;
}

async function getJson(url) {
  const response = await fetch(url, { cache: "no-store" });
  const body = await response.json().catch(() => ({}));
  if (signedOut(response)) throw new Error("Signed out: sign in again.");
  if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
  return body;
}

// POSTs `request` as JSON to a console route.
async function postJson(url, request) {
  const response = await fetch(url, {
    method: "POST",
    headers: writeHeaders({ "Content-Type": "application/json" }),
    body: JSON.stringify(request),
  });
  const body = await response.json().catch(() => ({}));
  if (signedOut(response)) throw new Error("Signed out: sign in again.");
  if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
  return body;
}

// Calls the AWS Step Functions API of this server, as an SDK would (signed in: as the session's key).
async function aws(action, request) {
  const response = await fetch("/", {
    method: "POST",
    headers: writeHeaders({ "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions." + action }),
    body: JSON.stringify(request),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((body.__type || "HTTP " + response.status) + ": " + (body.message || ""));
  return body;
}

const SVG_NS = "http://www.w3.org/2000/svg";
// What a graph draws with: anything else in its SVG is dropped.
const SVG_ELEMENTS = new Set(["svg", "g", "rect", "polygon", "polyline", "path", "line", "circle", "ellipse", "text", "tspan", "title", "style", "defs", "marker"]);

// A graph's SVG (built by the server, which escapes every name in it) as an element: parsed as XML, never as HTML,
// and kept to the drawing elements and their attributes without event handlers or links, so that even markup that
// slipped into it could neither run nor load anything. No SVG: a note that there is no graph.
function svgGraph(text) {
  if (!text) return h("p", { class: "muted" }, "No graph for this definition.");
  const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
  const root = parsed.documentElement;
  if (root.namespaceURI !== SVG_NS || root.localName !== "svg" || parsed.getElementsByTagName("parsererror").length) {
    return h("p", { class: "error" }, "The graph cannot be drawn.");
  }
  for (const el of [root, ...root.querySelectorAll("*")]) {
    if (el !== root && (el.namespaceURI !== SVG_NS || !SVG_ELEMENTS.has(el.localName))) { el.remove(); continue; }
    for (const attr of [...el.attributes]) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on") || name === "href" || name.endsWith(":href") || name === "style") el.removeAttribute(attr.name);
    }
  }
  return document.importNode(root, true);
}

function pretty(text) {
  if (text === null || text === undefined) return "";
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return String(text); }
}

function fail(error) {
  app.replaceChildren(h("p", { class: "error" }, String(error.message || error)));
}

// A list fetched page by page: `load(token)` returns {items, next}; `row(item)` draws one <tr>.
function pagedTable(headers, load, row) {
  const body = h("tbody");
  const pager = h("div", { class: "pager" });
  const tokens = [null];
  let index = 0;
  let asked = 0;
  async function show() {
    const mine = ++asked;
    const page = await load(tokens[index]);
    if (mine !== asked) return; // a newer read (another page, another filter) was asked for meanwhile
    body.replaceChildren(...page.items.map(row));
    if (page.items.length === 0) body.append(h("tr", {}, h("td", { colspan: headers.length, class: "muted" }, "None yet.")));
    tokens[index + 1] = page.next;
    pager.replaceChildren(
      h("button", { class: "secondary", disabled: index === 0, onclick: () => { index -= 1; show().catch(fail); } }, "Previous"),
      h("button", { class: "secondary", disabled: !page.next, onclick: () => { index += 1; show().catch(fail); } }, "Next"),
    );
  }
  const table = h("table", {}, h("thead", {}, h("tr", {}, headers.map((name) => h("th", {}, name)))), body);
  const element = h("div", {}, table, pager);
  // Re-reads the first page every `ms` while it is shown, so new rows appear without a reload.
  const generation = drawn;
  function follow(ms) {
    setTimeout(() => {
      if (generation !== drawn) return;
      if (!element.isConnected) return follow(ms); // hidden (the editor is open): try again later
      (index === 0 ? show() : Promise.resolve()).catch(() => {}).finally(() => follow(ms));
    }, ms);
  }
  // Back to the first page, as when the list is filtered differently.
  function reset() {
    tokens.length = 1;
    index = 0;
    return show();
  }
  return { element, show, follow, reset };
}

// ---- pages ---------------------------------------------------------------------------------------------------

async function listPage() {
  crumbs.textContent = "State machines";
  const table = pagedTable(["Name", "Type", "Created"], async (token) => {
    const page = await getJson("/console/api/state-machines" + (token ? "?next=" + encodeURIComponent(token) : ""));
    return { items: page.stateMachines, next: page.next };
  }, (machine) => h("tr", {},
    h("td", {}, h("a", { href: machineUrl(machine.arn) }, machine.name)),
    h("td", {}, machine.type),
    h("td", {}, when(machine.created))));
  const account = app.dataset.account;
  const body = h("div", {}, table.element);
  function create() {
    const name = h("input", { type: "text", id: "create-name", placeholder: "name", "aria-label": "Name" });
    const type = h("select", { id: "create-type", "aria-label": "Type" }, h("option", { value: "STANDARD" }, "Standard"), h("option", { value: "EXPRESS" }, "Express"));
    const role = h("input", { type: "text", id: "create-role", class: "wide", value: "arn:aws:iam::" + account + ":role/baton", "aria-label": "Role ARN" });
    const editor = definitionEditor({
      initial: STARTER,
      title: "New state machine",
      saveLabel: "Create",
      save: async (definition, version, keepPositions) => {
        const request = Object.assign({ name: name.value.trim(), type: type.value, roleArn: role.value.trim(), definition }, version);
        const created = await aws("CreateStateMachine", request);
        keepPositions("baton-design:" + created.stateMachineArn);
        location.href = machineUrl(created.stateMachineArn);
      },
      onCancel: () => { editor.replaceWith(body); opener.disabled = false; },
      fields: h("div", { class: "card fields" },
        h("label", {}, "Name ", name), h("label", {}, "Type ", type), h("label", {}, "Role ", role)),
    });
    body.replaceWith(editor);
    opener.disabled = true;
    name.focus();
  }
  const opener = h("button", { id: "create", onclick: create }, "Create state machine");
  app.replaceChildren(h("h1", { class: "with-action" }, "State machines", opener), body);
  await table.show();
}

// What a new state machine's editor starts with.
const STARTER = JSON.stringify({
  Comment: "A new state machine",
  StartAt: "Hello",
  States: { Hello: { Type: "Pass", Result: { hello: "world" }, End: true } },
}, null, 2);

async function stateMachinePage(arn, flash) {
  drawn += 1;
  const { stateMachine: machine, svg } = await getJson("/console/api/state-machines/" + encodeURIComponent(arn));
  crumbs.replaceChildren(h("a", { href: "/console" }, "State machines"), " / ", machine.name);
  document.title = machine.name + " · Baton";

  const input = h("textarea", { id: "start-input", spellcheck: "false" }, "{}");
  const name = h("input", { type: "text", id: "start-name", placeholder: "name (optional)" });
  const message = h("span", { class: "error" });
  // An Express execution is not listed (as on AWS): its result shows here.
  const result = h("div", { id: "sync-result" });
  async function start() {
    message.textContent = "";
    result.replaceChildren();
    const request = { stateMachineArn: machine.arn, input: input.value };
    if (name.value.trim()) request.name = name.value.trim();
    try {
      if (machine.type === "EXPRESS") {
        const done = await aws("StartSyncExecution", request);
        const outcome = done.status === "SUCCEEDED"
          ? [h("h2", {}, "Output"), h("pre", {}, pretty(done.output))]
          : [h("dl", {}, h("dt", {}, "Error"), h("dd", {}, done.error || ""), h("dt", {}, "Cause"), h("dd", {}, done.cause || ""))];
        result.replaceChildren(
          h("p", {}, statusBadge(done.status), " ", h("span", { class: "muted" }, done.name + ", in " + elapsed(done.startDate, done.stopDate))),
          ...outcome);
        executions.show().catch(fail);
      } else {
        const started = await aws("StartExecution", request);
        location.href = executionUrl(started.executionArn);
      }
    } catch (error) { message.textContent = error.message; }
  }

  const graph = h("div", { class: "graph" }, svgGraph(svg));
  const filter = h("select", { id: "status-filter", "aria-label": "Status", onchange: () => executions.reset().catch(fail) },
    ["", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"].map((s) => h("option", { value: s }, s || "Any status")));
  // An Express machine's executions are those the server keeps in memory for a while after they end: how long.
  const retention = h("p", { class: "muted", id: "express-retention" });
  const executions = pagedTable(["Name", "Status", "Started", "Stopped"], async (token) => {
    const query = new URLSearchParams();
    if (token) query.set("next", token);
    if (filter.value) query.set("status", filter.value);
    const url = "/console/api/state-machines/" + encodeURIComponent(arn) + "/executions" + (query.size ? "?" + query : "");
    const page = await getJson(url);
    if (page.express) {
      retention.textContent = "Express executions are kept in this server's memory for " + duration(page.retentionSeconds)
        + " after they end (baton serve --express-retention-seconds), then dropped; a restart forgets them.";
    }
    return { items: page.executions, next: page.next };
  }, (execution) => h("tr", {},
    h("td", {}, h("a", { href: executionUrl(execution.arn) }, execution.name)),
    h("td", {}, statusBadge(execution.status)),
    h("td", {}, when(execution.start)),
    h("td", {}, when(execution.stop))));

  const dashboard = dashboardPanel(machine.arn);
  const body = h("div", { class: "split" },
    h("div", {}, h("h2", {}, "Graph"), graph,
      h("h2", { class: "with-action" }, "Executions by status", dashboard.range), dashboard.element,
      h("h2", { class: "with-action" }, "Executions (newest first)", filter), retention, executions.element),
    h("div", {},
      h("h2", {}, "Start an execution"),
      h("div", { class: "card" }, name, h("p", { class: "muted" }, "Input (JSON)"), input,
        h("div", { class: "actions" }, h("button", { id: "start", onclick: start }, "Start execution"), message), result),
      h("h2", { class: "with-action" }, "Definition",
        h("button", { id: "edit", class: "secondary", onclick: edit }, "Edit definition")),
      h("pre", { id: "definition" }, pretty(machine.definition))));

  function edit() {
    const editor = definitionEditor({
      initial: pretty(machine.definition),
      title: "Edit the definition",
      saveLabel: "Save",
      storageKey: "baton-design:" + machine.arn,
      save: async (definition, version) => {
        const updated = await aws("UpdateStateMachine", Object.assign({ stateMachineArn: machine.arn, definition }, version));
        const published = updated.stateMachineVersionArn ? " Published version " + arnName(updated.stateMachineVersionArn) + "." : "";
        await stateMachinePage(arn, "Saved: the state machine was updated." + published);
      },
      onCancel: () => editor.replaceWith(body),
    });
    body.replaceWith(editor);
  }

  app.replaceChildren(
    h("h1", {}, machine.name),
    h("div", { class: "arn" }, machine.arn),
    h("p", { class: "muted" }, machine.type + " · created " + when(machine.created) + " · updated " + when(machine.updated)),
    ...(flash ? [h("p", { class: "flash", id: "flash" }, flash)] : []),
    body,
  );
  await Promise.all([executions.show(), dashboard.refresh()]);
  executions.follow(3000);
  dashboard.follow(10000);
}

// Event details with the JSON text they carry (input, output, parameters, …) parsed, for reading.
function unfolded(detail) {
  const out = {};
  for (const [key, value] of Object.entries(detail)) {
    let shown = value;
    if (typeof value === "string" && /^\s*[[{]/.test(value)) {
      try { shown = JSON.parse(value); } catch { shown = value; }
    }
    out[key] = shown;
  }
  return out;
}

// ---- the dashboard -----------------------------------------------------------------------------------------

// The statuses an execution ends with, as the dashboard's JSON names them and as the badges show them.
const ENDINGS = [["succeeded", "SUCCEEDED", "Succeeded"], ["failed", "FAILED", "Failed"],
  ["timedOut", "TIMED_OUT", "Timed out"], ["aborted", "ABORTED", "Aborted"]];

function svg(tag, attrs, ...children) {
  const el = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, value);
  for (const child of children) el.append(child instanceof Node ? child : String(child));
  return el;
}

// A duration in seconds, as "850 ms", "12.4 s" or "3.2 min".
function seconds(value) {
  if (value === null || value === undefined) return "—";
  if (value < 1) return Math.round(value * 1000) + " ms";
  if (value < 120) return value.toFixed(value < 10 ? 2 : 1) + " s";
  return (value / 60).toFixed(1) + " min";
}

// A state machine's dashboard: its executions by how they ended, in stacked bars over the time range chosen (with
// the starts drawn as a line), the totals, and the percentiles of the durations, from what the server counted since
// it started (GET /console/api/state-machines/{arn}/dashboard); refreshed every ten seconds while shown.
function dashboardPanel(arn) {
  const range = h("select", { id: "dashboard-window", "aria-label": "Time range", onchange: () => refresh().catch(fail) },
    [["60", "Last hour"], ["360", "Last 6 hours"], ["1440", "Last 24 hours"]].map(([value, label]) => h("option", { value }, label)));
  const totals = h("div", { class: "dashboard-totals", id: "dashboard-totals" });
  const chart = h("div", { class: "dashboard-chart", id: "dashboard-chart" });
  const element = h("div", { class: "card dashboard", id: "dashboard" }, totals, chart,
    h("div", { class: "legend" }, ENDINGS.map(([, status, label]) => h("span", {}, h("i", { class: "ended " + status }), label)),
      h("span", {}, h("i", { class: "started" }), "Started")));
  async function refresh() {
    const data = await getJson("/console/api/state-machines/" + encodeURIComponent(arn) + "/dashboard?window=" + range.value);
    const figure = (id, label, value) => h("div", { class: "figure", id }, h("span", { class: "value" }, String(value)),
      h("span", { class: "label" }, label));
    totals.replaceChildren(
      figure("dashboard-started", "Started", data.totals.started),
      ...ENDINGS.map(([key, status, label]) => figure("dashboard-" + status.toLowerCase(), label, data.totals[key])),
      figure("dashboard-p50", "p50 duration", seconds(data.p50)),
      figure("dashboard-p90", "p90", seconds(data.p90)),
      figure("dashboard-p99", "p99", seconds(data.p99)));
    chart.replaceChildren(barChart(data));
  }
  const generation = drawn;
  function follow(ms) {
    setTimeout(() => {
      if (generation !== drawn) return;
      (element.isConnected ? refresh() : Promise.resolve()).catch(() => {}).finally(() => follow(ms));
    }, ms);
  }
  return { element, range, refresh, follow };
}

// Stacked bars of the executions that ended in each bar's minutes, a line of those that started, and an axis of times.
function barChart(data) {
  const width = 720, height = 140, top = 8, bottom = 18, left = 28;
  const bars = data.bars;
  const most = Math.max(1, ...bars.map((bar) => Math.max(bar.started, ENDINGS.reduce((sum, [key]) => sum + bar[key], 0))));
  const step = (width - left) / bars.length;
  const y = (count) => top + (height - top - bottom) * (1 - count / most);
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Executions over time" });
  chart.append(svg("line", { x1: left, x2: width, y1: y(0), y2: y(0), class: "axis" }));
  chart.append(svg("text", { x: left - 4, y: y(most) + 4, class: "tick", "text-anchor": "end" }, String(most)));
  chart.append(svg("text", { x: left - 4, y: y(0), class: "tick", "text-anchor": "end" }, "0"));
  const clock = (ms) => new Date(ms).toISOString().slice(11, 16);
  const points = [];
  bars.forEach((bar, index) => {
    const x = left + index * step;
    let stacked = 0;
    const parts = [];
    for (const [key, status, label] of ENDINGS) {
      if (!bar[key]) continue;
      const rect = svg("rect", { x: x + step * 0.1, width: Math.max(1, step * 0.8), y: y(stacked + bar[key]),
        height: y(stacked) - y(stacked + bar[key]), class: "ended " + status });
      stacked += bar[key];
      parts.push(bar[key] + " " + label.toLowerCase());
      chart.append(rect);
    }
    const title = clock(bar.start) + " UTC: " + bar.started + " started" + (parts.length ? ", " + parts.join(", ") : "");
    const hover = svg("rect", { x, width: step, y: top, height: height - top - bottom, class: "hover", "data-start": bar.start });
    hover.append(svg("title", {}, title));
    chart.append(hover);
    points.push((x + step / 2).toFixed(1) + "," + y(bar.started).toFixed(1));
    if (index % Math.ceil(bars.length / 6) === 0) {
      chart.append(svg("text", { x: x + step / 2, y: height - 4, class: "tick", "text-anchor": "middle" }, clock(bar.start)));
    }
  });
  chart.append(svg("polyline", { points: points.join(" "), class: "started" }));
  chart.append(svg("text", { x: width, y: height - 4, class: "tick", "text-anchor": "end" }, "UTC"));
  return chart;
}

// ---- the definition editor -------------------------------------------------------------------------------------

// A definition editor: JSON or YAML text with line numbers, checked by the server as you type
// (POST /console/api/check), every problem listed with its line, the graph redrawn beside it; or the same definition
// in design mode (designer.js), the two views kept in step: a change in either rewrites or redraws the other. The
// save button (labelled `saveLabel`) hands the definition as JSON, which is what AWS stores, to `save` with
// `{publish, versionDescription}` (the "publish a version" box) and a function that keeps the design view's positions
// under a storage key (for a machine just created); what `save` throws is shown beside it. `fields` are
// drawn above the text (the create page's name, type and role). `storageKey` names where the design view keeps its
// states' positions in the browser.
function definitionEditor({ initial, title, saveLabel, save: onSave, onCancel, fields, storageKey }) {
  const text = h("textarea", { id: "editor-text", class: "editor-text", spellcheck: "false", wrap: "off", "aria-label": "Definition" });
  text.value = initial;
  const gutter = h("pre", { class: "gutter", "aria-hidden": "true" });
  const preview = h("div", { class: "graph", id: "editor-graph" });
  const problems = h("ul", { class: "problems", id: "editor-problems" });
  const verdict = h("span", { id: "editor-status", class: "muted" });
  const message = h("span", { class: "error", id: "editor-message" });
  const save = h("button", { id: "editor-save", disabled: true, onclick: () => store() }, saveLabel);
  const asJson = h("button", { class: "secondary", id: "editor-json", disabled: true, onclick: () => reformat("json") }, "As JSON");
  const asYaml = h("button", { class: "secondary", id: "editor-yaml", disabled: true, onclick: () => reformat("yaml") }, "As YAML");
  const publish = h("input", { type: "checkbox", id: "editor-publish" });
  const versionNote = h("input", { type: "text", id: "editor-version-description", placeholder: "version description (optional)", "aria-label": "Version description" });
  const codeTab = h("button", { class: "tab selected", id: "editor-code-tab", role: "tab", onclick: () => showMode("code") }, "Code");
  const designTab = h("button", { class: "tab", id: "editor-design-tab", role: "tab", onclick: () => showMode("design") }, "Design");
  let latest = null;
  let asked = 0;
  let timer = null;
  let badLines = new Set();
  // The design view, made the first time it is shown; `written` counts the texts it asked for.
  let design = null;
  let written = 0;

  function numberLines() {
    const count = text.value.split("\n").length;
    const lines = [];
    for (let i = 1; i <= count; i++) lines.push(badLines.has(i) ? h("span", { class: "bad" }, i + "\n") : i + "\n");
    gutter.replaceChildren(...lines);
    gutter.scrollTop = text.scrollTop;
  }

  // Puts the caret at `line`:`column` (1-based) and scrolls it into view.
  function jump(line, column) {
    const lines = text.value.split("\n");
    let offset = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    const end = offset + (lines[line - 1] || "").length;
    offset += Math.max(0, (column || 1) - 1);
    text.focus();
    text.setSelectionRange(Math.min(offset, end), end);
    const lineHeight = parseFloat(getComputedStyle(text).lineHeight) || 16;
    text.scrollTop = Math.max(0, (line - 4) * lineHeight);
  }

  function show(result) {
    latest = result;
    const errors = result.diagnostics.filter((d) => d.severity !== "warning");
    const warnings = result.diagnostics.filter((d) => d.severity === "warning");
    badLines = new Set(errors.filter((d) => d.line).map((d) => d.line));
    numberLines();
    const kind = result.format ? result.format.toUpperCase() : "";
    // Each problem, errors first; a warning (AWS accepts the definition) is marked as one.
    const listed = (d) => h("li", { class: d.severity === "warning" ? "warning" : null, onclick: () => d.line && jump(d.line, d.column) },
      h("span", { class: "where" }, d.line ? "line " + d.line + ", column " + d.column : "definition"),
      " ", h("span", { class: "code" }, d.code), " ", d.severity === "warning" ? "warning: " : "", d.message,
      d.path ? h("span", { class: "muted" }, " (" + d.path + ")") : null);
    if (result.valid) {
      preview.replaceChildren(svgGraph(result.svg));
      preview.classList.remove("stale");
      verdict.className = "ok";
      const n = warnings.length;
      verdict.textContent = "Valid " + kind + " definition" + (n ? " (" + n + (n === 1 ? " warning)" : " warnings)") : "");
      problems.replaceChildren(...warnings.map(listed));
    } else {
      // A definition that loads is drawn as far as it can be, its states with problems marked; one that does not
      // load leaves the last graph, faded.
      if (result.svg) {
        preview.replaceChildren(svgGraph(result.svg));
        preview.classList.remove("stale");
      } else {
        preview.classList.add("stale");
      }
      verdict.className = "error";
      const n = errors.length;
      verdict.textContent = n + (n === 1 ? " problem" : " problems");
      problems.replaceChildren(...errors.concat(warnings).map(listed));
    }
    save.disabled = !result.valid;
    asJson.disabled = !result.valid || result.format === "json";
    asYaml.disabled = !result.valid || result.format === "yaml";
    if (design) {
      const value = loadedValue(result);
      if (value) design.load(value);
      design.problems(result.diagnostics);
    }
  }

  // The definition the checked text loads as (even with problems), or null when it does not load.
  function loadedValue(result) {
    if (result.value && typeof result.value === "object") return result.value;
    try { return result.json ? JSON.parse(result.json) : null; } catch { return null; }
  }

  // The design view changed the definition: the code view is written from it, in the text's format (YAML through
  // the server, which keeps the text's comments), and checked as if typed.
  async function fromDesign(definition) {
    const mine = ++written;
    asked += 1; // a check on its way is of older text: its answer must not take the design view back
    // Checking from now on: the text is rewritten (for YAML, once the server has written it), then checked.
    verdict.className = "muted";
    verdict.textContent = "Checking…";
    save.disabled = true;
    let next = JSON.stringify(definition, null, 2);
    if (latest && latest.format === "yaml") {
      const answer = await postJson("/console/api/yaml", { text: text.value, definition });
      next = answer.text;
    }
    if (mine !== written) return; // a later change is on its way
    text.value = next;
    changed();
  }

  function showMode(mode) {
    const designing = mode === "design";
    if (designing && !design) {
      const value = (latest && loadedValue(latest)) || { StartAt: "", States: {} };
      design = designer({
        definition: value,
        storageKey,
        account: app.dataset.account,
        onChange: (definition) => fromDesign(definition).catch((error) => { message.textContent = error.message; }),
      });
      designView.replaceChildren(design.element);
    }
    codeView.hidden = designing;
    designView.hidden = !designing;
    codeTab.classList.toggle("selected", !designing);
    designTab.classList.toggle("selected", designing);
    codeTab.setAttribute("aria-selected", String(!designing));
    designTab.setAttribute("aria-selected", String(designing));
    if (designing) {
      design.show();
      if (latest) design.problems(latest.diagnostics);
    }
  }

  async function check() {
    const mine = ++asked;
    const result = await postJson("/console/api/check", { definition: text.value });
    if (mine === asked) show(result); // an older answer that arrives late is dropped
  }

  function changed() {
    asked += 1; // the answer to a check already on its way is for older text: it is dropped
    numberLines();
    message.textContent = "";
    verdict.className = "muted";
    verdict.textContent = "Checking…";
    save.disabled = true;
    clearTimeout(timer);
    timer = setTimeout(() => check().catch((error) => { verdict.textContent = String(error.message || error); }), 200);
  }

  function reformat(kind) {
    if (!latest || !latest.valid) return;
    text.value = latest[kind];
    changed();
  }

  async function store() {
    if (!latest || !latest.valid) return;
    message.textContent = "";
    save.disabled = true;
    try {
      const version = { publish: publish.checked };
      if (publish.checked && versionNote.value.trim()) version.versionDescription = versionNote.value.trim();
      await onSave(latest.json, version, (key) => { if (design) design.keepAs(key); });
    } catch (error) {
      message.textContent = error.message;
      save.disabled = false;
    }
  }

  text.addEventListener("input", changed);
  text.addEventListener("scroll", () => { gutter.scrollTop = text.scrollTop; });
  text.addEventListener("keydown", (event) => {
    if (event.key === "Tab" && !event.shiftKey) {
      event.preventDefault();
      text.setRangeText("  ", text.selectionStart, text.selectionEnd, "end");
      changed();
    } else if (event.key === "s" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      if (!save.disabled) store();
    }
  });
  numberLines();
  check().catch((error) => { verdict.textContent = String(error.message || error); });

  const codeView = h("div", { class: "editor" },
    h("div", {}, h("div", { class: "editor-box" }, gutter, text)),
    h("div", { class: "editor-graph" }, preview));
  const designView = h("div", { class: "design-view", hidden: true });
  return h("div", { class: "editor-wrap", id: "editor" },
    h("h2", { class: "with-tabs" }, title, " ", h("span", { class: "muted" }, "(JSON or YAML; saved as JSON)"),
      h("span", { class: "tabs", role: "tablist" }, codeTab, designTab)),
    fields || null,
    codeView,
    designView,
    h("div", { class: "actions" }, save, h("button", { class: "secondary", id: "editor-cancel", onclick: onCancel }, "Cancel"),
      h("label", { class: "publish", title: "Also publish a new version of the state machine (PublishStateMachineVersion)" }, publish, " Publish a version"),
      versionNote, asJson, asYaml, verdict, message),
    problems);
}

// ---- the timeline of states ------------------------------------------------------------------------------------

const EVENT_ROWS = 500;

// A Gantt chart of the state visits the server read from the history (`timeline.visits`, the first of
// `timeline.total`): one row per visit, a bar on the execution's time axis coloured as the graph colours its state (the
// same reading of the history, so they agree), ending where the visit ended: a failed Parallel branch where it failed.
function timeline(rows, events, execution) {
  const all = rows.visits;
  if (all.length === 0) return h("p", { class: "muted" }, "No state has been entered yet.");
  const toMillis = (t) => t * 1000;
  const origin = toMillis(events[0].timestamp);
  const last = Math.max(...events.map((event) => toMillis(event.timestamp)));
  const finish = execution.status === "RUNNING" ? Math.max(last, Date.now()) : last;
  const span = Math.max(finish - origin, 1);
  const duration = (ms) => ms < 1000 ? Math.round(ms) + " ms" : ms < 60000 ? (ms / 1000).toFixed(2) + " s" : (ms / 60000).toFixed(1) + " min";
  const bars = all.map((visit) => {
    const start = toMillis(visit.start) - origin;
    const end = (visit.end === null ? finish : toMillis(visit.end)) - origin;
    const left = (100 * start) / span;
    const width = Math.max((100 * (end - start)) / span, 0.3);
    return h("div", { class: "row", "data-timeline-state": visit.name, "data-timeline-status": visit.status },
      h("span", { class: "label", title: visit.name }, visit.name),
      h("span", { class: "track" }, h("i", { class: "bar " + visit.status, title: visit.name + ": " + visit.status,
        style: "left:" + left + "%;width:" + Math.min(width, 100 - left) + "%" })),
      h("span", { class: "took" }, duration(end - start) + (visit.end === null ? "…" : "")));
  });
  const more = rows.total > all.length ? h("p", { class: "muted" }, "The first " + all.length + " of " + rows.total + " state visits.") : null;
  return h("div", { class: "timeline" }, bars, h("div", { class: "axis" }, h("span", {}, "0"), h("span", {}, duration(span))), more);
}

// The tasks of the execution that wait for their tokens (`waiting` of the execution's JSON): a callback whose request
// was made, or an activity task a worker took. Each gets a card with its token, Approve (SendTaskSuccess with the
// JSON output typed, `{}` unless changed; Ctrl+Enter in the output) and Reject (SendTaskFailure with the error and
// cause typed), sent through the AWS API as the session's caller. A card stays while its task waits, keeping what was
// typed in it across the page's polls; `sent` is called after an answer went through.
function waitingPanel(sent) {
  const element = h("div", { id: "waiting" });
  const cards = new Map();
  function card(task) {
    const output = h("textarea", { class: "waiting-output", spellcheck: "false", "aria-label": "Output of " + task.stateName }, "{}");
    const error = h("input", { type: "text", class: "waiting-error", placeholder: "error", "aria-label": "Error of " + task.stateName });
    const cause = h("input", { type: "text", class: "waiting-cause", placeholder: "cause", "aria-label": "Cause of " + task.stateName });
    const message = h("span", { class: "error waiting-message" });
    const approve = h("button", { class: "approve", onclick: () => answer("SendTaskSuccess", { output: output.value }) }, "Approve");
    const reject = h("button", { class: "reject secondary danger", onclick: () => answer("SendTaskFailure", { error: error.value.trim(), cause: cause.value }) }, "Reject");
    async function answer(action, fields) {
      message.textContent = "";
      approve.disabled = reject.disabled = true;
      const request = { taskToken: task.token };
      for (const [key, value] of Object.entries(fields)) if (value !== "") request[key] = value;
      try {
        await aws(action, request);
        message.className = "ok waiting-message";
        message.textContent = action === "SendTaskSuccess" ? "Approved." : "Rejected.";
        await sent();
      } catch (error) {
        message.className = "error waiting-message";
        message.textContent = error.message;
        approve.disabled = reject.disabled = false;
      }
    }
    output.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); if (!approve.disabled) approve.click(); }
    });
    const what = task.activity ? "an activity task a worker took" : "a callback";
    return h("div", { class: "card waiting", "data-waiting-state": task.stateName },
      h("h2", { style: "margin-top:0" }, "Waiting: ", task.stateName, " ", h("span", { class: "muted" }, "(" + what + ", " + task.resource + ")")),
      h("div", { class: "muted" }, "Task token"),
      h("pre", { class: "token" }, task.token),
      h("div", { class: "waiting-answers" },
        h("div", {}, h("div", { class: "muted" }, "Output (JSON)"), output, h("div", { class: "actions" }, approve)),
        h("div", {}, h("div", { class: "muted" }, "Error and cause"), error, cause, h("div", { class: "actions" }, reject))),
      message);
  }
  function show(waiting) {
    const tokens = new Set((waiting || []).map((task) => task.token));
    for (const [token, el] of cards) if (!tokens.has(token)) { el.remove(); cards.delete(token); }
    for (const task of waiting || []) {
      if (cards.has(task.token)) continue;
      const el = card(task);
      cards.set(task.token, el);
      element.append(el);
    }
  }
  return { element, show };
}

const LEGEND = [["succeeded", "#d6f5e0"], ["failed", "#fddcdc"], ["caught", "#ffe9d2"], ["running", "#dbe9ff"], ["not-run", "#fafafa"]];

async function executionPage(arn) {
  // The selected state is kept in the URL (#state=NAME), so that a link or a reload shows it again.
  let selected = location.hash.startsWith("#state=") ? decodeURIComponent(location.hash.slice(7)) : null;
  let timer = null;
  const header = h("div");
  const graph = h("div", { class: "graph", id: "graph" });
  const details = h("div", { class: "card", id: "state-details" }, h("p", { class: "muted" }, "Click a state to see what it did."));
  const io = h("div");
  const chart = h("div", { id: "timeline" });
  const events = h("tbody");
  // The event table grows EVENT_ROWS rows at a time (a long history would be tens of thousands of rows).
  let shown = 0;
  let limit = EVENT_ROWS;
  const more = h("button", { class: "secondary", id: "more-events", hidden: true, onclick: () => { limit += EVENT_ROWS; showRows(); } });
  function showRows() {
    const upto = Math.min(limit, seen.length);
    events.append(...seen.slice(shown, upto).map(eventRow));
    shown = upto;
    more.hidden = seen.length <= shown;
    more.textContent = "Show " + Math.min(EVENT_ROWS, seen.length - shown) + " more (" + (seen.length - shown) + " not shown)";
  }
  const message = h("span", { class: "error" });
  let data = null;
  const waiting = waitingPanel(() => refresh());

  graph.addEventListener("click", (event) => {
    if (event.target.closest("a")) return; // a Map's note links to its Map Run
    const state = event.target.closest("[data-state]");
    if (!state) return;
    selected = state.getAttribute("data-state");
    window.history.replaceState(null, "", "#state=" + encodeURIComponent(selected));
    showState();
  });

  function showState() {
    graph.querySelectorAll("[data-state].selected").forEach((el) => el.classList.remove("selected"));
    if (!selected || !data) return;
    const el = [...graph.querySelectorAll("[data-state]")].find((g) => g.getAttribute("data-state") === selected);
    if (el) el.classList.add("selected");
    const run = data.states[selected] || { status: "not-run" };
    const rows = [["Status", run.status], ["Entered", run.entered ?? 0]];
    if (run.attempts) rows.push(["Attempts", run.attempts + " (" + (run.attempts - 1) + " retr" + (run.attempts === 2 ? "y" : "ies") + ")"]);
    if (run.items) {
      const counts = ["pending", "running", "succeeded", "failed", "aborted"].filter((k) => run.items[k]).map((k) => run.items[k] + " " + k);
      rows.push(["Items", run.items.total + (counts.length ? " (" + counts.join(", ") + ")" : "")]);
      const mapRun = run.items.mapRun;
      if (mapRun) {
        rows.push(["Map Run", h("span", {}, mapRun.status + " · ", h("a", { id: "map-run-link", href: mapRunUrl(mapRun.arn) }, "open the Map Run"))]);
        if (run.items.failed) {
          rows.push(["Failed items", h("a", { id: "failed-items-link", href: mapRunUrl(mapRun.arn, "FAILED") }, run.items.failed + " failed: see their errors and causes")]);
        }
      }
    }
    if (run.error) rows.push(["Error", run.error]);
    if (run.cause) rows.push(["Cause", run.cause]);
    const blocks = [];
    if (run.input !== null && run.input !== undefined) blocks.push(h("h2", {}, "Input"), h("pre", {}, pretty(run.input)));
    if (run.output !== null && run.output !== undefined) blocks.push(h("h2", {}, "Output"), h("pre", {}, pretty(run.output)));
    if (run.assignedVariables) {
      const vars = Object.fromEntries(Object.entries(run.assignedVariables).map(([k, v]) => { try { return [k, JSON.parse(v)]; } catch (_) { return [k, v]; } }));
      blocks.push(h("h2", {}, "Variables assigned"), h("pre", {}, JSON.stringify(vars, null, 2)));
    }
    details.replaceChildren(h("h2", { style: "margin-top:0" }, selected),
      h("dl", {}, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v instanceof Node ? v : String(v))])), ...blocks);
  }

  async function act(action) {
    message.textContent = "";
    try {
      if (action === "stop") await aws("StopExecution", { executionArn: arn, error: "Console", cause: "Stopped from the Baton console" });
      else if (action === "again") {
        // A new execution of the same state machine with this one's input, under a name of the server's choosing.
        const execution = data.execution;
        const started = await aws("StartExecution", { stateMachineArn: execution.stateMachineArn, input: execution.input });
        location.href = executionUrl(started.executionArn);
        return;
      } else await aws("RedriveExecution", { executionArn: arn });
      await refresh();
    } catch (error) { message.textContent = error.message; }
  }

  // The events so far: each poll asks only for the ones after them. (Not named `history`: that is the browser's.)
  let seen = [];
  // The state of each event drawn, by event id: a StateEntered or StateExited names it; any other event belongs to
  // the state of the event before it in its thread (previousEventId), the execution's own events to none.
  const stateOf = new Map();
  function eventState(event, detail) {
    let state = "";
    if (/State(Entered|Exited)$/.test(event.type)) state = (detail && detail.name) || "";
    else if (!event.type.startsWith("Execution")) state = stateOf.get(event.previousEventId) || "";
    stateOf.set(event.id, state);
    return state;
  }
  function eventRow(event) {
    const detailsKey = Object.keys(event).find((key) => key.endsWith("EventDetails"));
    const detail = detailsKey ? event[detailsKey] : null;
    const state = eventState(event, detail);
    const text = detail ? JSON.stringify(detail) : "";
    // Long details fold: their first line shows, a click opens them pretty-printed, JSON text inside as JSON.
    const shown = text.length <= 100 ? text
      : h("details", {}, h("summary", {}, text.slice(0, 100) + "…"), h("pre", {}, JSON.stringify(unfolded(detail), null, 2)));
    return h("tr", {},
      h("td", {}, event.id),
      h("td", {}, event.type),
      h("td", {}, state),
      h("td", { class: "mono" }, when(event.timestamp)),
      h("td", { class: "mono" }, shown));
  }

  async function refresh() {
    const asked = performance.now();
    const fresh = await getJson("/console/api/executions/" + encodeURIComponent(arn) + "?since=" + seen.length);
    if (fresh.eventCount < seen.length) {
      seen = []; // the history got shorter, which it never should: start over
      events.replaceChildren();
      shown = 0;
      return refresh();
    }
    seen = seen.concat(fresh.events);
    showRows();
    data = fresh;
    data.events = seen;
    const execution = data.execution;
    // A Map Run's child sits under its parent execution and its Map Run (its own state machine, the Map's item
    // processor, has no page).
    const child = Boolean(execution.mapRunArn);
    const above = child && execution.parentArn
      ? [h("a", { href: executionUrl(execution.parentArn) }, arnName(execution.parentArn)), " / ", h("a", { href: mapRunUrl(execution.mapRunArn) }, "Map Run")]
      : [h("a", { href: machineUrl(execution.stateMachineArn) }, arnName(execution.stateMachineArn))];
    crumbs.replaceChildren(h("a", { href: "/console" }, "State machines"), " / ", ...above, " / ", execution.name);
    document.title = execution.name + " · Baton";
    // The API stops and redrives a child only through its parent.
    const stoppable = execution.status === "RUNNING" && !child;
    const redrivable = ["FAILED", "TIMED_OUT", "ABORTED"].includes(execution.status) && !child;
    const facts = [];
    if (child) {
      facts.push(["Child of", h("span", {},
        "Map Run ", h("a", { id: "child-of-map-run", href: mapRunUrl(execution.mapRunArn) }, execution.mapRunArn.split(":mapRun:").pop()),
        ...(execution.parentArn ? [" of execution ", h("a", { id: "child-of-execution", href: executionUrl(execution.parentArn) }, arnName(execution.parentArn))] : []))]);
    }
    facts.push(["Started", when(execution.start)], ["Stopped", when(execution.stop)]);
    if (execution.redriveCount) facts.push(["Redriven", execution.redriveCount + "×"]);
    if (execution.error) facts.push(["Error", execution.error]);
    if (execution.cause) facts.push(["Cause", execution.cause]);
    header.replaceChildren(
      h("h1", {}, execution.name, " ", statusBadge(execution.status)),
      h("div", { class: "arn" }, execution.arn),
      h("dl", { style: "margin-top:8px" }, facts.filter(([, v]) => v !== "").map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      h("div", { class: "actions" },
        h("button", { id: "stop", disabled: !stoppable, title: child ? "Stop its parent execution" : null, onclick: () => act("stop") }, "Stop"),
        h("button", { id: "redrive", class: "secondary", disabled: !redrivable, title: child ? "Redrive its parent execution" : null, onclick: () => act("redrive") }, "Redrive"),
        h("button", { id: "start-again", class: "secondary", disabled: child, title: child ? "A Map Run's child runs only as part of its Map Run" : null, onclick: () => act("again") }, "Start again with this input"),
        message));
    graph.replaceChildren(svgGraph(data.svg));
    linkMapRuns(graph, data.states);
    io.replaceChildren(h("h2", {}, "Execution input"), h("pre", {}, pretty(execution.input)),
      ...(execution.output !== null ? [h("h2", {}, "Execution output"), h("pre", {}, pretty(execution.output))] : []));
    chart.replaceChildren(timeline(data.timeline, data.events, execution));
    waiting.show(execution.status === "RUNNING" ? data.waiting : []);
    showState();
    clearTimeout(timer);
    // Once a second, or less often when the server takes long to answer (a history of many thousand events), so
    // that watching never costs the server more than about a third of its time.
    if (execution.status === "RUNNING") timer = setTimeout(poll, Math.max(1000, 3 * (performance.now() - asked)));
  }

  // One poll; a failed one (the server restarting, say) is reported and tried again.
  function poll() {
    refresh().then(() => { if (message.dataset.lost) { message.textContent = ""; delete message.dataset.lost; } }, (error) => {
      message.textContent = "Cannot reach the server (" + (error.message || error) + "): retrying…";
      message.dataset.lost = "yes";
      timer = setTimeout(poll, 2000);
    });
  }

  app.replaceChildren(
    header,
    waiting.element,
    h("div", { class: "split" },
      h("div", {},
        h("h2", {}, "Graph"),
        h("div", { class: "legend" }, LEGEND.map(([name, colour]) => h("span", {}, h("i", { style: "background:" + colour }), name))),
        graph),
      h("div", {}, h("h2", {}, "State"), details, io)),
    h("h2", {}, "Timeline"),
    chart,
    h("h2", {}, "Events"),
    h("table", { class: "events" },
      h("thead", {}, h("tr", {}, ["#", "Type", "State", "Time", "Details"].map((name) => h("th", {}, name)))), events),
    h("div", { class: "pager" }, more),
  );
  await refresh();
}

// A distributed Map's note on the graph ("12 items · 10 succeeded · …") becomes a link to its Map Run.
function linkMapRuns(graph, states) {
  for (const [name, run] of Object.entries(states || {})) {
    const mapRun = run.items && run.items.mapRun;
    if (!mapRun) continue;
    const group = [...graph.querySelectorAll("[data-state]")].find((g) => g.getAttribute("data-state") === name);
    const note = group && [...group.children].find((el) => el.classList.contains("note"));
    if (!note) continue;
    const link = document.createElementNS("http://www.w3.org/2000/svg", "a");
    link.setAttribute("href", mapRunUrl(mapRun.arn));
    link.setAttribute("class", "map-run-link");
    note.replaceWith(link);
    link.append(note);
  }
}

// ---- a Map Run -------------------------------------------------------------------------------------------------

const COUNTS = [["pending", "Pending"], ["running", "Running"], ["succeeded", "Succeeded"], ["failed", "Failed"], ["aborted", "Aborted"], ["total", "Total"]];
// Shown only when one of them is not zero.
const REDRIVE_COUNTS = [["pendingRedrive", "Pending redrive"], ["failuresNotRedrivable", "Failures not redrivable"]];
const CAUSE_CHARS = 300;

// The Map Run's item and child execution counts, one row each.
function countsTable(run) {
  const kinds = COUNTS.concat(REDRIVE_COUNTS.filter(([kind]) => run.itemCounts[kind] || run.executionCounts[kind]));
  const row = (key, label, counts) => h("tr", { "data-counts": key }, h("th", {}, label), kinds.map(([kind]) => h("td", { "data-kind": kind }, counts[kind])));
  return h("table", { class: "counts", id: "counts" },
    h("thead", {}, h("tr", {}, h("th", {}, ""), kinds.map(([, label]) => h("th", {}, label)))),
    h("tbody", {}, row("items", "Items", run.itemCounts), row("executions", "Child executions", run.executionCounts)));
}

// A Map Run: its status, times, settings and counts, and its child executions a page at a time, filtered by status
// (`?status=` in the URL, so a link can open the failed ones; `?pageSize=` sets the page). Polls while it runs.
async function mapRunPage(arn) {
  const params = new URLSearchParams(location.search);
  const pageSize = params.get("pageSize");
  let timer = null;
  const header = h("div");
  const counts = h("div");
  const message = h("span", { class: "error" });
  const filter = h("select", { id: "status-filter", "aria-label": "Status", onchange: filtered },
    [["", "All"], ["RUNNING", "Running"], ["SUCCEEDED", "Succeeded"], ["FAILED", "Failed"], ["TIMED_OUT", "Timed out"], ["ABORTED", "Aborted"]]
      .map(([value, label]) => h("option", { value }, label)));
  filter.value = params.get("status") || "";
  const children = pagedTable(["Name", "Status", "Started", "Stopped", "Error", "Cause"], async (token) => {
    const query = new URLSearchParams();
    if (token) query.set("next", token);
    if (filter.value) query.set("status", filter.value);
    if (pageSize) query.set("pageSize", pageSize);
    const page = await getJson("/console/api/map-runs/" + encodeURIComponent(arn) + "/executions" + (query.size ? "?" + query : ""));
    return { items: page.executions, next: page.next };
  }, (execution) => h("tr", {},
    h("td", {}, h("a", { href: executionUrl(execution.arn) }, execution.name)),
    h("td", {}, statusBadge(execution.status)),
    h("td", {}, when(execution.start)),
    h("td", {}, when(execution.stop)),
    h("td", { class: "error-name" }, execution.error || ""),
    h("td", { class: "mono cause", title: execution.cause || null },
      execution.cause && execution.cause.length > CAUSE_CHARS ? execution.cause.slice(0, CAUSE_CHARS) + "…" : execution.cause || "")));

  function filtered() {
    const url = new URL(location.href);
    if (filter.value) url.searchParams.set("status", filter.value);
    else url.searchParams.delete("status");
    window.history.replaceState(null, "", url);
    children.reset().catch(fail);
  }

  async function refresh() {
    const asked = performance.now();
    const { mapRun: run } = await getJson("/console/api/map-runs/" + encodeURIComponent(arn));
    crumbs.replaceChildren(h("a", { href: "/console" }, "State machines"), " / ",
      h("a", { href: machineUrl(run.stateMachineArn) }, arnName(run.stateMachineArn)), " / ",
      h("a", { href: executionUrl(run.executionArn) }, arnName(run.executionArn)), " / Map Run " + run.stateName);
    document.title = "Map Run " + run.stateName + " · Baton";
    const percentage = run.toleratedFailurePercentage;
    const facts = [
      ["Execution", h("a", { id: "parent-link", href: executionUrl(run.executionArn) + "#state=" + encodeURIComponent(run.stateName) }, arnName(run.executionArn))],
      ["Map state", run.stateName],
      ["Started", when(run.start)],
      ["Stopped", when(run.stop)],
      ["Max concurrency", run.maxConcurrency ? String(run.maxConcurrency) : "no limit"],
      ["Tolerated failures", run.toleratedFailureCount + " items, " + percentage + "%"],
    ];
    if (run.redriveCount) facts.push(["Redriven", run.redriveCount + "×, last " + when(run.redriveDate)]);
    header.replaceChildren(
      h("h1", {}, "Map Run ", run.stateName, " ", statusBadge(run.status)),
      h("div", { class: "arn" }, run.arn),
      h("dl", { id: "map-run-facts", style: "margin-top:8px" }, facts.filter(([, v]) => v !== "").map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      message);
    counts.replaceChildren(countsTable(run));
    return { running: run.status === "RUNNING", took: performance.now() - asked };
  }

  // While the Map Run runs: its counts, then the page of children shown, once a second or less often when the server
  // is slow to answer (as the execution page polls); a failed poll is reported and tried again.
  function poll() {
    refresh().then(async ({ running, took }) => {
      message.textContent = "";
      await children.show();
      if (running) timer = setTimeout(poll, Math.max(1000, 3 * took));
    }).catch((error) => {
      message.textContent = "Cannot reach the server (" + (error.message || error) + "): retrying…";
      timer = setTimeout(poll, 2000);
    });
  }

  children.element.id = "children";
  app.replaceChildren(header,
    h("h2", {}, "Counts"), counts,
    h("h2", { class: "with-action" }, "Child executions (newest first)", filter), children.element);
  const { running, took } = await refresh();
  await children.show();
  clearTimeout(timer);
  if (running) timer = setTimeout(poll, Math.max(1000, 3 * took));
}

// ---- signing in ------------------------------------------------------------------------------------------------

// The sign-in form of a server with keys: a plain form posted to /console/sign-in, which sends the browser back to
// this page once signed in, or answers this form again with a message.
function signInPage() {
  crumbs.textContent = "Sign in";
  document.title = "Sign in · Baton";
  const next = app.dataset.next || (location.pathname + location.search + location.hash);
  const id = h("input", { type: "text", id: "sign-in-key", name: "access_key_id", required: true, autocomplete: "username", spellcheck: "false", "aria-label": "Access key id" });
  const secret = h("input", { type: "password", id: "sign-in-secret", name: "secret_access_key", required: true, autocomplete: "current-password", "aria-label": "Secret access key" });
  app.replaceChildren(
    h("h1", {}, "Sign in"),
    h("p", { class: "muted" }, "This Baton checks who calls it: sign in with an access key of its credentials file."),
    h("form", { class: "card sign-in", id: "sign-in", method: "post", action: "/console/sign-in" },
      h("label", {}, "Access key id ", id),
      h("label", {}, "Secret access key ", secret),
      h("input", { type: "hidden", name: "next", value: next }),
      h("div", { class: "actions" },
        h("button", { type: "submit", id: "sign-in-submit" }, "Sign in"),
        h("span", { class: "error", id: "sign-in-message" }, app.dataset.message || ""))));
  id.focus();
}

// The signed-in key and its account, and the button that signs out, in the page's header.
function showWho() {
  const key = app.dataset.key;
  if (!key) return;
  const message = h("span", { class: "error" });
  async function signOut() {
    try {
      await postJson("/console/sign-out", {});
      location.href = "/console";
    } catch (error) { message.textContent = error.message; }
  }
  document.getElementById("who").replaceChildren(
    h("span", { id: "who-account", title: "The account the console acts in" }, "account " + app.dataset.account),
    " · ",
    h("span", { id: "who-key", title: "The signed-in access key" }, key),
    " ",
    h("button", { class: "secondary small", id: "sign-out", onclick: signOut }, "Sign out"),
    message);
}

// ---- dispatch ------------------------------------------------------------------------------------------------

(function main() {
  const page = app.dataset.page;
  const arn = app.dataset.arn;
  showWho();
  const run = {
    "list": () => listPage(),
    "state-machine": () => stateMachinePage(arn),
    "execution": () => executionPage(arn),
    "map-run": () => mapRunPage(arn),
    // operate.js: the pages across state machines.
    "executions": () => executionsPage(),
    "activities": () => activitiesPage(),
    "sign-in": async () => signInPage(),
    // Reached from another site's link, without the session cookie: loaded again from here, with it.
    "reload": async () => location.replace(location.href),
    "error": async () => { throw new Error(app.dataset.message); },
  }[page];
  (run ? run() : Promise.reject(new Error("unknown page " + page))).catch(fail);
})();
