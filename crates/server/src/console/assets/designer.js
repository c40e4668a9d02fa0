// The Baton console's design mode: build and change a definition on a canvas, with a palette, forms and the keyboard.
// Loaded before console.js, whose helpers (h, postJson…) it calls once the page runs; it only defines functions.
// Plain browser JavaScript, no build step, no dependencies.
//
// The model is the definition itself, a plain object as JSON.parse gives it (key order kept), edited in place and
// handed to the editor after each change, which writes the code view from it (YAML through the server, which keeps
// the text's comments) and checks it with the same asl::parse as saving; the problems come back here and are drawn
// on their states. Every state list is an "area": the definition itself, each branch of a Parallel, a Map's
// processor. A state is known by its key: its area's key and its name; positions on the canvas are kept by key
// (and in the browser's storage per state machine), so edits in either view move nothing that was placed.
// Dragging is done with pointer events (a person's mouse in a browser; the tests drive Chromium's input), never with
// the HTML drag-and-drop API.
"use strict";

const NODE_W = 190;
const NODE_H = 50;
const GAP_X = 40;
const GAP_Y = 56;
const AREA_PAD = 24;
const CONTAINER_HEAD = 40;
const EMPTY_AREA = { w: 230, h: 90 };

// The palette: the eight state types and the common task integrations. `make(lang, account)` is the new state.
const PALETTE = [
  { group: "Flow", kind: "Pass", label: "Pass", doc: "Passes its input to its output, optionally shaped.", make: () => ({ Type: "Pass" }) },
  { group: "Flow", kind: "Choice", label: "Choice", doc: "Chooses the next state by rules.", make: (lang) => ({ Type: "Choice", Choices: [lang === "JSONata" ? { Condition: "{% true %}" } : { Variable: "$.ok", BooleanEquals: true }] }) },
  { group: "Flow", kind: "Wait", label: "Wait", doc: "Waits for a number of seconds or until a time.", make: () => ({ Type: "Wait", Seconds: 5 }) },
  { group: "Flow", kind: "Parallel", label: "Parallel", doc: "Runs branches at the same time.", make: () => ({ Type: "Parallel", Branches: [{ StartAt: "", States: {} }, { StartAt: "", States: {} }] }) },
  { group: "Flow", kind: "Map", label: "Map", doc: "Runs its processor for every item of an array.", make: () => ({ Type: "Map", ItemProcessor: { ProcessorConfig: { Mode: "INLINE" }, StartAt: "", States: {} } }) },
  { group: "Flow", kind: "Succeed", label: "Succeed", doc: "Ends the execution (or branch) successfully.", make: () => ({ Type: "Succeed" }) },
  { group: "Flow", kind: "Fail", label: "Fail", doc: "Ends the execution (or branch) with an error.", make: () => ({ Type: "Fail", Error: "Failed", Cause: "" }) },
  { group: "Tasks", kind: "Task", label: "Task", doc: "Calls a resource given by its ARN.", make: () => ({ Type: "Task", Resource: "arn:aws:states:::lambda:invoke" }) },
  { group: "Tasks", kind: "lambda", label: "Lambda invoke", name: "Lambda Invoke", doc: "Invokes a Lambda function (or a local function of that name).",
    make: (lang) => task("arn:aws:states:::lambda:invoke", { FunctionName: "MyFunction" }, lang, "Payload") },
  { group: "Tasks", kind: "sqs", label: "SQS send message", name: "SQS SendMessage", doc: "Sends a message to an SQS queue.",
    make: (lang) => task("arn:aws:states:::sqs:sendMessage", { QueueUrl: "https://sqs.us-east-1.amazonaws.com/123456789012/queue" }, lang, "MessageBody") },
  { group: "Tasks", kind: "sns", label: "SNS publish", name: "SNS Publish", doc: "Publishes a message to an SNS topic.",
    make: (lang) => task("arn:aws:states:::sns:publish", { TopicArn: "arn:aws:sns:us-east-1:123456789012:topic" }, lang, "Message") },
  { group: "Tasks", kind: "dynamodb", label: "DynamoDB put item", name: "DynamoDB PutItem", doc: "Writes an item to a DynamoDB table.",
    make: (lang) => task("arn:aws:states:::dynamodb:putItem", { TableName: "Table", Item: { id: { S: "1" } } }, lang) },
  { group: "Tasks", kind: "ecs", label: "ECS run task (.sync)", name: "ECS RunTask", doc: "Runs an ECS task and waits for it to stop.",
    make: (lang) => task("arn:aws:states:::ecs:runTask.sync", { Cluster: "default", TaskDefinition: "task", LaunchType: "FARGATE" }, lang) },
  { group: "Tasks", kind: "batch", label: "Batch submit job (.sync)", name: "Batch SubmitJob", doc: "Submits an AWS Batch job and waits for it.",
    make: (lang) => task("arn:aws:states:::batch:submitJob.sync", { JobName: "job", JobQueue: "queue", JobDefinition: "definition" }, lang) },
  { group: "Tasks", kind: "glue", label: "Glue start job run (.sync)", name: "Glue StartJobRun", doc: "Starts a Glue job run and waits for it.",
    make: (lang) => task("arn:aws:states:::glue:startJobRun.sync", { JobName: "job" }, lang) },
  { group: "Tasks", kind: "http", label: "HTTP endpoint", name: "Call HTTP", doc: "Calls an HTTPS endpoint (HTTP Task).",
    make: (lang) => task("arn:aws:states:::http:invoke", { ApiEndpoint: "https://example.com/api", Method: "GET", Authentication: { ConnectionArn: "arn:aws:events:us-east-1:123456789012:connection/name/id" } }, lang) },
  { group: "Tasks", kind: "activity", label: "Activity", name: "Activity", doc: "Waits for an activity worker to do the work.",
    make: (lang, account) => ({ Type: "Task", Resource: "arn:aws:states:us-east-1:" + (account || "123456789012") + ":activity:my-activity" }) },
  { group: "Tasks", kind: "child", label: "Child execution", name: "Start Child", doc: "Starts an execution of another state machine and waits for it.",
    make: (lang, account) => task("arn:aws:states:::states:startExecution.sync:2", { StateMachineArn: "arn:aws:states:us-east-1:" + (account || "123456789012") + ":stateMachine:child" }, lang, "Input") },
  { group: "Tasks", kind: "sdk", label: "AWS SDK call", name: "AWS SDK Call", doc: "Calls any AWS API action: choose the service and the action.",
    make: () => ({ Type: "Task", Resource: "arn:aws:states:::aws-sdk:s3:listBuckets", Arguments: {} }) },
];

// A Task state calling `resource` with `args`; `payload` names the argument that carries the state's input.
function task(resource, args, lang, payload) {
  const state = { Type: "Task", Resource: resource };
  const fields = Object.assign({}, args);
  if (payload) {
    if (lang === "JSONata") fields[payload] = "{% $states.input %}";
    else fields[payload + ".$"] = "$";
  }
  state[lang === "JSONata" ? "Arguments" : "Parameters"] = fields;
  return state;
}

// What each field means, shown under it in the inspector (from the Amazon States Language).
const FIELD_DOCS = {
  Name: "The state's name: unique in the state machine, at most 80 characters.",
  Comment: "A description for people; ignored when the state runs.",
  QueryLanguage: "JSONPath or JSONata for this state's fields; by default the state machine's.",
  Next: "The state that runs after this one, or the end of the workflow (or branch).",
  Resource: "The ARN of what the Task calls: an integration (arn:aws:states:::service:action), a Lambda function, an activity.",
  Pattern: "Request response returns at once; .sync waits for the job; .waitForTaskToken waits for SendTaskSuccess or SendTaskFailure with the token.",
  Service: "The AWS service of an SDK call, as its SDK names it (s3, dynamodb, ec2…).",
  Action: "The API action in camel case (listBuckets, getItem…).",
  Arguments: "JSONata: what the Task (or Parallel branches) receive; a JSON object whose strings may be {% expressions %}.",
  Parameters: "JSONPath: the effective input; keys ending in .$ take a path or intrinsic function.",
  Output: "JSONata: the state's output; {% $states.result %} by default for a Task.",
  Assign: "Variables to set, by name: values or expressions.",
  InputPath: "JSONPath: the part of the input the state works on ($ by default).",
  OutputPath: "JSONPath: the part of the result passed on ($ by default).",
  ResultPath: "JSONPath: where in the input the result goes ($ replaces it; null discards the result).",
  ResultSelector: "JSONPath: the result reshaped before ResultPath.",
  Result: "A Pass state's fixed result.",
  TimeoutSeconds: "Fails the Task with States.Timeout when it runs longer than this.",
  HeartbeatSeconds: "Fails the Task with States.HeartbeatTimeout when no heartbeat arrives within this.",
  Seconds: "How long to wait, in seconds (or a {% expression %} in JSONata).",
  Timestamp: "Wait until this time (ISO 8601, e.g. 2026-12-31T23:59:59Z).",
  SecondsPath: "JSONPath: the input's field holding the seconds to wait.",
  TimestampPath: "JSONPath: the input's field holding the time to wait until.",
  Error: "The error name the execution fails with.",
  Cause: "A human-readable description of the failure.",
  Condition: "JSONata: the rule matches when this {% expression %} is true.",
  Rule: "JSONPath: the rule's comparison as JSON, e.g. {\"Variable\": \"$.ok\", \"BooleanEquals\": true} (And, Or, Not nest rules).",
  Default: "The state that runs when no rule matches; without it, no match fails with States.NoChoiceMatched.",
  ItemsPath: "JSONPath: the array to iterate ($ by default).",
  Items: "JSONata: the array to iterate, e.g. {% $states.input.items %}.",
  ItemSelector: "The input of each iteration; $$.Map.Item.Value (JSONPath) or $states.context.Map.Item.Value (JSONata) is the item.",
  MaxConcurrency: "How many iterations run at once (0: as many as possible).",
  Mode: "INLINE runs iterations in this execution; DISTRIBUTED starts a child execution per batch.",
  ErrorEquals: "Error names this rule handles, comma separated (States.ALL matches every error).",
  IntervalSeconds: "Seconds before the first retry.",
  MaxAttempts: "The most retries (0: never retry).",
  BackoffRate: "What each interval is multiplied by for the next retry.",
  CatchNext: "The state that runs when one of these errors is caught.",
  TopQueryLanguage: "The query language of every state that does not name its own.",
  TopTimeout: "Fails the execution with States.Timeout when it runs longer than this.",
};

// The fields a state of `type` has in `lang`, after its name and comment, in the order the inspector shows them.
function fieldsOf(type, lang) {
  const jsonata = lang === "JSONata";
  const io = jsonata ? ["Output", "Assign"] : ["InputPath", "OutputPath", "Assign"];
  switch (type) {
    case "Task": return jsonata ? ["Arguments", "Output", "Assign", "TimeoutSeconds", "HeartbeatSeconds"]
      : ["Parameters", "ResultSelector", "ResultPath", "InputPath", "OutputPath", "Assign", "TimeoutSeconds", "HeartbeatSeconds"];
    case "Pass": return jsonata ? ["Output", "Assign"] : ["Result", "Parameters", "ResultPath", "InputPath", "OutputPath", "Assign"];
    case "Wait": return ["Seconds", "Timestamp", ...(jsonata ? [] : ["SecondsPath", "TimestampPath"]), ...io];
    case "Choice": return jsonata ? ["Output", "Assign"] : ["InputPath", "OutputPath", "Assign"];
    case "Parallel": return jsonata ? ["Arguments", "Output", "Assign"] : ["Parameters", "ResultSelector", "ResultPath", "InputPath", "OutputPath", "Assign"];
    case "Map": return jsonata ? ["Items", "ItemSelector", "MaxConcurrency", "Output", "Assign"]
      : ["ItemsPath", "ItemSelector", "MaxConcurrency", "ResultSelector", "ResultPath", "InputPath", "OutputPath", "Assign"];
    case "Succeed": return jsonata ? ["Output"] : ["InputPath", "OutputPath"];
    case "Fail": return ["Error", "Cause"];
    default: return [];
  }
}

// Fields whose value is JSON (an object, array, number…) rather than text.
const JSON_FIELDS = new Set(["Arguments", "Parameters", "Output", "Assign", "ResultSelector", "Result", "ItemSelector", "Items"]);
const NUMBER_FIELDS = new Set(["TimeoutSeconds", "HeartbeatSeconds", "MaxConcurrency", "IntervalSeconds", "MaxAttempts", "BackoffRate"]);

// ---- walking a definition ------------------------------------------------------------------------------------

// The areas inside a state: [suffix, area] for each Parallel branch and a Map's processor.
function innerAreas(state) {
  if (!state || typeof state !== "object") return [];
  if (state.Type === "Parallel" && Array.isArray(state.Branches)) return state.Branches.map((branch, i) => ["#" + i, branch]);
  if (state.Type === "Map") {
    const processor = state.ItemProcessor || state.Iterator;
    return processor && typeof processor === "object" ? [["#p", processor]] : [];
  }
  return [];
}

function statesOf(area) {
  return area && area.States && typeof area.States === "object" && !Array.isArray(area.States) ? area.States : {};
}

// Every transition out of `state`: {kind, index, to, label}.
function transitions(state) {
  const out = [];
  if (!state || typeof state !== "object") return out;
  if (typeof state.Next === "string") out.push({ kind: "next", to: state.Next, label: "" });
  if (Array.isArray(state.Choices)) {
    state.Choices.forEach((rule, index) => {
      if (rule && typeof rule.Next === "string") out.push({ kind: "choice", index, to: rule.Next, label: "Rule " + (index + 1) });
    });
  }
  if (typeof state.Default === "string") out.push({ kind: "default", to: state.Default, label: "Default" });
  if (Array.isArray(state.Catch)) {
    state.Catch.forEach((catcher, index) => {
      if (catcher && typeof catcher.Next === "string") {
        const errors = Array.isArray(catcher.ErrorEquals) ? catcher.ErrorEquals.join(", ") : "";
        out.push({ kind: "catch", index, to: catcher.Next, label: "Catch " + errors });
      }
    });
  }
  return out;
}

function setTransition(state, edge, to) {
  if (edge.kind === "next") state.Next = to;
  else if (edge.kind === "default") state.Default = to;
  else if (edge.kind === "choice") state.Choices[edge.index].Next = to;
  else if (edge.kind === "catch") state.Catch[edge.index].Next = to;
}

// Whether a state of this type moves on with Next/End (Choice, Succeed and Fail do not).
function flows(type) { return !["Choice", "Succeed", "Fail"].includes(type); }

// Every state name in the definition, nested ones too.
function allNames(area, into) {
  for (const [name, state] of Object.entries(statesOf(area))) {
    into.add(name);
    for (const [, inner] of innerAreas(state)) allNames(inner, into);
  }
  return into;
}

// What a Task calls, in a few words (as the graph's boxes say it).
function callsOf(state) {
  if (!state || state.Type !== "Task" || typeof state.Resource !== "string") return state ? state.Type : "";
  const resource = state.Resource;
  const args = state.Arguments || state.Parameters || {};
  const integration = resource.match(/^arn:[^:]+:states:::(.+)$/);
  if (integration) {
    const [service, action] = integration[1].split(":");
    if (service === "lambda" && typeof args.FunctionName === "string") return "lambda:invoke " + args.FunctionName;
    if (service === "http" && typeof args.ApiEndpoint === "string") return (args.Method || "") + " " + args.ApiEndpoint;
    if (service === "aws-sdk") return integration[1].split(":").slice(1).join(":");
    return service + ":" + (action || "");
  }
  const activity = resource.match(/:activity:(.+)$/);
  if (activity) return "activity " + activity[1];
  const fn = resource.match(/:function:([^:]+)/);
  if (fn) return "function " + fn[1];
  return resource;
}

// ---- the designer --------------------------------------------------------------------------------------------

// A design view of `definition` (an object; changed in place). `onChange(definition)` is called after every change
// made here (not after `load`). `storageKey` names where positions are kept in the browser (null: nowhere).
function designer({ definition, storageKey, onChange, account }) {
  let def = definition && typeof definition === "object" ? definition : { StartAt: "", States: {} };
  let positions = new Map(restorePositions());
  let sizes = new Map(); // key → {w, h} of the last drawing, to push states down when a container grows
  let selected = null; // a state key
  let selectedArea = null; // an area key, when an area (empty branch) was chosen
  let selectedEdge = null; // {from: state key, edge}
  let problems = []; // diagnostics of the last check
  let registry = new Map(); // state key → {areaKey, area, name, state}
  let areaRegistry = new Map(); // area key → {area, lang}
  const undo = [];
  const redo = [];

  const canvas = h("div", { class: "canvas", id: "design-canvas", tabindex: "-1" });
  const inspector = h("div", { class: "inspector", id: "design-inspector" });
  const banner = h("div", { class: "design-banner", id: "design-banner" });
  const undoButton = h("button", { class: "secondary small", id: "design-undo", title: "Undo (Ctrl+Z)", onclick: () => undoStep() }, "Undo");
  const redoButton = h("button", { class: "secondary small", id: "design-redo", title: "Redo (Ctrl+Shift+Z or Ctrl+Y)", onclick: () => redoStep() }, "Redo");
  const clearButton = h("button", { class: "secondary small", id: "design-clear", title: "Start from an empty canvas", onclick: () => clearAll() }, "Empty canvas");
  const palette = h("div", { class: "palette", id: "design-palette", "aria-label": "States to add" },
    ...["Flow", "Tasks"].map((group) => h("div", { class: "palette-group" },
      h("div", { class: "palette-title" }, group === "Flow" ? "States" : "Task integrations"),
      ...PALETTE.filter((item) => item.group === group).map((item) => h("button", {
        class: "palette-item kind-" + (item.make("JSONPath").Type), "data-kind": item.kind, title: item.doc + " Drag it onto the canvas, an arrow or a state; or press Enter to add it after the selected state.",
        onpointerdown: (event) => startPaletteDrag(event, item),
        onclick: (event) => { if (event.detail === 0) add(item, null); },
      }, item.label)))));
  const element = h("div", { class: "designer", id: "designer" },
    h("div", { class: "design-tools" }, undoButton, redoButton, clearButton,
      h("span", { class: "muted" }, "Drag states from the palette; Delete removes the selected state, arrows move it, Ctrl+Z undoes.")),
    h("div", { class: "design-body" }, palette, h("div", { class: "canvas-wrap" }, banner, canvas), inspector));
  element.addEventListener("keydown", onKey);

  // ---- positions ---------------------------------------------------------------------------------------------

  function restorePositions() {
    if (!storageKey) return [];
    try { return JSON.parse(localStorage.getItem(storageKey) || "[]"); } catch { return []; }
  }

  function keepPositions() {
    // Places of states that are gone from the code view are kept: typing a name goes through other names, and the
    // state should come back where it was.
    if (!storageKey) return;
    try { localStorage.setItem(storageKey, JSON.stringify([...positions])); } catch { /* storage full or off: positions last this page */ }
  }

  function stateKey(areaKey, name) { return areaKey + "\u0001" + name; }

  // ---- the language of an area ------------------------------------------------------------------------------

  function langOf(state, areaLang) {
    return state && (state.QueryLanguage === "JSONata" || state.QueryLanguage === "JSONPath") ? state.QueryLanguage : areaLang;
  }

  // ---- changes -----------------------------------------------------------------------------------------------

  function snapshot() {
    return { def: JSON.stringify(def), positions: JSON.stringify([...positions]), selected };
  }

  function restore(shot) {
    def = JSON.parse(shot.def);
    positions = new Map(JSON.parse(shot.positions));
    selected = shot.selected;
    selectedEdge = null;
    selectedArea = null;
  }

  // Runs `change` on the model as one undoable step, then redraws and tells the editor.
  function mutate(change, { inspect = true } = {}) {
    const before = snapshot();
    change();
    undo.push(before);
    if (undo.length > 200) undo.shift();
    redo.length = 0;
    render({ inspect });
    keepPositions();
    onChange(def);
  }

  // Steps back to the last state of `from` (undo or redo), keeping where it was on `to` for the opposite step.
  function travel(from, to) {
    if (!from.length) return;
    to.push(snapshot());
    restore(from.pop());
    render();
    keepPositions();
    onChange(def);
  }

  function undoStep() { travel(undo, redo); }
  function redoStep() { travel(redo, undo); }

  function clearAll() {
    mutate(() => {
      const kept = {};
      if (def.QueryLanguage) kept.QueryLanguage = def.QueryLanguage;
      def = Object.assign({ Comment: typeof def.Comment === "string" ? def.Comment : "" }, kept, { StartAt: "", States: {} });
      positions = new Map();
      selected = null;
    });
  }

  function uniqueName(base) {
    const names = allNames(def, new Set());
    if (!names.has(base)) return base;
    for (let i = 2; ; i++) if (!names.has(base + " " + i)) return base + " " + i;
  }

  // Adds a new state made from palette `item`. `where`: {edge: {from, edge}} inserts it on that transition,
  // {after: key} after that state, {area: key, x, y} at that point of an area; null: after the selected state or
  // edge, or into the selected area, or at the end of the definition.
  function add(item, where) {
    if (!where) {
      if (selectedEdge) where = { edge: selectedEdge };
      else if (selected && registry.has(selected)) where = { after: selected };
      else where = { area: selectedArea && areaRegistry.has(selectedArea) ? selectedArea : "" };
    }
    mutate(() => {
      const areaKey = where.edge ? registry.get(where.edge.from).areaKey : where.after ? registry.get(where.after).areaKey : where.area;
      const target = areaRegistry.get(areaKey);
      const area = target.area;
      if (!area.States || typeof area.States !== "object") area.States = {};
      const name = uniqueName(item.name || item.label);
      const state = item.make(target.lang, account);
      const key = stateKey(areaKey, name);
      const states = area.States;
      if (where.edge) {
        const from = registry.get(where.edge.from);
        const to = where.edge.edge.to;
        setTransition(from.state, where.edge.edge, name);
        link(state, to);
        place(key, areaKey, from, states[to] ? registry.get(stateKey(areaKey, to)) : null);
      } else if (where.after) {
        const from = registry.get(where.after);
        if (flows(from.state.Type)) {
          const next = typeof from.state.Next === "string" ? from.state.Next : null;
          delete from.state.End;
          from.state.Next = name;
          if (next) link(state, next); else if (flows(state.Type)) state.End = true;
        } else if (flows(state.Type)) {
          state.End = true;
        }
        place(key, areaKey, from, null);
      } else {
        if (!area.StartAt || !states[area.StartAt]) area.StartAt = name;
        if (flows(state.Type)) state.End = true;
        if (where.x !== undefined) positions.set(key, { x: Math.max(0, Math.round(where.x - NODE_W / 2)), y: Math.max(0, Math.round(where.y - NODE_H / 2)) });
      }
      states[name] = state;
      selected = key;
      selectedEdge = null;
      selectedArea = null;
    });
  }

  // Points new `state` at `to`: a Choice gets it as its first rule's target and its Default.
  function link(state, to) {
    if (state.Type === "Choice") {
      state.Choices[0].Next = to;
      state.Default = to;
    } else if (flows(state.Type)) {
      state.Next = to;
    }
  }

  // Places new state `key` just under `from`, pushing down the states of its area below that point.
  function place(key, areaKey, from, to) {
    const origin = positions.get(from.key);
    if (!origin) return;
    const fromSize = sizes.get(from.key) || { w: NODE_W, h: NODE_H };
    const y = origin.y + fromSize.h + GAP_Y;
    const x = to && positions.get(to.key) ? positions.get(to.key).x : origin.x + (fromSize.w - NODE_W) / 2;
    for (const [other, entry] of registry) {
      if (entry.areaKey !== areaKey) continue;
      const at = positions.get(other);
      if (at && at.y >= y - GAP_Y / 2) positions.set(other, { x: at.x, y: at.y + NODE_H + GAP_Y });
    }
    positions.set(key, { x: Math.round(x), y: Math.round(y) });
  }

  // Removes state `key`: what pointed at it points where it went (its Next), or ends.
  function remove(key) {
    const entry = registry.get(key);
    if (!entry) return;
    mutate(() => {
      const { area, name, state, areaKey } = entry;
      const onward = flows(state.Type) && typeof state.Next === "string" ? state.Next : null;
      delete area.States[name];
      for (const other of Object.values(statesOf(area))) {
        for (const edge of transitions(other)) {
          if (edge.to !== name) continue;
          if (onward) setTransition(other, edge, onward);
          else if (edge.kind === "next") { delete other.Next; other.End = true; }
          else if (edge.kind === "catch") other.Catch.splice(edge.index, 1);
          else if (edge.kind === "default") delete other.Default;
          else setTransition(other, edge, "");
        }
        if (Array.isArray(other.Catch) && other.Catch.length === 0) delete other.Catch;
      }
      if (area.StartAt === name) area.StartAt = onward || Object.keys(area.States)[0] || "";
      for (const k of [...positions.keys()]) if (k === key || k.startsWith(key + "#")) positions.delete(k);
      selected = null;
      selectedArea = areaKey || null;
    });
  }

  // Renames state `key` to `name` and every reference to it in its area; positions follow.
  function rename(key, name) {
    const entry = registry.get(key);
    if (!entry || !name || name === entry.name) return;
    if (allNames(def, new Set()).has(name)) throw new Error("a state named '" + name + "' exists already");
    mutate(() => {
      const { area, areaKey } = entry;
      const renamed = {};
      for (const [other, state] of Object.entries(area.States)) renamed[other === entry.name ? name : other] = state;
      area.States = renamed;
      for (const state of Object.values(renamed)) {
        for (const edge of transitions(state)) if (edge.to === entry.name) setTransition(state, edge, name);
      }
      if (area.StartAt === entry.name) area.StartAt = name;
      const newKey = stateKey(areaKey, name);
      for (const [k, at] of [...positions]) {
        if (k === key || k.startsWith(key + "#")) { positions.delete(k); positions.set(newKey + k.slice(key.length), at); }
      }
      selected = newKey;
    }, { inspect: false });
  }

  // Connects state `from` to `to` (same area): Next for a state that flows; a new rule (or the Default) of a Choice.
  function connect(fromKey, toName) {
    const from = registry.get(fromKey);
    if (!from) return;
    mutate(() => {
      const state = from.state;
      if (state.Type === "Choice") {
        if (typeof state.Default !== "string") state.Default = toName;
        else {
          const lang = langOf(state, areaRegistry.get(from.areaKey).lang);
          state.Choices = Array.isArray(state.Choices) ? state.Choices : [];
          state.Choices.push(lang === "JSONata" ? { Condition: "{% true %}", Next: toName } : { Variable: "$.ok", BooleanEquals: true, Next: toName });
        }
      } else if (flows(state.Type)) {
        delete state.End;
        state.Next = toName;
      }
    });
  }

  // ---- drawing -----------------------------------------------------------------------------------------------

  function render({ inspect = true } = {}) {
    registry = new Map();
    areaRegistry = new Map();
    const topLang = def.QueryLanguage === "JSONata" ? "JSONata" : "JSONPath";
    const measured = measure(def, "", topLang);
    const wrap = canvas.parentElement;
    const minW = Math.max(measured.w, (wrap && wrap.clientWidth) || 600);
    const minH = Math.max(measured.h, 420);
    const top = drawArea(measured, { w: minW, h: minH });
    top.classList.add("top-area");
    const arrow = svg("svg", { class: "defs", width: "0", height: "0" }, svg("defs", {},
      svg("marker", { id: "design-arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
        svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrow" }))));
    // The keyboard stays where it was: on the selected state (or arrow) drawn anew.
    const hadFocus = canvas.contains(document.activeElement);
    canvas.replaceChildren(arrow, top);
    if (hadFocus) {
      const again = selected ? nodeOf(selected) : null;
      if (again) again.focus({ preventScroll: true });
      else if (selectedEdge) focusEdge(selectedEdge.from, selectedEdge.edge);
      else {
        const area = [...canvas.querySelectorAll(".area")].find((el) => el.getAttribute("data-area") === selectedArea);
        (area && area.tabIndex === 0 ? area : canvas).focus({ preventScroll: true });
      }
    }
    undoButton.disabled = undo.length === 0;
    redoButton.disabled = redo.length === 0;
    showProblems();
    if (inspect) drawInspector();
  }

  // Lays out `area` (key `areaKey`): every state's box, containers with their areas inside, and the area's size.
  function measure(area, areaKey, lang) {
    areaRegistry.set(areaKey, { area, lang });
    const states = statesOf(area);
    const names = Object.keys(states);
    const boxes = new Map();
    for (const name of names) {
      const state = states[name];
      const key = stateKey(areaKey, name);
      const stateLang = langOf(state, lang);
      const inner = innerAreas(state).map(([suffix, innerArea]) => ({ key: key + suffix, m: measure(innerArea, key + suffix, stateLang) }));
      let w = NODE_W;
      let hgt = NODE_H;
      if (inner.length || state && (state.Type === "Parallel" || state.Type === "Map")) {
        w = Math.max(NODE_W, inner.reduce((sum, a) => sum + a.m.w, 0) + GAP_X / 2 * Math.max(0, inner.length - 1) + 24);
        hgt = CONTAINER_HEAD + Math.max(EMPTY_AREA.h, ...inner.map((a) => a.m.h)) + 12;
      }
      registry.set(key, { key, areaKey, area, name, state, lang: stateLang });
      boxes.set(name, { key, name, state, w, h: hgt, inner });
    }
    // Where states without a position go: in rows by their distance from StartAt (the rest below).
    const rank = new Map();
    const queue = typeof area.StartAt === "string" && states[area.StartAt] ? [area.StartAt] : [];
    if (queue.length) rank.set(queue[0], 0);
    while (queue.length) {
      const name = queue.shift();
      for (const edge of transitions(states[name])) {
        if (states[edge.to] && !rank.has(edge.to)) { rank.set(edge.to, rank.get(name) + 1); queue.push(edge.to); }
      }
    }
    const last = Math.max(-1, ...rank.values()) + 1;
    const rows = [];
    for (const name of names) {
      const r = rank.has(name) ? rank.get(name) : last;
      (rows[r] = rows[r] || []).push(boxes.get(name));
    }
    const rowWidths = rows.map((row) => (row || []).reduce((sum, b) => sum + b.w, 0) + GAP_X * Math.max(0, (row || []).length - 1));
    const inner = Math.max(0, ...rowWidths);
    let y = AREA_PAD;
    rows.forEach((row, r) => {
      if (!row) return;
      let x = AREA_PAD + (inner - rowWidths[r]) / 2;
      for (const box of row) {
        box.auto = { x: Math.round(x), y };
        x += box.w + GAP_X;
      }
      y += Math.max(...row.map((b) => b.h)) + GAP_Y;
    });
    // A container that grew pushes down what lay below it.
    for (const box of boxes.values()) {
      const before = sizes.get(box.key);
      const at = positions.get(box.key);
      if (before && at && box.h > before.h) {
        const grown = box.h - before.h;
        for (const other of boxes.values()) {
          const p = positions.get(other.key);
          if (other !== box && p && p.y >= at.y + before.h) positions.set(other.key, { x: p.x, y: p.y + grown });
        }
      }
    }
    let w = 0;
    let hgt = 0;
    for (const box of boxes.values()) {
      if (!positions.has(box.key)) positions.set(box.key, box.auto);
      box.at = positions.get(box.key);
      sizes.set(box.key, { w: box.w, h: box.h });
      w = Math.max(w, box.at.x + box.w + AREA_PAD);
      hgt = Math.max(hgt, box.at.y + box.h + AREA_PAD);
    }
    if (!boxes.size) { w = EMPTY_AREA.w; hgt = EMPTY_AREA.h; }
    return { key: areaKey, area, lang, boxes, w: Math.max(w, EMPTY_AREA.w), h: Math.max(hgt, EMPTY_AREA.h) };
  }

  function drawArea(m, min, label) {
    const w = Math.max(m.w, min ? min.w : 0);
    const hgt = Math.max(m.h, min ? min.h : 0);
    const el = h("div", { class: "area" + (selectedArea === m.key ? " selected" : ""), "data-area": m.key, style: "width:" + w + "px;height:" + hgt + "px" },
      label ? h("span", { class: "area-label" }, label) : null);
    el.addEventListener("pointerdown", (event) => {
      if (event.target !== el) return;
      // The area itself, not the container state it is in.
      event.stopPropagation();
      chooseArea(el, m.key);
    });
    if (!m.boxes.size) {
      el.append(h("span", { class: "area-empty" }, m.key === "" ? "Drag a state here to start" : "Drop a state here"));
      // An empty area takes the keyboard's focus, so that Enter on a palette item can add the state into it.
      el.tabIndex = 0;
      el.setAttribute("aria-label", "Empty " + (m.key === "" ? "canvas" : "branch") + ": choose a state in the palette to add it here");
      el.addEventListener("focus", () => chooseArea(el, m.key));
    }
    el.append(drawEdges(m, w, hgt));
    for (const box of m.boxes.values()) el.append(drawNode(box, m));
    return el;
  }

  // Area `key` (drawn as `el`) is where the palette adds next.
  function chooseArea(el, key) {
    if (selectedArea === key && !selected && !selectedEdge) return;
    selected = null; selectedEdge = null; selectedArea = key;
    for (const other of canvas.querySelectorAll(".area.selected, .node.selected")) other.classList.remove("selected");
    el.classList.add("selected");
    drawInspector();
  }

  function drawNode(box, m) {
    const state = box.state || {};
    const isStart = m.area.StartAt === box.name;
    const classes = ["node", "type-" + (state.Type || "unknown")];
    if (box.key === selected) classes.push("selected");
    if (isStart) classes.push("start");
    const el = h("div", {
      class: classes.join(" "), "data-name": box.name, "data-key": box.key, tabindex: "0", role: "button",
      "aria-label": box.name + ", " + (state.Type || "state") + (isStart ? ", start" : ""),
      style: "left:" + box.at.x + "px;top:" + box.at.y + "px;width:" + box.w + "px;height:" + box.h + "px",
    },
    h("span", { class: "node-name" }, box.name),
    h("span", { class: "node-sub" }, (isStart ? "▶ " : "") + (state.Type === "Task" ? callsOf(state) : state.Type || "?")),
    flows(state.Type) || state.Type === "Choice" ? h("span", { class: "port", title: "Drag to another state to connect", "data-port": box.key }) : null);
    el.addEventListener("pointerdown", (event) => startNodeDrag(event, box, el));
    el.addEventListener("focus", () => {
      if (selected === box.key) return;
      selected = box.key; selectedEdge = null; selectedArea = null;
      for (const other of canvas.querySelectorAll(".node.selected")) other.classList.remove("selected");
      el.classList.add("selected");
      drawInspector();
    });
    if (box.inner.length) {
      const row = h("div", { class: "areas", style: "top:" + CONTAINER_HEAD + "px;gap:" + GAP_X / 2 + "px" });
      box.inner.forEach((a, i) => row.append(drawArea(a.m, null, state.Type === "Parallel" ? "Branch " + (i + 1) : "Processor")));
      el.append(row);
    }
    return el;
  }

  function drawEdges(m, w, hgt) {
    const svgEl = document.createElementNS(SVG_NS, "svg");
    svgEl.setAttribute("class", "edges");
    svgEl.setAttribute("width", w);
    svgEl.setAttribute("height", hgt);
    const seen = new Map();
    for (const box of m.boxes.values()) {
      // A state's arrows leave from points spread along its bottom, in the order of its transitions.
      const out = transitions(box.state).filter((edge) => m.boxes.has(edge.to));
      out.forEach((edge, i) => {
        const to = m.boxes.get(edge.to);
        const pair = box.name + "\u0000" + edge.to;
        const nth = seen.get(pair) || 0;
        seen.set(pair, nth + 1);
        const a = box.at;
        const b = to.at;
        let d;
        let mid;
        if (b.y >= a.y + box.h) {
          const sx = a.x + box.w * (i + 1) / (out.length + 1);
          const sy = a.y + box.h;
          const tx = b.x + to.w / 2 + nth * 16;
          const ty = b.y;
          const bend = Math.max(20, (ty - sy) / 2);
          d = `M${sx},${sy} C${sx},${sy + bend} ${tx},${ty - bend} ${tx},${ty}`;
          mid = { x: (sx + tx) / 2, y: (sy + ty) / 2 };
        } else {
          const sx = a.x + box.w;
          const sy = a.y + box.h / 2 + nth * 10;
          const tx = b.x + to.w;
          const ty = b.y + to.h / 2 + nth * 10;
          const out = 50 + nth * 20;
          d = `M${sx},${sy} C${sx + out},${sy} ${tx + out},${ty} ${tx},${ty}`;
          mid = { x: (sx + tx) / 2 + out * 0.75, y: (sy + ty) / 2 };
        }
        const from = box.key;
        const chosen = selectedEdge && selectedEdge.from === from && selectedEdge.edge.kind === edge.kind && selectedEdge.edge.index === edge.index;
        const path = svg("path", { d, class: "edge " + edge.kind + (chosen ? " chosen" : ""), "marker-end": "url(#design-arrow)" });
        const drop = svg("circle", {
          cx: mid.x, cy: mid.y, r: 9, class: "edge-drop" + (chosen ? " chosen" : ""), tabindex: "0",
          "data-from": box.name, "data-to": edge.to, "data-kind": edge.kind, role: "button",
          "aria-label": "Insert between " + box.name + " and " + edge.to,
        }, svg("title", {}, "Drop a state here to insert it between " + box.name + " and " + edge.to));
        const choose = () => { selectedEdge = { from, edge }; selected = null; selectedArea = null; render(); focusEdge(from, edge); };
        drop.addEventListener("click", choose);
        drop.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); choose(); } });
        svgEl.append(path, drop);
        if (edge.label) svgEl.append(svg("text", { x: mid.x + 13, y: mid.y + 4, class: "edge-label " + edge.kind }, edge.label));
      });
    }
    return svgEl;
  }

  function focusEdge(from, edge) {
    const entry = registry.get(from);
    if (!entry) return;
    const selector = `.edge-drop[data-from="${CSS.escape(entry.name)}"][data-kind="${edge.kind}"]`;
    const found = [...canvas.querySelectorAll(selector)].find((c) => c.getAttribute("data-to") === edge.to);
    if (found) found.focus();
  }

  function nodeOf(key) {
    return [...canvas.querySelectorAll(".node")].find((el) => el.getAttribute("data-key") === key) || null;
  }

  // The problems of the last check, on their states and in the banner.
  function showProblems() {
    const byState = new Map();
    const general = [];
    for (const d of problems) {
      const key = stateOfPointer(d.path || "");
      if (key && registry.has(key)) (byState.get(key) || byState.set(key, []).get(key)).push(d);
      else if (d.severity !== "warning") general.push(d);
    }
    for (const el of canvas.querySelectorAll(".node")) {
      const found = byState.get(el.getAttribute("data-key"));
      el.classList.toggle("problem", !!(found && found.some((d) => d.severity !== "warning")));
      el.classList.toggle("warned", !!(found && found.every((d) => d.severity === "warning")));
      if (found) el.title = found.map((d) => d.code + ": " + d.message).join("\n");
      else el.removeAttribute("title");
    }
    banner.replaceChildren(...general.slice(0, 4).map((d) => h("div", { class: "design-problem" }, h("span", { class: "code" }, d.code), " ", d.message)));
    return byState;
  }

  // The state key a JSON pointer of a diagnostic falls in (the deepest state on its way), or null.
  function stateOfPointer(pointer) {
    const parts = pointer.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    let areaKey = "";
    let found = null;
    let i = 0;
    while (i + 1 < parts.length && parts[i] === "States") {
      found = stateKey(areaKey, parts[i + 1]);
      i += 2;
      if (parts[i] === "Branches" && parts[i + 2] === "States") { areaKey = found + "#" + parts[i + 1]; i += 2; }
      else if ((parts[i] === "ItemProcessor" || parts[i] === "Iterator") && parts[i + 1] === "States") { areaKey = found + "#p"; i += 1; }
      else break;
    }
    return found;
  }

  // ---- dragging ----------------------------------------------------------------------------------------------

  function startPaletteDrag(event, item) {
    if (event.button !== 0) return;
    event.preventDefault();
    const start = { x: event.clientX, y: event.clientY };
    let ghost = null;
    const move = (e) => {
      if (!ghost && Math.hypot(e.clientX - start.x, e.clientY - start.y) < 5) return;
      if (!ghost) { ghost = h("div", { class: "ghost" }, item.label); document.body.append(ghost); }
      ghost.style.left = e.clientX + 8 + "px";
      ghost.style.top = e.clientY + 8 + "px";
      hover(e.clientX, e.clientY);
    };
    const up = (e) => {
      removeEventListener("pointermove", move);
      removeEventListener("pointerup", up);
      hover(null);
      if (!ghost) {
        add(item, null);
        // The palette keeps the keyboard: Enter adds another.
        const again = palette.querySelector(`[data-kind="${item.kind}"]`);
        if (again) again.focus({ preventScroll: true });
        return;
      }
      ghost.remove();
      const where = dropTarget(e.clientX, e.clientY);
      if (where) add(item, where);
    };
    addEventListener("pointermove", move);
    addEventListener("pointerup", up);
  }

  // Where a palette item dropped at the viewport point goes: an arrow, a state (after it), a point of an area.
  function dropTarget(x, y) {
    const under = document.elementFromPoint(x, y);
    if (!under || !canvas.contains(under)) return null;
    const drop = under.closest(".edge-drop");
    if (drop) {
      const areaEl = drop.closest(".area");
      const areaKey = areaEl.getAttribute("data-area");
      const from = stateKey(areaKey, drop.getAttribute("data-from"));
      const entry = registry.get(from);
      const edge = transitions(entry.state).find((e) => e.kind === drop.getAttribute("data-kind") && e.to === drop.getAttribute("data-to"));
      return edge ? { edge: { from, edge } } : null;
    }
    // The nearer of the state and the area under the pointer: a state's box, or an area (inside a container too).
    const node = under.closest(".node");
    const areaEl = under.closest(".area");
    if (node && (!areaEl || areaEl.contains(node))) return { after: node.getAttribute("data-key") };
    if (!areaEl) return null;
    const rect = areaEl.getBoundingClientRect();
    return { area: areaEl.getAttribute("data-area"), x: x - rect.left, y: y - rect.top };
  }

  function hover(x, y) {
    for (const el of canvas.querySelectorAll(".drop-here")) el.classList.remove("drop-here");
    if (x === null) return;
    const under = document.elementFromPoint(x, y);
    if (!under || !canvas.contains(under)) return;
    const target = under.closest(".edge-drop") || under.closest(".node") || under.closest(".area");
    if (target) target.classList.add("drop-here");
  }

  function startNodeDrag(event, box, el) {
    if (event.button !== 0) return;
    if (event.target.closest(".node") !== el) return; // a state inside a container moves itself, not its container
    event.stopPropagation();
    if (event.target.classList.contains("port")) { startConnect(event, box); return; }
    const start = { x: event.clientX, y: event.clientY };
    const origin = { x: box.at.x, y: box.at.y };
    let moved = false;
    const move = (e) => {
      const dx = e.clientX - start.x;
      const dy = e.clientY - start.y;
      if (!moved && Math.hypot(dx, dy) < 4) return;
      moved = true;
      el.classList.add("moving");
      el.style.left = Math.max(0, origin.x + dx) + "px";
      el.style.top = Math.max(0, origin.y + dy) + "px";
    };
    const up = (e) => {
      removeEventListener("pointermove", move);
      removeEventListener("pointerup", up);
      if (!moved) {
        selected = box.key; selectedEdge = null; selectedArea = null;
        render();
        const again = nodeOf(box.key);
        if (again) again.focus({ preventScroll: true });
        return;
      }
      const at = { x: Math.round(Math.max(0, origin.x + e.clientX - start.x)), y: Math.round(Math.max(0, origin.y + e.clientY - start.y)) };
      mutate(() => { positions.set(box.key, at); selected = box.key; });
    };
    addEventListener("pointermove", move);
    addEventListener("pointerup", up);
  }

  function startConnect(event, box) {
    event.preventDefault();
    const line = h("div", { class: "connect-line" });
    document.body.append(line);
    const start = { x: event.clientX, y: event.clientY };
    const move = (e) => {
      const dx = e.clientX - start.x;
      const dy = e.clientY - start.y;
      line.style.left = start.x + "px";
      line.style.top = start.y + "px";
      line.style.width = Math.hypot(dx, dy) + "px";
      line.style.transform = "rotate(" + Math.atan2(dy, dx) + "rad)";
      hover(e.clientX, e.clientY);
    };
    const up = (e) => {
      removeEventListener("pointermove", move);
      removeEventListener("pointerup", up);
      line.remove();
      hover(null);
      const under = document.elementFromPoint(e.clientX, e.clientY);
      const node = under && under.closest(".node");
      if (!node) return;
      const target = registry.get(node.getAttribute("data-key"));
      if (target && target.areaKey === box.key.slice(0, box.key.lastIndexOf("\u0001")) && target.key !== box.key) connect(box.key, target.name);
    };
    addEventListener("pointermove", move);
    addEventListener("pointerup", up);
  }

  // ---- the keyboard ------------------------------------------------------------------------------------------

  function onKey(event) {
    const typing = event.target.closest("input, textarea, select");
    const mod = event.ctrlKey || event.metaKey;
    if (mod && !typing && (event.key === "z" || event.key === "Z")) {
      event.preventDefault();
      if (event.shiftKey) redoStep(); else undoStep();
      return;
    }
    if (mod && !typing && event.key === "y") { event.preventDefault(); redoStep(); return; }
    const node = event.target.closest && event.target.closest(".node");
    if (!node || typing || node !== event.target) return;
    const key = node.getAttribute("data-key");
    if (event.key === "Delete" || event.key === "Backspace") {
      event.preventDefault();
      remove(key);
      canvas.focus({ preventScroll: true });
    } else if (event.key.startsWith("Arrow")) {
      event.preventDefault();
      const step = event.shiftKey ? 50 : 10;
      const at = positions.get(key) || { x: 0, y: 0 };
      const dx = event.key === "ArrowLeft" ? -step : event.key === "ArrowRight" ? step : 0;
      const dy = event.key === "ArrowUp" ? -step : event.key === "ArrowDown" ? step : 0;
      mutate(() => { positions.set(key, { x: Math.max(0, at.x + dx), y: Math.max(0, at.y + dy) }); selected = key; });
      const again = nodeOf(key);
      if (again) again.focus({ preventScroll: true });
    } else if (event.key === "Enter") {
      event.preventDefault();
      const first = inspector.querySelector("input, select, textarea");
      if (first) first.focus();
    } else if (event.key === "Escape") {
      selected = null;
      render();
    }
  }

  // ---- the inspector -----------------------------------------------------------------------------------------

  function help(field) {
    return FIELD_DOCS[field] ? h("span", { class: "doc" }, FIELD_DOCS[field]) : null;
  }

  // A labelled input for `field` whose `change` runs `apply(text)`; what apply throws is shown under it.
  function row(field, label, control, apply, docKey) {
    const problem = h("span", { class: "field-error" });
    control.setAttribute("data-field", field);
    control.addEventListener("change", () => {
      problem.textContent = "";
      try { apply(control.value); } catch (error) { problem.textContent = error.message; }
    });
    return h("label", { class: "field" }, h("span", { class: "field-name" }, label), control, help(docKey || field), problem);
  }

  function textInput(value, attrs) {
    const input = h("input", Object.assign({ type: "text" }, attrs || {}));
    input.value = value === undefined || value === null ? "" : String(value);
    return input;
  }

  function jsonArea(value) {
    const area = h("textarea", { spellcheck: "false", rows: "4" });
    area.value = value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value, null, 2);
    return area;
  }

  // The value a JSON field's text means: JSON, or (for JSONata) a {% expression %} string; empty removes the field.
  function parseField(text, field) {
    const trimmed = text.trim();
    if (trimmed === "") return undefined;
    if (/^\{%[\s\S]*%\}$/.test(trimmed)) return trimmed;
    try { return JSON.parse(trimmed); } catch (error) {
      if (field === "Items" || field === "Output") return trimmed;
      throw new Error("not JSON: " + error.message);
    }
  }

  function setField(state, field, value) {
    if (value === undefined || value === "") delete state[field];
    else state[field] = value;
  }

  // A select of the states of `area` (and `extra` options first) whose value is `current`.
  function stateSelect(area, current, extra, exclude) {
    const select = h("select", {});
    for (const [value, label] of extra) select.append(h("option", { value }, label));
    for (const name of Object.keys(statesOf(area))) if (name !== exclude) select.append(h("option", { value: name }, name));
    select.value = current;
    if (select.value !== current) select.append(h("option", { value: current, selected: true }, current + " (missing)"));
    return select;
  }

  function drawInspector() {
    const entry = selected && registry.get(selected);
    if (!entry) { drawMachineInspector(); return; }
    const { state, area, name, lang } = entry;
    const key = entry.key;
    const current = () => registry.get(selected) || entry;
    const edit = (change) => mutate(() => change(current().state), { inspect: false });
    const editRedraw = (change) => mutate(() => change(current().state));
    const parts = [h("h3", {}, state.Type || "State", " ", h("span", { class: "muted" }, lang))];

    parts.push(row("Name", "Name", textInput(name, { id: "field-name" }), (text) => rename(selected, text.trim())));
    parts.push(row("Comment", "Comment", textInput(state.Comment), (text) => edit((s) => setField(s, "Comment", text))));
    const langSelect = h("select", {}, h("option", { value: "" }, "inherit"), h("option", { value: "JSONPath" }, "JSONPath"), h("option", { value: "JSONata" }, "JSONata"));
    langSelect.value = state.QueryLanguage || "";
    parts.push(row("QueryLanguage", "Query language", langSelect, (value) => editRedraw((s) => setField(s, "QueryLanguage", value))));

    if (state.Type === "Task") parts.push(...resourceFields(state, editRedraw));

    for (const field of fieldsOf(state.Type, lang)) {
      const value = state[field];
      if (JSON_FIELDS.has(field)) {
        parts.push(row(field, field, jsonArea(value), (text) => edit((s) => setField(s, field, parseField(text, field)))));
      } else if (NUMBER_FIELDS.has(field) || (field === "Seconds" && typeof value !== "string")) {
        parts.push(row(field, field, textInput(value, { inputmode: "numeric" }), (text) => edit((s) => {
          const t = text.trim();
          if (t === "") { delete s[field]; return; }
          if (/^\{%[\s\S]*%\}$/.test(t)) { s[field] = t; return; }
          const n = Number(t);
          if (!Number.isFinite(n)) throw new Error("not a number");
          s[field] = n;
        })));
      } else {
        parts.push(row(field, field, textInput(value), (text) => edit((s) => setField(s, field, text))));
      }
    }

    if (state.Type === "Choice") parts.push(...choiceFields(state, area, lang, editRedraw, edit));
    if (state.Type === "Parallel") {
      parts.push(h("div", { class: "field" }, h("span", { class: "field-name" }, "Branches: " + (state.Branches || []).length),
        h("div", { class: "row-actions" },
          h("button", { class: "secondary small", id: "add-branch", onclick: () => editRedraw((s) => { s.Branches = s.Branches || []; s.Branches.push({ StartAt: "", States: {} }); }) }, "Add branch"),
          (state.Branches || []).length > 1 ? h("button", { class: "secondary small", id: "remove-branch", onclick: () => editRedraw((s) => { s.Branches.pop(); }) }, "Remove last branch") : null)));
    }
    if (state.Type === "Map") {
      const processor = state.ItemProcessor || state.Iterator || {};
      const mode = h("select", {}, h("option", { value: "INLINE" }, "INLINE"), h("option", { value: "DISTRIBUTED" }, "DISTRIBUTED"));
      mode.value = (processor.ProcessorConfig && processor.ProcessorConfig.Mode) || "INLINE";
      parts.push(row("Mode", "Processor mode", mode, (value) => editRedraw((s) => {
        const p = s.ItemProcessor || s.Iterator || (s.ItemProcessor = { StartAt: "", States: {} });
        p.ProcessorConfig = Object.assign({}, p.ProcessorConfig, { Mode: value });
        if (value === "DISTRIBUTED" && !p.ProcessorConfig.ExecutionType) p.ProcessorConfig.ExecutionType = "STANDARD";
        if (value === "INLINE") delete p.ProcessorConfig.ExecutionType;
      })));
    }
    if (flows(state.Type)) {
      const then = stateSelect(area, typeof state.Next === "string" ? state.Next : "", [["", "End (no next state)"]], name);
      then.id = "field-next";
      parts.push(row("Next", "Next state", then, (value) => editRedraw((s) => {
        if (value) { s.Next = value; delete s.End; } else { delete s.Next; s.End = true; }
      })));
    }
    if (["Task", "Parallel", "Map"].includes(state.Type)) {
      parts.push(...retryFields(state, editRedraw, edit));
      parts.push(...catchFields(state, area, lang, name, editRedraw, edit));
    }
    parts.push(h("div", { class: "row-actions" }, h("button", { class: "secondary small danger", id: "delete-state", onclick: () => remove(key) }, "Delete state")));
    const byState = showProblems();
    const mine = byState.get(key) || [];
    if (mine.length) {
      parts.splice(1, 0, h("ul", { class: "problems", id: "state-problems" },
        ...mine.map((d) => h("li", { class: d.severity === "warning" ? "warning" : null }, h("span", { class: "code" }, d.code), " ", d.message, d.path ? h("span", { class: "muted" }, " (" + d.path + ")") : null))));
    }
    replaceInspector(parts);
  }

  // Fills the inspector with `parts`, keeping the keyboard focus on the same control if it had it (a select changed
  // with the arrow keys redraws the form under the user's hands).
  function replaceInspector(parts) {
    const controls = () => [...inspector.querySelectorAll("input, select, textarea, button")];
    const had = inspector.contains(document.activeElement) ? controls().indexOf(document.activeElement) : -1;
    const tag = had >= 0 ? document.activeElement.tagName : null;
    inspector.replaceChildren(...parts);
    if (had >= 0) {
      const again = controls()[had];
      if (again && again.tagName === tag) again.focus({ preventScroll: true });
    }
  }

  function resourceFields(state, editRedraw) {
    const out = [];
    const resource = typeof state.Resource === "string" ? state.Resource : "";
    const sdk = resource.match(/^(arn:[^:]+:states:::aws-sdk:)([^:]+):([^.]+)(\.waitForTaskToken)?$/);
    const resourceInput = textInput(resource, { list: "design-resources", id: "field-resource" });
    out.push(row("Resource", "Resource", resourceInput, (text) => editRedraw((s) => { s.Resource = text.trim(); })));
    if (sdk) {
      out.push(row("Service", "Service", textInput(sdk[2], { id: "field-service" }), (text) => editRedraw((s) => {
        if (!/^[a-z0-9-]+$/.test(text.trim())) throw new Error("a service name is lower case letters, digits and -");
        s.Resource = sdk[1] + text.trim() + ":" + sdk[3] + (sdk[4] || "");
      })));
      out.push(row("Action", "Action", textInput(sdk[3], { id: "field-action" }), (text) => editRedraw((s) => {
        if (!/^[a-z][A-Za-z0-9]*$/.test(text.trim())) throw new Error("an action is camel case, e.g. getItem");
        s.Resource = sdk[1] + sdk[2] + ":" + text.trim() + (sdk[4] || "");
      })));
    }
    if (/^arn:[^:]+:states:::/.test(resource)) {
      const base = resource.replace(/\.(sync(:2)?|waitForTaskToken)$/, "");
      const suffix = resource.slice(base.length);
      const pattern = h("select", { id: "field-pattern" },
        h("option", { value: "" }, "Request response"), h("option", { value: ".sync" }, "Run a job (.sync)"),
        h("option", { value: ".sync:2" }, "Run a job (.sync:2)"), h("option", { value: ".waitForTaskToken" }, "Wait for callback (.waitForTaskToken)"));
      pattern.value = suffix;
      out.push(row("Pattern", "Integration pattern", pattern, (value) => editRedraw((s) => { s.Resource = base + value; })));
    }
    return out;
  }

  function choiceFields(state, area, lang, editRedraw, edit) {
    const out = [h("h4", {}, "Rules")];
    const rules = Array.isArray(state.Choices) ? state.Choices : [];
    rules.forEach((rule, i) => {
      const card = h("div", { class: "sub-card", "data-rule": String(i) }, h("div", { class: "sub-title" }, "Rule " + (i + 1)));
      if (lang === "JSONata") {
        card.append(row("Condition", "Condition", textInput(rule.Condition, { "data-rule-field": "condition" }), (text) => edit((s) => { s.Choices[i].Condition = text.trim(); })));
      } else {
        const { Next: _next, ...comparison } = rule;
        card.append(row("Rule", "Comparison", jsonArea(comparison), (text) => edit((s) => {
          const parsed = parseField(text, "Rule");
          if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("a rule is a JSON object");
          s.Choices[i] = Object.assign(parsed, { Next: s.Choices[i].Next });
        })));
      }
      const next = stateSelect(area, typeof rule.Next === "string" ? rule.Next : "", [["", "(choose a state)"]], null);
      next.setAttribute("data-rule-field", "next");
      card.append(row("Next", "Then go to", next, (value) => editRedraw((s) => { s.Choices[i].Next = value; })));
      card.append(h("button", { class: "secondary small", "data-remove-rule": String(i), onclick: () => editRedraw((s) => { s.Choices.splice(i, 1); }) }, "Remove rule"));
      out.push(card);
    });
    out.push(h("button", { class: "secondary small", id: "add-rule", onclick: () => editRedraw((s) => {
      s.Choices = Array.isArray(s.Choices) ? s.Choices : [];
      s.Choices.push(lang === "JSONata" ? { Condition: "{% true %}", Next: "" } : { Variable: "$.ok", BooleanEquals: true, Next: "" });
    }) }, "Add rule"));
    const fallback = stateSelect(area, typeof state.Default === "string" ? state.Default : "", [["", "(none: fail with States.NoChoiceMatched)"]], null);
    fallback.id = "field-default";
    out.push(row("Default", "Default", fallback, (value) => editRedraw((s) => setField(s, "Default", value))));
    return out;
  }

  function errorList(text) {
    const list = text.split(",").map((e) => e.trim()).filter(Boolean);
    if (!list.length) throw new Error("name at least one error (States.ALL for every error)");
    return list;
  }

  function retryFields(state, editRedraw, edit) {
    const out = [h("h4", {}, "Retry")];
    (Array.isArray(state.Retry) ? state.Retry : []).forEach((retrier, i) => {
      const card = h("div", { class: "sub-card", "data-retrier": String(i) }, h("div", { class: "sub-title" }, "Retrier " + (i + 1)));
      card.append(row("ErrorEquals", "Errors", textInput((retrier.ErrorEquals || []).join(", "), { "data-retry-field": "errors" }), (text) => edit((s) => { s.Retry[i].ErrorEquals = errorList(text); })));
      for (const field of ["IntervalSeconds", "MaxAttempts", "BackoffRate"]) {
        card.append(row(field, field, textInput(retrier[field], { "data-retry-field": field }), (text) => edit((s) => {
          if (text.trim() === "") { delete s.Retry[i][field]; return; }
          const n = Number(text);
          if (!Number.isFinite(n)) throw new Error("not a number");
          s.Retry[i][field] = n;
        })));
      }
      card.append(h("button", { class: "secondary small", onclick: () => editRedraw((s) => { s.Retry.splice(i, 1); if (!s.Retry.length) delete s.Retry; }) }, "Remove retrier"));
      out.push(card);
    });
    out.push(h("button", { class: "secondary small", id: "add-retrier", onclick: () => editRedraw((s) => {
      s.Retry = Array.isArray(s.Retry) ? s.Retry : [];
      s.Retry.push({ ErrorEquals: ["States.TaskFailed"], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 });
    }) }, "Add retrier"));
    return out;
  }

  function catchFields(state, area, lang, name, editRedraw, edit) {
    const out = [h("h4", {}, "Catch")];
    (Array.isArray(state.Catch) ? state.Catch : []).forEach((catcher, i) => {
      const card = h("div", { class: "sub-card", "data-catcher": String(i) }, h("div", { class: "sub-title" }, "Catcher " + (i + 1)));
      card.append(row("ErrorEquals", "Errors", textInput((catcher.ErrorEquals || []).join(", "), { "data-catch-field": "errors" }), (text) => edit((s) => { s.Catch[i].ErrorEquals = errorList(text); })));
      const next = stateSelect(area, typeof catcher.Next === "string" ? catcher.Next : "", [["", "(choose a state)"]], name);
      next.setAttribute("data-catch-field", "next");
      card.append(row("Next", "Then go to", next, (value) => editRedraw((s) => { s.Catch[i].Next = value; }), "CatchNext"));
      const field = lang === "JSONata" ? "Output" : "ResultPath";
      card.append(row(field, field, textInput(catcher[field], { "data-catch-field": field }), (text) => edit((s) => setField(s.Catch[i], field, text.trim()))));
      card.append(h("button", { class: "secondary small", onclick: () => editRedraw((s) => { s.Catch.splice(i, 1); if (!s.Catch.length) delete s.Catch; }) }, "Remove catcher"));
      out.push(card);
    });
    out.push(h("button", { class: "secondary small", id: "add-catcher", onclick: () => editRedraw((s) => {
      s.Catch = Array.isArray(s.Catch) ? s.Catch : [];
      const first = Object.keys(statesOf(area)).find((other) => other !== name) || "";
      s.Catch.push(lang === "JSONata" ? { ErrorEquals: ["States.ALL"], Next: first } : { ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: first });
    }) }, "Add catcher"));
    return out;
  }

  // With no state selected: the definition's own fields.
  function drawMachineInspector() {
    const edit = (change) => mutate(() => change(def), { inspect: false });
    const lang = h("select", {}, h("option", { value: "" }, "JSONPath (default)"), h("option", { value: "JSONata" }, "JSONata"));
    lang.value = def.QueryLanguage === "JSONata" ? "JSONata" : "";
    lang.id = "field-query-language";
    const start = stateSelect(def, typeof def.StartAt === "string" ? def.StartAt : "", [["", "(none yet)"]], null);
    start.id = "field-start-at";
    const parts = [
      h("h3", {}, "State machine"),
      h("p", { class: "muted" }, "Select a state to edit it; with none selected, these are the definition's own fields."),
      row("Comment", "Comment", textInput(def.Comment, { id: "field-comment" }), (text) => edit((d) => setField(d, "Comment", text))),
      row("StartAt", "Start at", start, (value) => mutate(() => { def.StartAt = value; })),
      row("QueryLanguage", "Query language", lang, (value) => mutate(() => setField(def, "QueryLanguage", value)), "TopQueryLanguage"),
      row("TimeoutSeconds", "TimeoutSeconds", textInput(def.TimeoutSeconds), (text) => edit((d) => {
        if (text.trim() === "") { delete d.TimeoutSeconds; return; }
        const n = Number(text);
        if (!Number.isInteger(n) || n <= 0) throw new Error("a positive whole number of seconds");
        d.TimeoutSeconds = n;
      }), "TopTimeout"),
    ];
    replaceInspector(parts);
  }

  const resources = h("datalist", { id: "design-resources" },
    ...["arn:aws:states:::lambda:invoke", "arn:aws:states:::lambda:invoke.waitForTaskToken", "arn:aws:states:::sqs:sendMessage",
      "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "arn:aws:states:::sns:publish", "arn:aws:states:::dynamodb:getItem",
      "arn:aws:states:::dynamodb:putItem", "arn:aws:states:::dynamodb:updateItem", "arn:aws:states:::dynamodb:deleteItem",
      "arn:aws:states:::ecs:runTask.sync", "arn:aws:states:::batch:submitJob.sync", "arn:aws:states:::glue:startJobRun.sync",
      "arn:aws:states:::http:invoke", "arn:aws:states:::states:startExecution.sync:2", "arn:aws:states:::events:putEvents",
      "arn:aws:states:::aws-sdk:s3:listBuckets"].map((value) => h("option", { value })));
  element.append(resources);

  return {
    element,
    // Draws the canvas (once the element is in the page, so that it knows its width).
    show() { render(); },
    // A definition from the code view: drawn, with the positions of the states it still has.
    load(value) {
      if (!value || typeof value !== "object" || Array.isArray(value)) return;
      if (JSON.stringify(value) === JSON.stringify(def)) return;
      undo.push(snapshot());
      redo.length = 0;
      def = value;
      render();
      if (selected && !registry.has(selected)) { selected = null; drawInspector(); }
      keepPositions();
    },
    // The last check's diagnostics, drawn on their states.
    problems(diagnostics) {
      problems = diagnostics || [];
      showProblems();
      const entry = selected && registry.get(selected);
      const list = inspector.querySelector("#state-problems");
      if (entry) {
        const mine = problems.filter((d) => stateOfPointer(d.path || "") === selected);
        const fresh = mine.length ? h("ul", { class: "problems", id: "state-problems" },
          ...mine.map((d) => h("li", { class: d.severity === "warning" ? "warning" : null }, h("span", { class: "code" }, d.code), " ", d.message))) : null;
        if (list && fresh) list.replaceWith(fresh);
        else if (list) list.remove();
        else if (fresh && inspector.firstChild) inspector.firstChild.after(fresh);
      }
    },
    // Keeps the positions under `key` too (a machine just created from this design).
    keepAs(key) {
      try { localStorage.setItem(key, JSON.stringify([...positions])); } catch { /* positions last this page */ }
    },
  };
}
