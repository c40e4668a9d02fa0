#!/usr/bin/env python3
"""The rest of the API of `baton serve`, with boto3 and --endpoint-url.

Starts `baton serve` on a free 127.0.0.1 port over a data directory, with local functions, then checks, each step
with its own assertion messages:
  1. an activity worker that sends heartbeats completes its task;
  2. SendTaskFailure through a task token handed to a local function fails the task with that error;
  3. an execution whose local function failed is redriven and succeeds;
  4. an HTTP Task calls a local endpoint (an http.server this script runs on 127.0.0.1, port 0);
  5. `states:startExecution.sync:2` runs a child execution and returns its output as JSON;
  6. an alias routes executions to a published version, which keeps its definition after an update, and
     ListExecutions of the version or the alias lists the executions started with it;
  7. tags round-trip on a state machine and an activity;
  8. ValidateStateMachineDefinition answers OK, and FAIL with diagnostics;
  9. TestState answers a Pass state and a Task with a mocked result;
 10. `aws stepfunctions list-state-machines --endpoint-url ...` lists the machines (skipped with a note when the
     `aws` CLI is missing).
Exits non-zero on the first failure; the server and the HTTP endpoint are always stopped.

    python3 crates/cli/tests/boto3/rest_of_api.py --baton target/debug/baton [--data-dir DIR]

`cargo test -p cli --test it boto3` runs it when Python has boto3 (CI pins boto3==1.43.11).
"""

import argparse
import http.server
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from baton_server import Server, expect_error

ROLE = "arn:aws:iam::123456789012:role/baton"
ACCOUNT = "arn:aws:states:us-east-1:123456789012"


class Orders(http.server.BaseHTTPRequestHandler):
    """The local endpoint of the HTTP Task: `GET /orders/<id>` answers JSON and remembers the request line."""

    requests = []

    def do_GET(self):
        Orders.requests.append(self.requestline)
        match = re.fullmatch(r"/orders/(\d+)(\?.*)?", self.path)
        status, body = (200, {"order": int(match.group(1)), "status": "shipped"}) if match else (404, {"error": "no"})
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format, *args):
        sys.stderr.write("[orders endpoint] " + format % args + "\n")


def history_types(sfn, arn):
    events, token = [], None
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=100, **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            break
    assert [e["id"] for e in events] == list(range(1, len(events) + 1)), f"{arn}: history ids are not 1..n"
    return [e["type"] for e in events]


def wait_ended(sfn, arn, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        assert time.monotonic() < deadline, f"{arn} still RUNNING after {timeout} s"
        time.sleep(0.1)


def create(sfn, name, definition, **kwargs):
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE, **kwargs)


def succeeded(sfn, arn, what):
    done = wait_ended(sfn, arn)
    assert done["status"] == "SUCCEEDED", f"{what}: expected SUCCEEDED, got {done['status']}: {done.get('cause')}"
    return done


def activity_worker_with_heartbeats(sfn):
    activity = sfn.create_activity(name="packer", tags=[{"key": "team", "value": "warehouse"}])["activityArn"]
    assert activity == f"{ACCOUNT}:activity:packer", activity
    again = sfn.create_activity(name="packer")["activityArn"]
    assert again == activity, "CreateActivity is idempotent on the name"
    assert sfn.describe_activity(activityArn=activity)["name"] == "packer"
    listed = [a["activityArn"] for a in sfn.list_activities()["activities"]]
    assert activity in listed, f"ListActivities: {listed}"
    definition = {
        "StartAt": "Pack",
        "States": {"Pack": {"Type": "Task", "Resource": activity, "HeartbeatSeconds": 2, "TimeoutSeconds": 60, "End": True}},
    }
    machine = create(sfn, "packing", definition)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, name="parcel", input=json.dumps({"parcel": 7}))["executionArn"]
    task = sfn.get_activity_task(activityArn=activity, workerName="worker-1")
    token = task.get("taskToken")
    assert token, f"GetActivityTask returned no task: {task}"
    assert json.loads(task["input"]) == {"parcel": 7}, task["input"]
    # The work takes longer than HeartbeatSeconds; the heartbeats keep the task alive.
    for _ in range(3):
        time.sleep(1)
        sfn.send_task_heartbeat(taskToken=token)
    sfn.send_task_success(taskToken=token, output=json.dumps({"packed": True}))
    done = succeeded(sfn, arn, "the activity execution")
    assert json.loads(done["output"]) == {"packed": True}, done["output"]
    types = history_types(sfn, arn)
    expected = ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]
    assert [t for t in types if t.startswith("Activity")] == expected, f"activity events: {types}"
    expect_error("InvalidToken", sfn.send_task_success, taskToken=token, output="{}")
    return activity


def callback_token_fails_the_task(sfn, token_file):
    definition = {
        "StartAt": "HandOff",
        "States": {
            "HandOff": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "hand_off", "Payload": {"token.$": "$$.Task.Token", "order": 9}},
                "End": True,
            }
        },
    }
    machine = create(sfn, "callback", definition)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, name="handed")["executionArn"]
    deadline = time.monotonic() + 10
    while True:
        try:
            with open(token_file) as file:
                handed = json.load(file)
            break
        except (OSError, ValueError):
            assert time.monotonic() < deadline, "the local function never received the task token"
            time.sleep(0.05)
    assert handed.get("order") == 9, f"payload handed to the function: {handed}"
    sfn.send_task_failure(taskToken=handed["token"], error="Handoff.Rejected", cause="no room")
    done = wait_ended(sfn, arn)
    assert done["status"] == "FAILED", f"callback execution: {done['status']}"
    assert (done.get("error"), done.get("cause")) == ("Handoff.Rejected", "no room"), done
    assert "TaskSubmitted" in history_types(sfn, arn), "the callback task was submitted"
    expect_error("TaskDoesNotExist", sfn.send_task_heartbeat, taskToken="0123456789abcdef")


def failed_execution_is_redriven(sfn):
    definition = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Result": "prepared", "ResultPath": "$.prep", "Next": "Call"},
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "flaky", "Payload.$": "$"},
                "ResultSelector": {"payload.$": "$.Payload", "redrives.$": "$$.Execution.RedriveCount"},
                "ResultPath": "$.call",
                "End": True,
            },
        },
    }
    machine = create(sfn, "flaky", definition)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, name="first", input=json.dumps({"in": 1}))["executionArn"]
    failed = wait_ended(sfn, arn)
    assert (failed["status"], failed.get("error")) == ("FAILED", "Flaky"), f"first run: {failed}"
    sfn.redrive_execution(executionArn=arn)
    done = succeeded(sfn, arn, "the redriven execution")
    expected = {"in": 1, "prep": "prepared", "call": {"payload": {"fixed": True}, "redrives": 1}}
    assert json.loads(done["output"]) == expected, done["output"]
    types = history_types(sfn, arn)
    assert "ExecutionRedriven" in types, types
    assert types.count("PassStateEntered") == 1, f"the Pass state ran again: {types}"
    expect_error("ExecutionNotRedrivable", sfn.redrive_execution, executionArn=arn)


def http_task_calls_a_local_endpoint(sfn, endpoint):
    definition = {
        "StartAt": "Fetch",
        "States": {
            "Fetch": {
                "Type": "Task",
                "Resource": "arn:aws:states:::http:invoke",
                "Parameters": {
                    "ApiEndpoint.$": "States.Format('" + endpoint + "/orders/{}', $.order)",
                    "Method": "GET",
                    "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/shop/1"},
                    "QueryParameters": {"fields": "status"},
                },
                "ResultSelector": {"status.$": "$.StatusCode", "body.$": "$.ResponseBody"},
                "End": True,
            }
        },
    }
    machine = create(sfn, "http", definition)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"order": 7}))["executionArn"]
    done = succeeded(sfn, arn, "the HTTP Task")
    output = json.loads(done["output"])
    assert output == {"status": 200, "body": {"order": 7, "status": "shipped"}}, output
    assert Orders.requests == ["GET /orders/7?fields=status HTTP/1.1"], f"requests the endpoint got: {Orders.requests}"


def sync2_runs_a_child(sfn):
    child = {
        "StartAt": "Double",
        "States": {"Double": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": True}},
    }
    child_arn = create(sfn, "child", child)["stateMachineArn"]
    parent = {
        "StartAt": "Run",
        "States": {
            "Run": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child_arn, "Input": {"n.$": "$.n"}},
                "ResultSelector": {"output.$": "$.Output", "status.$": "$.Status"},
                "End": True,
            }
        },
    }
    parent_arn = create(sfn, "parent", parent)["stateMachineArn"]
    arn = sfn.start_execution(stateMachineArn=parent_arn, input=json.dumps({"n": 21}))["executionArn"]
    done = succeeded(sfn, arn, "the parent of a .sync:2 child")
    output = json.loads(done["output"])
    assert output == {"output": {"doubled": 42}, "status": "SUCCEEDED"}, output
    children = sfn.list_executions(stateMachineArn=child_arn)["executions"]
    assert [c["status"] for c in children] == ["SUCCEEDED"], f"child executions: {children}"


def alias_routes_to_a_version(sfn):
    def passing(result):
        return {"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": True}}}

    created = create(sfn, "versioned", passing("v1"), publish=True, versionDescription="the first")
    machine, version = created["stateMachineArn"], created.get("stateMachineVersionArn")
    assert version == machine + ":1", f"published version: {version}"
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": version, "weight": 100}]
    )["stateMachineAliasArn"]
    assert alias == machine + ":live", alias
    sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(passing("v2")))
    arn = sfn.start_execution(stateMachineArn=alias, name="through-alias")["executionArn"]
    done = succeeded(sfn, arn, "the execution through an alias")
    assert done["output"] == '"v1"', f"the alias ran {done['output']}, not the published version's definition"
    assert (done.get("stateMachineVersionArn"), done.get("stateMachineAliasArn")) == (version, alias), done
    direct = sfn.start_execution(stateMachineArn=machine, name="direct")["executionArn"]
    succeeded(sfn, direct, "the execution of the machine itself")
    listed = {
        target: [e["name"] for e in sfn.list_executions(stateMachineArn=target)["executions"]]
        for target in (machine, version, alias)
    }
    assert listed == {machine: ["direct", "through-alias"], version: ["through-alias"], alias: ["through-alias"]}, listed
    expect_error("StateMachineDoesNotExist", sfn.list_executions, stateMachineArn=machine + ":9")
    expect_error("ResourceNotFound", sfn.list_executions, stateMachineArn=machine + ":nosuch")
    described = sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    assert described["routingConfiguration"] == [{"stateMachineVersionArn": version, "weight": 100}], described
    versions = [v["stateMachineVersionArn"] for v in sfn.list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"]]
    assert versions == [version], versions
    expect_error("ConflictException", sfn.delete_state_machine_version, stateMachineVersionArn=version)


def tags_round_trip(sfn, activity):
    machine = create(sfn, "tagged", {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})["stateMachineArn"]
    for arn, before in [(machine, []), (activity, [{"key": "team", "value": "warehouse"}])]:
        assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == before, f"tags of {arn} before"
        sfn.tag_resource(resourceArn=arn, tags=[{"key": "env", "value": "test"}, {"key": "team", "value": "ops"}])
        tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn)["tags"]}
        assert tags == {"env": "test", "team": "ops"}, f"tags of {arn} after TagResource: {tags}"
        sfn.untag_resource(resourceArn=arn, tagKeys=["env", "absent"])
        tags = sfn.list_tags_for_resource(resourceArn=arn)["tags"]
        assert tags == [{"key": "team", "value": "ops"}], f"tags of {arn} after UntagResource: {tags}"
    expect_error("ResourceNotFound", sfn.list_tags_for_resource, resourceArn=f"{ACCOUNT}:stateMachine:nobody")


def validate_definitions(sfn):
    good = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    ok = sfn.validate_state_machine_definition(definition=json.dumps(good))
    assert (ok["result"], ok["diagnostics"]) == ("OK", []), f"a valid definition: {ok}"
    bad = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Nowhere"}}}
    fail = sfn.validate_state_machine_definition(definition=json.dumps(bad))
    assert fail["result"] == "FAIL", f"an invalid definition: {fail}"
    diagnostics = fail["diagnostics"]
    assert diagnostics, "FAIL comes with diagnostics"
    assert all(d["severity"] == "ERROR" and d["code"] and d["message"] for d in diagnostics), diagnostics
    targets = [d for d in diagnostics if d["code"] == "MISSING_TRANSITION_TARGET"]
    assert targets and targets[0].get("location") == "/States/P/Next", f"the missing target's diagnostic: {diagnostics}"


def test_state_runs_one_state(sfn):
    passed = sfn.test_state(
        definition=json.dumps({"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"}, "Next": "After"}),
        roleArn=ROLE,
        input=json.dumps({"a": 2, "b": 3}),
    )
    assert passed["status"] == "SUCCEEDED", f"TestState of a Pass: {passed}"
    assert (json.loads(passed["output"]), passed.get("nextState")) == ({"sum": 5}, "After"), passed
    task = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "nowhere", "Payload.$": "$"},
        "ResultSelector": {"answer.$": "$.Payload.answer"},
        "End": True,
    }
    mocked = sfn.test_state(
        definition=json.dumps(task),
        roleArn=ROLE,
        input="{}",
        inspectionLevel="DEBUG",
        mock={"result": json.dumps({"Payload": {"answer": 42}, "StatusCode": 200})},
    )
    assert mocked["status"] == "SUCCEEDED", f"TestState of a mocked Task: {mocked}"
    assert json.loads(mocked["output"]) == {"answer": 42}, mocked["output"]
    assert "nextState" not in mocked, f"an End state has no next state: {mocked}"
    expect_error("InvalidDefinition", sfn.test_state, definition=json.dumps({"Type": "Pass"}), roleArn=ROLE)
    # A mocked result is checked against the API's shape (Invoke's StatusCode is a number); NONE lets it through.
    mistyped = {"result": json.dumps({"Payload": {"answer": 1}, "StatusCode": "200"})}
    expect_error("ValidationException", sfn.test_state, definition=json.dumps(task), mock=mistyped)
    unchecked = sfn.test_state(definition=json.dumps(task), mock={**mistyped, "fieldValidationMode": "NONE"})
    assert unchecked["status"] == "SUCCEEDED", f"fieldValidationMode NONE: {unchecked}"
    expect_error("ValidationException", sfn.test_state, definition=json.dumps({"Type": "Pass", "End": True}),
                 mock={"result": "{}"})
    # A Map state with a mock: its items and iteration inputs, and its failed iterations against its threshold.
    items_map = {
        "Type": "Map",
        "ItemsPath": "$.items",
        "ItemSelector": {"doubled.$": "States.MathAdd($$.Map.Item.Value, $$.Map.Item.Value)"},
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": True}}},
        "End": True,
    }
    mapped = sfn.test_state(
        definition=json.dumps(items_map),
        input=json.dumps({"items": [1, 2]}),
        inspectionLevel="DEBUG",
        mock={"result": "[2, 4]"},
    )
    inspection = mapped["inspectionData"]
    assert (json.loads(inspection["afterItemsPath"]), json.loads(inspection["afterItemSelector"])) == (
        [1, 2],
        [{"doubled": 2}, {"doubled": 4}],
    ), mapped
    failing = sfn.test_state(
        definition=json.dumps(items_map),
        input=json.dumps({"items": [1, 2]}),
        mock={"result": "[2]"},
        stateConfiguration={"mapIterationFailureCount": 1},
    )
    assert (failing["status"], failing.get("error")) == ("FAILED", "States.ExceedToleratedFailureThreshold"), failing


def aws_cli_lists_machines(addr, home, names):
    if shutil.which("aws") is None:
        print("note: skipping the AWS CLI step: `aws` is not on PATH (pip install awscli==1.45.11)")
        return
    env = dict(os.environ)
    for key in ["AWS_PROFILE", "AWS_SESSION_TOKEN"]:
        env.pop(key, None)
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "AKIDLOCAL",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "AWS_CONFIG_FILE": os.path.join(home, "config"),
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PAGER": "",
        }
    )
    command = ["aws", "stepfunctions", "list-state-machines", "--endpoint-url", "http://" + addr, "--output", "json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{shlex.join(command)} failed: {done.stderr}"
    listed = {m["name"] for m in json.loads(done.stdout)["stateMachines"]}
    assert names <= listed, f"aws list-state-machines is missing {sorted(names - listed)}: {sorted(listed)}"


def write_functions(work):
    token_file = os.path.join(work, "handed-off.json")
    marker = os.path.join(work, "flaky-called-once")
    hand_off = f"cat > {shlex.quote(token_file)}; echo '{{}}'"
    flaky = (
        f"if [ -f {shlex.quote(marker)} ]; then echo '{{\"fixed\": true}}'; "
        f"else touch {shlex.quote(marker)}; echo '{{\"errorType\": \"Flaky\", \"errorMessage\": \"first call\"}}'; exit 1; fi"
    )
    functions = os.path.join(work, "functions.toml")
    with open(functions, "w") as file:
        # A TOML basic string takes JSON's escapes.
        file.write(f"[functions.hand_off]\ncommand = [\"sh\", \"-c\", {json.dumps(hand_off)}]\n")
        file.write(f"[functions.flaky]\ncommand = [\"sh\", \"-c\", {json.dumps(flaky)}]\n")
    return functions, token_file


def scenario(baton, data_dir, work):
    functions, token_file = write_functions(work)
    endpoint = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Orders)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    server = None
    try:
        server = Server(baton, data_dir, "--functions", functions)
        sfn = server.client()
        # What each step returned, by name: the tags step uses the activity the first step created.
        results = {}
        steps = [
            ("an activity worker with heartbeats", lambda: activity_worker_with_heartbeats(sfn)),
            ("SendTaskFailure through a handed-off token", lambda: callback_token_fails_the_task(sfn, token_file)),
            ("a redriven execution", lambda: failed_execution_is_redriven(sfn)),
            ("an HTTP Task", lambda: http_task_calls_a_local_endpoint(sfn, f"http://127.0.0.1:{endpoint.server_port}")),
            ("startExecution.sync:2", lambda: sync2_runs_a_child(sfn)),
            ("an alias", lambda: alias_routes_to_a_version(sfn)),
            ("tags", lambda: tags_round_trip(sfn, results["an activity worker with heartbeats"])),
            ("ValidateStateMachineDefinition", lambda: validate_definitions(sfn)),
            ("TestState", lambda: test_state_runs_one_state(sfn)),
            (
                "aws stepfunctions list-state-machines",
                lambda: aws_cli_lists_machines(server.addr, work, {"packing", "callback", "flaky", "http", "versioned"}),
            ),
        ]
        for name, step in steps:
            try:
                results[name] = step()
            except Exception as error:
                raise AssertionError(f"step '{name}' failed: {error}") from error
            print(f"ok: {name}")
        assert server.process.poll() is None, "the server exited"
        print(f"rest-of-API scenario: ok ({len(steps)} steps)")
    finally:
        if server is not None:
            server.kill()
        endpoint.shutdown()
        endpoint.server_close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baton", default=os.path.join("target", "debug", "baton"), help="the baton binary")
    parser.add_argument("--data-dir", help="a data directory (default: a new temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="baton-boto3-rest-") as work:
        scenario(args.baton, args.data_dir or os.path.join(work, "data"), work)


if __name__ == "__main__":
    main()
