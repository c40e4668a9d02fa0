"""The same handler as a command function: the event on stdin, the result on stdout, one process per call."""
import json
import sys

print(json.dumps(json.load(sys.stdin)))
