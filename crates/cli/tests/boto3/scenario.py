#!/usr/bin/env python3
"""The acceptance scenario of `baton serve`, with boto3 and --endpoint-url.

Starts `baton serve` on a free 127.0.0.1 port over a data directory, then: creates a machine; checks the error codes
InvalidDefinition, StateMachineDoesNotExist, ExecutionDoesNotExist, InvalidExecutionInput; parks 200 executions in
a Wait, kills the server with SIGKILL, restarts it on the same data directory, and checks that each execution ends
SUCCEEDED exactly once with its full history (ids 1..n); pages list_executions; stops an execution; runs
start_sync_execution on an EXPRESS machine. Exits non-zero on the first failure; the server is always killed.

    python3 crates/cli/tests/boto3/scenario.py --baton target/debug/baton [--data-dir DIR]

`cargo test -p cli --test it boto3` runs it when Python has boto3 (CI pins boto3==1.43.11).
"""

import argparse
import json
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

from baton_server import Server, expect_error

ROLE = "arn:aws:iam::123456789012:role/baton"
EXECUTIONS = 200
WAIT_SECONDS = 6


def history(sfn, arn):
    events, token = [], None
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=100, **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def listed(sfn, machine, status=None, page=1000):
    arns, pages, token = [], 0, None
    while True:
        args = {"stateMachineArn": machine, "maxResults": page}
        if status:
            args["statusFilter"] = status
        if token:
            args["nextToken"] = token
        out = sfn.list_executions(**args)
        pages += 1
        assert len(out["executions"]) <= page
        arns += [e["executionArn"] for e in out["executions"]]
        token = out.get("nextToken")
        if not token:
            return arns, pages


def wait_ended(sfn, arn, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        assert time.monotonic() < deadline, f"{arn} still RUNNING"
        time.sleep(0.1)


def scenario(baton, data_dir):
    server = Server(baton, data_dir)
    try:
        sfn = server.client()
        # Create, and the error codes.
        parked_definition = {
            "StartAt": "A",
            "States": {
                "A": {"Type": "Pass", "Next": "W"},
                "W": {"Type": "Wait", "Seconds": WAIT_SECONDS, "Next": "B"},
                "B": {"Type": "Pass", "Parameters": {"i.$": "$.i", "done": True}, "End": True},
            },
        }
        machine = sfn.create_state_machine(name="Parked", definition=json.dumps(parked_definition), roleArn=ROLE)[
            "stateMachineArn"
        ]
        assert machine == "arn:aws:states:us-east-1:123456789012:stateMachine:Parked", machine
        expect_error(
            "InvalidDefinition",
            sfn.create_state_machine,
            name="Broken",
            definition='{"StartAt": "Nope", "States": {}}',
            roleArn=ROLE,
        )
        expect_error(
            "StateMachineDoesNotExist",
            sfn.start_execution,
            stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:Nobody",
        )
        expect_error(
            "ExecutionDoesNotExist",
            sfn.describe_execution,
            executionArn="arn:aws:states:us-east-1:123456789012:execution:Parked:nobody",
        )
        expect_error("InvalidExecutionInput", sfn.start_execution, stateMachineArn=machine, input="{not json")

        # Park EXECUTIONS executions in the Wait, then SIGKILL the server.
        begun = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            arns = list(
                pool.map(
                    lambda i: sfn.start_execution(
                        stateMachineArn=machine, name=f"parked-{i}", input=json.dumps({"i": i})
                    )["executionArn"],
                    range(EXECUTIONS),
                )
            )
        running, _ = listed(sfn, machine, "RUNNING")
        assert time.monotonic() - begun < WAIT_SECONDS, "starting took too long for the crash to mean anything"
        assert len(running) == EXECUTIONS, f"{len(running)} running before the crash"
        server.kill()

        server = Server(baton, data_dir)
        # Parked (a Wait longer than --park-after-ms): not read at start-up, woken when due.
        assert server.resumed == 0, f"{server.resumed} resumed"
        sfn = server.client()
        deadline = time.monotonic() + 120
        while len(listed(sfn, machine, "SUCCEEDED")[0]) < EXECUTIONS:
            assert time.monotonic() < deadline, "not all executions succeeded after the restart"
            time.sleep(0.25)
        everything, _ = listed(sfn, machine)
        assert sorted(everything) == sorted(arns), "each execution listed exactly once"
        expected_types = [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "WaitStateEntered",
            "WaitStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded",
        ]
        for i, arn in enumerate(arns):
            described = sfn.describe_execution(executionArn=arn)
            assert described["status"] == "SUCCEEDED", described
            assert json.loads(described["output"]) == {"i": i, "done": True}, described["output"]
            events = history(sfn, arn)
            assert [e["id"] for e in events] == list(range(1, len(events) + 1)), f"{arn}: ids"
            assert [e["type"] for e in events] == expected_types, f"{arn}: {[e['type'] for e in events]}"

        # Paging.
        pages_of_7, pages = listed(sfn, machine, page=7)
        assert sorted(pages_of_7) == sorted(arns) and pages == -(-EXECUTIONS // 7), pages

        # Stop.
        sleeper = sfn.create_state_machine(
            name="Sleeper",
            definition=json.dumps({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}),
            roleArn=ROLE,
        )["stateMachineArn"]
        sleeping = sfn.start_execution(stateMachineArn=sleeper)["executionArn"]
        sfn.stop_execution(executionArn=sleeping, error="Halt", cause="by the test")
        stopped = wait_ended(sfn, sleeping)
        assert stopped["status"] == "ABORTED", stopped
        assert history(sfn, sleeping)[-1]["type"] == "ExecutionAborted"

        # Synchronous Express.
        express = sfn.create_state_machine(
            name="Quick",
            type="EXPRESS",
            definition=json.dumps(
                {
                    "StartAt": "P",
                    "States": {"P": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)"}, "End": True}},
                }
            ),
            roleArn=ROLE,
        )["stateMachineArn"]
        sync = sfn.start_sync_execution(stateMachineArn=express, input=json.dumps({"a": 2, "b": 3}))
        assert sync["status"] == "SUCCEEDED", sync
        assert json.loads(sync["output"]) == {"sum": 5}, sync["output"]
        expect_error("StateMachineTypeNotSupported", sfn.start_sync_execution, stateMachineArn=sleeper)

        assert server.process.poll() is None, "the server exited"
        print(f"boto3 scenario: ok ({EXECUTIONS} executions survived kill -9)")
    finally:
        server.kill()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baton", default=os.path.join("target", "debug", "baton"), help="the baton binary")
    parser.add_argument("--data-dir", help="a data directory (default: a new temporary one)")
    args = parser.parse_args()
    if args.data_dir:
        scenario(args.baton, args.data_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="baton-boto3-") as data_dir:
            scenario(args.baton, data_dir)


if __name__ == "__main__":
    main()
