// The Baton console: renders the page that <main data-page> names from the JSON of /console/api.
// Reads go to /console/api; start, stop and redrive go to the AWS API itself (POST / with X-Amz-Target).
// Plain browser JavaScript, no build step, no dependencies.
"use strict";

const app = document.getElementById("app");
const crumbs = document.getElementById("crumbs");

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
  return new Date(millis).toISOString().replace("T", " ").replace("Z", "").slice(0, 23);
}

function statusBadge(status) {
  return h("span", { class: "status " + status }, status);
}

function machineUrl(arn) { return "/console/state-machines/" + encodeURIComponent(arn); }
function executionUrl(arn) { return "/console/executions/" + encodeURIComponent(arn); }

async function getJson(url) {
  const response = await fetch(url, { cache: "no-store" });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error || ("HTTP " + response.status));
  return body;
}

// Calls the AWS Step Functions API of this server, as an SDK would.
async function aws(action, request) {
  const response = await fetch("/", {
    method: "POST",
    headers: { "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AWSStepFunctions." + action },
    body: JSON.stringify(request),
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((body.__type || "HTTP " + response.status) + ": " + (body.message || ""));
  return body;
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
  async function show() {
    const page = await load(tokens[index]);
    body.replaceChildren(...page.items.map(row));
    if (page.items.length === 0) body.append(h("tr", {}, h("td", { colspan: headers.length, class: "muted" }, "None yet.")));
    tokens[index + 1] = page.next;
    pager.replaceChildren(
      h("button", { class: "secondary", disabled: index === 0, onclick: () => { index -= 1; show().catch(fail); } }, "Previous"),
      h("button", { class: "secondary", disabled: !page.next, onclick: () => { index += 1; show().catch(fail); } }, "Next"),
    );
  }
  const table = h("table", {}, h("thead", {}, h("tr", {}, headers.map((name) => h("th", {}, name)))), body);
  return { element: h("div", {}, table, pager), show };
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
  app.replaceChildren(h("h1", {}, "State machines"), table.element);
  await table.show();
}

async function stateMachinePage(arn) {
  const { stateMachine: machine, svg } = await getJson("/console/api/state-machines/" + encodeURIComponent(arn));
  crumbs.replaceChildren(h("a", { href: "/console" }, "State machines"), " / ", machine.name);
  document.title = machine.name + " · Baton";

  const input = h("textarea", { id: "start-input", spellcheck: "false" }, "{}");
  const name = h("input", { type: "text", id: "start-name", placeholder: "name (optional)" });
  const message = h("span", { class: "error" });
  async function start() {
    message.textContent = "";
    const request = { stateMachineArn: machine.arn, input: input.value };
    if (name.value.trim()) request.name = name.value.trim();
    try {
      if (machine.type === "EXPRESS") {
        await aws("StartSyncExecution", request);
        message.textContent = "Express execution finished (Express executions are not listed).";
      } else {
        const started = await aws("StartExecution", request);
        location.href = executionUrl(started.executionArn);
      }
    } catch (error) { message.textContent = error.message; }
  }

  const graph = h("div", { class: "graph" });
  graph.innerHTML = svg || "<p class=muted>No graph for this definition.</p>";
  const executions = pagedTable(["Name", "Status", "Started", "Stopped"], async (token) => {
    const url = "/console/api/state-machines/" + encodeURIComponent(arn) + "/executions" + (token ? "?next=" + encodeURIComponent(token) : "");
    const page = await getJson(url);
    return { items: page.executions, next: page.next };
  }, (execution) => h("tr", {},
    h("td", {}, h("a", { href: executionUrl(execution.arn) }, execution.name)),
    h("td", {}, statusBadge(execution.status)),
    h("td", {}, when(execution.start)),
    h("td", {}, when(execution.stop))));

  app.replaceChildren(
    h("h1", {}, machine.name),
    h("div", { class: "arn" }, machine.arn),
    h("p", { class: "muted" }, machine.type + " · created " + when(machine.created) + " · updated " + when(machine.updated)),
    h("div", { class: "split" },
      h("div", {}, h("h2", {}, "Graph"), graph, h("h2", {}, "Executions (newest first)"), executions.element),
      h("div", {},
        h("h2", {}, "Start an execution"),
        h("div", { class: "card" }, name, h("p", { class: "muted" }, "Input (JSON)"), input,
          h("div", { class: "actions" }, h("button", { id: "start", onclick: start }, "Start execution"), message)),
        h("h2", {}, "Definition"),
        h("pre", { id: "definition" }, pretty(machine.definition)))),
  );
  await executions.show();
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
  const events = h("tbody");
  const message = h("span", { class: "error" });
  let data = null;

  graph.addEventListener("click", (event) => {
    const state = event.target.closest("[data-state]");
    if (!state) return;
    selected = state.getAttribute("data-state");
    history.replaceState(null, "", "#state=" + encodeURIComponent(selected));
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
      h("dl", {}, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))])), ...blocks);
  }

  async function act(action) {
    message.textContent = "";
    try {
      if (action === "stop") await aws("StopExecution", { executionArn: arn, error: "Console", cause: "Stopped from the Baton console" });
      else await aws("RedriveExecution", { executionArn: arn });
      await refresh();
    } catch (error) { message.textContent = error.message; }
  }

  async function refresh() {
    data = await getJson("/console/api/executions/" + encodeURIComponent(arn));
    const execution = data.execution;
    crumbs.replaceChildren(h("a", { href: "/console" }, "State machines"), " / ",
      h("a", { href: machineUrl(execution.stateMachineArn) }, execution.stateMachineArn.split(":").pop()), " / ", execution.name);
    document.title = execution.name + " · Baton";
    const running = execution.status === "RUNNING";
    const redrivable = ["FAILED", "TIMED_OUT", "ABORTED"].includes(execution.status);
    const facts = [["Started", when(execution.start)], ["Stopped", when(execution.stop)]];
    if (execution.redriveCount) facts.push(["Redriven", execution.redriveCount + "×"]);
    if (execution.error) facts.push(["Error", execution.error]);
    if (execution.cause) facts.push(["Cause", execution.cause]);
    header.replaceChildren(
      h("h1", {}, execution.name, " ", statusBadge(execution.status)),
      h("div", { class: "arn" }, execution.arn),
      h("dl", { style: "margin-top:8px" }, facts.filter(([, v]) => v !== "").map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      h("div", { class: "actions" },
        h("button", { id: "stop", disabled: !running, onclick: () => act("stop") }, "Stop"),
        h("button", { id: "redrive", class: "secondary", disabled: !redrivable, onclick: () => act("redrive") }, "Redrive"),
        message));
    graph.innerHTML = data.svg || "<p class=muted>No graph for this definition.</p>";
    io.replaceChildren(h("h2", {}, "Execution input"), h("pre", {}, pretty(execution.input)),
      ...(execution.output !== null ? [h("h2", {}, "Execution output"), h("pre", {}, pretty(execution.output))] : []));
    events.replaceChildren(...data.events.map((event) => {
      const detailsKey = Object.keys(event).find((key) => key.endsWith("EventDetails"));
      const detail = detailsKey ? event[detailsKey] : null;
      const state = detail && detail.name ? detail.name : "";
      return h("tr", {},
        h("td", {}, event.id),
        h("td", {}, event.type),
        h("td", {}, state),
        h("td", { class: "mono" }, when(event.timestamp)),
        h("td", { class: "mono" }, detail ? JSON.stringify(detail).slice(0, 300) : ""));
    }));
    showState();
    clearTimeout(timer);
    if (running) timer = setTimeout(() => refresh().catch(fail), 1000);
  }

  app.replaceChildren(
    header,
    h("div", { class: "split" },
      h("div", {},
        h("h2", {}, "Graph"),
        h("div", { class: "legend" }, LEGEND.map(([name, colour]) => h("span", {}, h("i", { style: "background:" + colour }), name))),
        graph),
      h("div", {}, h("h2", {}, "State"), details, io)),
    h("h2", {}, "Events"),
    h("table", { class: "events" },
      h("thead", {}, h("tr", {}, ["#", "Type", "State", "Time", "Details"].map((name) => h("th", {}, name)))), events),
  );
  await refresh();
}

// ---- dispatch ------------------------------------------------------------------------------------------------

(function main() {
  const page = app.dataset.page;
  const arn = app.dataset.arn;
  const run = {
    "list": () => listPage(),
    "state-machine": () => stateMachinePage(arn),
    "execution": () => executionPage(arn),
    "error": async () => { throw new Error(app.dataset.message); },
  }[page];
  (run ? run() : Promise.reject(new Error("unknown page " + page))).catch(fail);
})();
