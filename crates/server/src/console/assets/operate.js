// The Baton console's pages across state machines: finding executions and acting on many, activities and workers.
// Loaded before console.js, whose helpers (h, getJson, aws…) it calls once the page runs; it only defines functions.
// Plain browser JavaScript, no build step, no dependencies.
"use strict";

// ---- executions across state machines ----------------------------------------------------------------------------

// What a time field takes: a date and a time of day in UTC, as the console shows times.
const TIME_PATTERN = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

// A time field's text as milliseconds since 1970 (UTC): null when empty, NaN when it is not a time.
function utcMillis(text) {
  const trimmed = text.trim().replace(/\s*UTC$/i, "");
  if (!trimmed) return null;
  const m = TIME_PATTERN.exec(trimmed);
  if (!m) return NaN;
  const [year, month, day, hour, minute, second] = m.slice(1).map((part) => Number(part || 0));
  const millis = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(millis);
  // 2026-02-31 rolls over into March: not a date.
  return back.getUTCMonth() === month - 1 && back.getUTCDate() === day && hour < 24 && minute < 60 && second < 60 ? millis : NaN;
}

// Every execution the viewer sees, newest first, a page at a time, filtered by name (the text it contains, case
// kept), status, state machine and start time; the filters are kept in the URL, so a link opens the same search. The
// executions ticked (one by one, or all of the page with the header's box) are stopped or redriven through the AWS
// API, one call each, and what became of each is listed.
async function executionsPage() {
  crumbs.textContent = "Executions";
  document.title = "Executions · Baton";
  const params = new URLSearchParams(location.search);
  const message = h("span", { class: "error", id: "search-message" });
  const name = h("input", { type: "text", id: "search-name", placeholder: "name contains…", "aria-label": "Name contains", value: params.get("name") || "" });
  const status = h("select", { id: "search-status", "aria-label": "Status" },
    ["", "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"].map((s) => h("option", { value: s }, s || "Any status")));
  status.value = params.get("status") || "";
  const machine = h("select", { id: "search-machine", "aria-label": "State machine" }, h("option", { value: "" }, "Any state machine"));
  const from = h("input", { type: "text", id: "search-from", class: "time", placeholder: "YYYY-MM-DD HH:MM", "aria-label": "Started from (UTC)" });
  const to = h("input", { type: "text", id: "search-to", class: "time", placeholder: "YYYY-MM-DD HH:MM", "aria-label": "Started before (UTC)" });
  for (const [field, key] of [[from, "from"], [to, "to"]]) {
    const millis = Number(params.get(key));
    if (params.get(key) && Number.isFinite(millis)) field.value = when(millis).replace(/\.000 UTC$/, "").replace(/ UTC$/, "");
  }

  // The executions ticked on the page shown, by ARN; every execution drawn, by ARN.
  const selected = new Map();
  const known = new Map();
  let shownKey = null;
  // The executions of the page shown, as its rows are drawn.
  const shown = () => [...table.element.querySelectorAll("tbody tr[data-arn]")].map((row) => known.get(row.dataset.arn));
  const all = h("input", { type: "checkbox", id: "select-all", "aria-label": "Select every execution of the page", onchange: () => {
    for (const execution of shown()) {
      if (all.checked) selected.set(execution.arn, execution); else selected.delete(execution.arn);
    }
    for (const box of table.element.querySelectorAll("tbody input[type=checkbox]")) box.checked = all.checked;
    showSelection();
  } });
  const stop = h("button", { id: "stop-selected", disabled: true, onclick: () => act("stop") }, "Stop");
  const redrive = h("button", { id: "redrive-selected", class: "secondary", disabled: true, onclick: () => act("redrive") }, "Redrive");
  const count = h("span", { class: "muted", id: "selected-count" }, "");
  const report = h("ul", { class: "report", id: "action-report" });

  function showSelection() {
    const n = selected.size;
    count.textContent = n ? n + " selected" : "";
    stop.disabled = redrive.disabled = n === 0;
    const page = shown();
    all.checked = page.length > 0 && page.every((execution) => selected.has(execution.arn));
  }

  // The filters as the API's query (and the page's URL), or an error naming the field that is wrong.
  function filters() {
    const query = new URLSearchParams();
    if (name.value.trim()) query.set("name", name.value.trim());
    if (status.value) query.set("status", status.value);
    if (machine.value) query.set("stateMachine", machine.value);
    for (const [field, key, label] of [[from, "from", "Started from"], [to, "to", "Started before"]]) {
      const millis = utcMillis(field.value);
      if (Number.isNaN(millis)) throw new Error(label + ": write a time as YYYY-MM-DD HH:MM (UTC), not '" + field.value + "'");
      if (millis !== null) query.set(key, String(millis));
    }
    return query;
  }

  const table = pagedTable([all, "Name", "State machine", "Status", "Started", "Stopped"], async (token) => {
    const query = filters();
    const key = query.toString() + "#" + (token || "");
    if (key !== shownKey) selected.clear(); // another page or other filters: nothing of it is ticked yet
    shownKey = key;
    if (token) query.set("next", token);
    const page = await getJson("/console/api/executions" + (query.size ? "?" + query : ""));
    return { items: page.executions, next: page.next };
  }, (execution) => {
    known.set(execution.arn, execution);
    const pick = (event) => {
      if (event.target.checked) selected.set(execution.arn, execution); else selected.delete(execution.arn);
      showSelection();
    };
    return h("tr", { "data-arn": execution.arn },
      h("td", {}, h("input", { type: "checkbox", class: "pick", "aria-label": "Select " + execution.name, checked: selected.has(execution.arn), onchange: pick })),
      h("td", {}, h("a", { href: executionUrl(execution.arn) }, execution.name)),
      h("td", {}, h("a", { href: machineUrl(execution.stateMachineArn) }, arnName(execution.stateMachineArn))),
      h("td", {}, statusBadge(execution.status)),
      h("td", {}, when(execution.start)),
      h("td", {}, when(execution.stop)));
  });
  table.element.id = "results";

  // Reads the first page again with the filters as they are, and keeps them in the URL.
  async function search() {
    message.textContent = "";
    let query;
    try { query = filters(); } catch (error) { message.textContent = error.message; return; }
    const url = new URL(location.href);
    url.search = query.toString();
    window.history.replaceState(null, "", url);
    await table.reset().then(showSelection, (error) => { message.textContent = error.message; });
  }
  let typing = null;
  name.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(search, 300); });
  for (const field of [name, from, to]) {
    field.addEventListener("keydown", (event) => { if (event.key === "Enter") { clearTimeout(typing); search(); } });
  }
  status.addEventListener("change", search);
  machine.addEventListener("change", search);

  // Stops (StopExecution) or redrives (RedriveExecution) every execution ticked, all at once, then lists what became
  // of each and reads the page again.
  async function act(kind) {
    const chosen = [...selected.values()];
    stop.disabled = redrive.disabled = true;
    report.replaceChildren(h("li", { class: "muted" }, (kind === "stop" ? "Stopping " : "Redriving ") + chosen.length + "…"));
    const outcomes = await Promise.allSettled(chosen.map((execution) => kind === "stop"
      ? aws("StopExecution", { executionArn: execution.arn, cause: "Stopped from the console's executions page" })
      : aws("RedriveExecution", { executionArn: execution.arn })));
    const lines = outcomes.map((outcome, i) => {
      const execution = chosen[i];
      if (outcome.status === "rejected") {
        return h("li", { class: "error", "data-arn": execution.arn }, execution.name + ": " + outcome.reason.message);
      }
      const done = kind === "stop" && execution.status !== "RUNNING" ? "was not running (" + execution.status + ")" : kind === "stop" ? "stopped" : "redriven";
      return h("li", { class: "ok", "data-arn": execution.arn }, execution.name + ": " + done);
    });
    const failed = outcomes.filter((outcome) => outcome.status === "rejected").length;
    const verb = kind === "stop" ? "Stop" : "Redrive";
    report.replaceChildren(h("li", { class: failed ? "error" : "ok", id: "report-summary" },
      verb + ": " + (chosen.length - failed) + " of " + chosen.length + " done" + (failed ? ", " + failed + " failed" : "")), ...lines);
    selected.clear();
    await table.show().catch(fail);
    showSelection();
  }

  app.replaceChildren(
    h("h1", {}, "Executions"),
    h("p", { class: "muted" }, "Every Standard execution of every state machine, newest first. Express executions are listed on their state machine's page."),
    h("div", { class: "card fields search" },
      h("label", {}, "Name ", name), h("label", {}, "Status ", status), h("label", {}, "State machine ", machine),
      h("label", {}, "Started from ", from), h("label", {}, "before ", to), h("span", { class: "muted" }, "(UTC)"),
      h("button", { id: "search", class: "secondary", onclick: search }, "Search"), message),
    h("div", { class: "actions selection" }, stop, redrive, count),
    report,
    table.element);
  // Focused before anything is fetched, so that it never takes the focus from a field a person has gone to meanwhile.
  name.focus();
  // The state machines to choose from: every page of them.
  const machines = [];
  for (let token = null, pages = 0; pages < 20; pages += 1) {
    const page = await getJson("/console/api/state-machines?pageSize=1000" + (token ? "&next=" + encodeURIComponent(token) : ""));
    machines.push(...page.stateMachines);
    token = page.next;
    if (!token) break;
  }
  machine.append(...machines.filter((m) => m.type === "STANDARD").map((m) => h("option", { value: m.arn }, m.name)));
  machine.value = params.get("stateMachine") || "";
  await search();
}

// ---- activities --------------------------------------------------------------------------------------------------

// The activities: each one's workers waiting in GetActivityTask on this server now (with the names they gave) and its
// tasks scheduled and not yet taken (with their executions, where the server knows them), read again every two
// seconds while the page is shown.
async function activitiesPage() {
  crumbs.textContent = "Activities";
  document.title = "Activities · Baton";
  drawn += 1;
  const generation = drawn;
  const body = h("tbody");
  const note = h("p", { class: "muted", id: "activities-note" });
  const message = h("span", { class: "error" });

  function workers(activity) {
    if (!activity.pollers.length) return h("span", { class: "muted" }, "none");
    return h("ul", { class: "plain pollers" }, activity.pollers.map((poller) => h("li", {},
      h("span", { class: "worker" }, poller.worker || "(no name given)"), h("span", { class: "muted" }, " since " + when(poller.since)))));
  }

  function tasks(activity, shown) {
    const listed = activity.tasks.map((task) => h("li", {},
      h("a", { href: executionUrl(task.executionArn) }, arnName(task.executionArn)), h("span", { class: "muted" }, " since " + when(task.since))));
    const more = activity.waiting > listed.length && listed.length ? [h("li", { class: "muted" }, "and " + (activity.waiting - listed.length) + " more")] : [];
    return h("div", {},
      h("span", { class: "waiting", "data-waiting": activity.waiting }, activity.waiting + " waiting"),
      listed.length ? h("ul", { class: "plain tasks" }, listed, more) : null,
      shown === 0 && activity.waiting ? h("span", { class: "muted" }, " (their executions are not listed on a shared database)") : null);
  }

  async function refresh() {
    const { activities, shownTasks } = await getJson("/console/api/activities");
    body.replaceChildren(...activities.map((activity) => h("tr", { "data-activity": activity.name },
      h("td", {}, h("div", {}, activity.name), h("div", { class: "arn" }, activity.arn),
        activity.created === null ? h("div", { class: "error" }, "No such activity: tasks wait for it.") : null),
      h("td", { class: "polling" }, workers(activity)),
      h("td", { class: "queue" }, tasks(activity, shownTasks)))));
    if (!activities.length) body.append(h("tr", {}, h("td", { colspan: 3, class: "muted" }, "No activities yet.")));
    note.textContent = "Workers are those waiting in GetActivityTask on this server now; tasks are those scheduled and not yet taken by a worker.";
  }

  function poll() {
    setTimeout(() => {
      if (generation !== drawn) return;
      refresh().then(() => { message.textContent = ""; }, (error) => { message.textContent = "Cannot reach the server (" + (error.message || error) + "): retrying…"; })
        .finally(poll);
    }, 2000);
  }

  app.replaceChildren(
    h("h1", {}, "Activities"), note, message,
    h("table", { id: "activities" },
      h("thead", {}, h("tr", {}, ["Activity", "Workers polling", "Tasks waiting"].map((title) => h("th", {}, title)))), body));
  await refresh();
  poll();
}
