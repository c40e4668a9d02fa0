"""Helpers shared by the boto3 scenarios: a `baton serve` child process, and error assertions."""

import re
import subprocess
import sys
import threading

import boto3
from botocore.config import Config


class Server:
    """A `baton serve` child process on a free 127.0.0.1 port; `kill()` is SIGKILL."""

    def __init__(self, baton, data_dir, *extra):
        self.process = subprocess.Popen(
            [baton, "serve", "--bind", "127.0.0.1:0", "--data-dir", data_dir, *extra],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        serving = re.compile(r"^baton: serving .* on http://(\S+) .*, (\d+) executions resumed\)")
        self.addr = None
        self.resumed = None
        ready = threading.Event()

        def forward():
            for line in self.process.stderr:
                match = serving.match(line)
                if match:
                    self.addr, self.resumed = match.group(1), int(match.group(2))
                    ready.set()
                sys.stderr.write("[baton serve] " + line)
            ready.set()

        threading.Thread(target=forward, daemon=True).start()
        if not ready.wait(120) or self.addr is None:
            self.kill()
            raise RuntimeError("baton serve did not start serving")

    def client(self):
        # StartSyncExecution and TestState have the host prefix `sync-`, which does not resolve for 127.0.0.1.
        config = Config(inject_host_prefix=False, retries={"max_attempts": 2, "mode": "standard"})
        return boto3.client(
            "stepfunctions",
            endpoint_url="http://" + self.addr,
            region_name="us-east-1",
            aws_access_key_id="AKIDLOCAL",
            aws_secret_access_key="secret",
            config=config,
        )

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def expect_error(code, call, **kwargs):
    """Asserts that `call(**kwargs)` fails with AWS error `code`."""
    try:
        call(**kwargs)
    except Exception as error:  # botocore.exceptions.ClientError and its modeled subclasses
        got = getattr(error, "response", {}).get("Error", {}).get("Code")
        assert got == code, f"{call.__name__}: expected {code}, got {got}: {error}"
        return
    raise AssertionError(f"{call.__name__}: expected {code}, got success")
