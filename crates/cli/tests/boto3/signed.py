#!/usr/bin/env python3
"""`baton serve --credentials`: boto3 and the AWS CLI with keys Baton issues, unchanged.

Writes a credentials file of three keys (account A, account B, and a read-only key of account A), starts `baton
serve --credentials` on a free 127.0.0.1 port, then checks, each step with its own assertion message:
  1. key A creates a Standard and an Express state machine, starts an execution that succeeds, and runs
     StartSyncExecution (also sent to the `sync-` host, as SDKs address it, with that Host signed);
  2. a wrong secret, an unknown key, no signature and a timestamp 20 minutes old each get AWS's error code;
  3. the read-only key lists and describes, but cannot start an execution (AccessDeniedException);
  4. key B does not see account A's state machines: its list is empty, a describe of A's ARN is refused, and its own
     machine of the same name has an ARN of account B;
  5. SIGHUP reloads the file: a key added answers, a key removed is refused;
  6. `aws stepfunctions` with key A lists A's machines (skipped with a note when the `aws` CLI is missing);
  7. an HTTP Task (and apigateway:invoke) to the instance metadata address (169.254.169.254) fails, with a cause
     that says why;
  8. the admin reset (`--admin`) must be signed, by a key that is not read-only.
Exits non-zero on the first failure; the server is always stopped.

    python3 crates/cli/tests/boto3/signed.py --baton target/debug/baton [--data-dir DIR]
"""

import argparse
import datetime
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from unittest import mock

import boto3
import botocore.auth
from botocore import UNSIGNED
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from baton_server import Server, expect_error  # noqa: E402

ACCOUNT_A, ACCOUNT_B = "111122223333", "444455556666"
KEYS = {
    "AKIDBATONA": ("secret-of-a", ACCOUNT_A, False),
    "AKIDBATONB": ("secret-of-b", ACCOUNT_B, False),
    "AKIDBATONREAD": ("secret-of-reader", ACCOUNT_A, True),
}
PASS = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"ok": True}, "End": True}}})


def credentials_file(path, keys):
    with open(path, "w") as out:
        for key, (secret, account, read_only) in keys.items():
            out.write(f'[[keys]]\naccess_key_id = "{key}"\nsecret_access_key = "{secret}"\naccount_id = "{account}"\n')
            out.write(f"read_only = {'true' if read_only else 'false'}\n\n")


def client(server, key, secret, **config):
    config = Config(inject_host_prefix=False, retries={"max_attempts": 1, "mode": "standard"}, **config)
    return boto3.client(
        "stepfunctions",
        endpoint_url="http://" + server.addr,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=config,
    )


def error_code(call, **kwargs):
    try:
        call(**kwargs)
    except Exception as error:
        return getattr(error, "response", {}).get("Error", {}).get("Code"), getattr(error, "response", {}).get(
            "ResponseMetadata", {}
        ).get("HTTPStatusCode")
    return None, 200


def ended(client, execution_arn):
    """The execution's description once it is no longer RUNNING (or after 10 s)."""
    for _ in range(200):
        described = client.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    return described


def signed_post(server, key, path, body, host=None, target=None):
    """`POST path` signed with `key` (its host `host`, else the server's address), sent to the server; the status and
    the JSON answer."""
    address, port = server.addr.rsplit(":", 1)
    host = host or server.addr
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    if target:
        headers["X-Amz-Target"] = "AWSStepFunctions." + target
    request = AWSRequest(method="POST", url=f"http://{host}{path}", data=body, headers=headers)
    if key:
        botocore.auth.SigV4Auth(Credentials(key, KEYS[key][0]), "states", "us-east-1").add_auth(request)
    connection = http.client.HTTPConnection(address, int(port), timeout=30)
    # What botocore signed as the host (from the URL), sent as the Host header.
    connection.request("POST", path, body=body, headers=dict(request.headers.items(), Host=host))
    response = connection.getresponse()
    return response.status, json.loads(response.read() or b"{}")


def sync_host_request(server, machine_arn):
    """StartSyncExecution addressed to `sync-localhost:<port>` (the SDK's host prefix), signed with that Host."""
    port = server.addr.rsplit(":", 1)[1]
    body = json.dumps({"stateMachineArn": machine_arn, "input": "{}"})
    return signed_post(server, "AKIDBATONA", "/", body, host=f"sync-localhost:{port}", target="StartSyncExecution")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--baton", required=True)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    work = args.data_dir or tempfile.mkdtemp(prefix="baton-signed-")
    creds = os.path.join(work, "credentials.toml")
    credentials_file(creds, KEYS)
    server = Server(args.baton, os.path.join(work, "data"), "--credentials", creds, "--admin")
    try:
        a = client(server, "AKIDBATONA", KEYS["AKIDBATONA"][0])
        role = f"arn:aws:iam::{ACCOUNT_A}:role/baton"

        # 1. Key A works as with AWS.
        machine = a.create_state_machine(name="orders", definition=PASS, roleArn=role)["stateMachineArn"]
        assert machine == f"arn:aws:states:us-east-1:{ACCOUNT_A}:stateMachine:orders", machine
        execution = a.start_execution(stateMachineArn=machine, name="first")["executionArn"]
        assert f":{ACCOUNT_A}:execution:orders:first" in execution, execution
        described = ended(a, execution)
        assert described["status"] == "SUCCEEDED", described
        express = a.create_state_machine(name="quick", definition=PASS, roleArn=role, type="EXPRESS")["stateMachineArn"]
        synced = a.start_sync_execution(stateMachineArn=express, input="{}")
        assert synced["status"] == "SUCCEEDED" and json.loads(synced["output"]) == {"ok": True}, synced
        status, answer = sync_host_request(server, express)
        assert status == 200 and answer.get("status") == "SUCCEEDED", (status, answer)
        print("1. key A: create, start, describe, StartSyncExecution (also on the sync- host): ok")

        # 2. What does not hold gets AWS's error code, with HTTP 403.
        wrong = client(server, "AKIDBATONA", "not-the-secret")
        assert error_code(wrong.list_state_machines) == ("InvalidSignatureException", 403), error_code(wrong.list_state_machines)
        unknown = client(server, "AKIDNOBODY", "whatever")
        assert error_code(unknown.list_state_machines) == ("UnrecognizedClientException", 403)
        unsigned = boto3.client(
            "stepfunctions", endpoint_url="http://" + server.addr, region_name="us-east-1",
            config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1, "mode": "standard"}),
        )
        assert error_code(unsigned.list_state_machines) == ("MissingAuthenticationTokenException", 403)
        stale = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
        with mock.patch("botocore.auth.get_current_datetime", return_value=stale):
            code = error_code(a.list_state_machines)
        assert code == ("InvalidSignatureException", 403), code
        print("2. wrong secret, unknown key, no signature, stale timestamp: AWS's error codes: ok")

        # 3. The read-only key reads only.
        reader = client(server, "AKIDBATONREAD", KEYS["AKIDBATONREAD"][0])
        listed = [m["stateMachineArn"] for m in reader.list_state_machines()["stateMachines"]]
        assert machine in listed, listed
        assert reader.describe_execution(executionArn=execution)["status"] == "SUCCEEDED"
        expect_error("AccessDeniedException", reader.start_execution, stateMachineArn=machine)
        expect_error("AccessDeniedException", reader.delete_state_machine, stateMachineArn=machine)
        print("3. read-only key: lists and describes, cannot start or delete: ok")

        # 4. Accounts are kept apart.
        b = client(server, "AKIDBATONB", KEYS["AKIDBATONB"][0])
        assert b.list_state_machines()["stateMachines"] == [], b.list_state_machines()
        expect_error("AccessDeniedException", b.describe_state_machine, stateMachineArn=machine)
        expect_error("AccessDeniedException", b.start_execution, stateMachineArn=machine)
        expect_error("AccessDeniedException", b.describe_execution, executionArn=execution)
        own = b.create_state_machine(name="orders", definition=PASS, roleArn=f"arn:aws:iam::{ACCOUNT_B}:role/b")
        assert own["stateMachineArn"] == f"arn:aws:states:us-east-1:{ACCOUNT_B}:stateMachine:orders", own
        assert [m["stateMachineArn"] for m in b.list_state_machines()["stateMachines"]] == [own["stateMachineArn"]]
        assert own["stateMachineArn"] not in [m["stateMachineArn"] for m in a.list_state_machines()["stateMachines"]]
        activity = a.create_activity(name="approve")["activityArn"]
        assert [x["activityArn"] for x in b.list_activities()["activities"]] == []
        expect_error("AccessDeniedException", b.get_activity_task, activityArn=activity)
        waits = json.dumps({"StartAt": "W", "States": {"W": {"Type": "Task", "Resource": activity, "End": True}}})
        waiting = a.create_state_machine(name="waits", definition=waits, roleArn=role)["stateMachineArn"]
        held = a.start_execution(stateMachineArn=waiting)["executionArn"]
        token = a.get_activity_task(activityArn=activity, workerName="w")["taskToken"]
        assert token, "a task for A's worker"
        expect_error("TaskDoesNotExist", b.send_task_success, taskToken=token, output="{}")
        a.send_task_success(taskToken=token, output='{"done": true}')
        described = ended(a, held)
        assert described["status"] == "SUCCEEDED", described
        print("4. two accounts do not see each other's state machines, executions, activities or task tokens: ok")

        # 5. SIGHUP reloads the keys.
        keys = dict(KEYS)
        del keys["AKIDBATONB"]
        keys["AKIDBATONC"] = ("secret-of-c", ACCOUNT_B, False)
        credentials_file(creds, keys)
        server.process.send_signal(signal.SIGHUP)
        c = client(server, "AKIDBATONC", "secret-of-c")
        for _ in range(100):
            if error_code(c.list_state_machines)[0] is None:
                break
            time.sleep(0.05)
        assert [m["name"] for m in c.list_state_machines()["stateMachines"]] == ["orders"]
        assert error_code(b.list_state_machines)[0] == "UnrecognizedClientException"
        print("5. SIGHUP: a new key answers, a removed key is refused: ok")

        # 6. The AWS CLI with key A.
        if shutil.which("aws") is None:
            print("note: skipping the AWS CLI step: `aws` is not installed (pip install awscli==1.45.11)")
        else:
            env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDBATONA", AWS_SECRET_ACCESS_KEY=KEYS["AKIDBATONA"][0],
                       AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.path.join(work, "none"),
                       AWS_SHARED_CREDENTIALS_FILE=os.path.join(work, "none"), AWS_EC2_METADATA_DISABLED="true",
                       AWS_PAGER="")
            env.pop("AWS_PROFILE", None)
            env.pop("AWS_SESSION_TOKEN", None)
            out = subprocess.run(
                ["aws", "stepfunctions", "list-state-machines", "--output", "json", "--endpoint-url", "http://" + server.addr],
                env=env, capture_output=True, text=True, check=True,
            ).stdout
            names = sorted(m["name"] for m in json.loads(out)["stateMachines"])
            assert names == ["orders", "quick", "waits"], names  # before step 7 adds its machines
            env["AWS_SECRET_ACCESS_KEY"] = "wrong"
            failed = subprocess.run(
                ["aws", "stepfunctions", "list-state-machines", "--endpoint-url", "http://" + server.addr],
                env=env, capture_output=True, text=True,
            )
            assert failed.returncode != 0 and "InvalidSignatureException" in failed.stderr, failed.stderr
            print("6. the AWS CLI with key A lists A's machines; with a wrong secret it is refused: ok")

        # 7. A server with credentials does not call what AWS's HTTP Task cannot reach.
        metadata = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
        connection = f"arn:aws:events:us-east-1:{ACCOUNT_A}:connection/c/1"
        calls = [
            ("ssrf-http", "arn:aws:states:::http:invoke", "States.Http.Socket",
             {"ApiEndpoint": metadata, "Method": "GET", "Authentication": {"ConnectionArn": connection}}),
            ("ssrf-api", "arn:aws:states:::apigateway:invoke", "ApiGateway.SdkClientException",
             {"ApiEndpoint": "http://169.254.169.254/latest", "Method": "GET"}),
        ]
        for name, resource, error, parameters in calls:
            task = {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}
            definition = json.dumps({"StartAt": "Call", "States": {"Call": task}})
            ssrf = a.create_state_machine(name=name, definition=definition, roleArn=role)["stateMachineArn"]
            described = ended(a, a.start_execution(stateMachineArn=ssrf)["executionArn"])
            assert described["status"] == "FAILED" and described.get("error") == error, described
            assert "169.254.169.254 is the instance metadata address" in described.get("cause", ""), described
            print(f"7. {resource} to 169.254.169.254 fails: {described['cause']}")

        # 8. The admin reset (--admin) must be signed, by a key that may write.
        assert signed_post(server, None, "/baton/admin/reset", "{}")[1].get("__type") == "MissingAuthenticationTokenException"
        status, answer = signed_post(server, "AKIDBATONREAD", "/baton/admin/reset", "{}")
        assert (status, answer.get("__type")) == (403, "AccessDeniedException"), (status, answer)
        assert a.list_state_machines()["stateMachines"], "nothing was reset"
        assert signed_post(server, "AKIDBATONA", "/baton/admin/reset", "{}")[0] == 200
        assert a.list_state_machines()["stateMachines"] == [], "reset"
        print("8. the admin reset: refused unsigned and to a read-only key, done for a writer: ok")
    finally:
        server.kill()


if __name__ == "__main__":
    main()
