#!/usr/bin/env python3
"""A watchgod loader in plain Python 3 (standard library only): declares one job and answers god's checks.
Protocol: docs/protocol.md. Try it with `god validate examples/other-languages/loader.py`."""
import json
import os
import sys

JOB = {
    "name": "pyjob",
    "exec": ["python3", "-c", "import time\nwhile True: time.sleep(1)"],
    "auto": True,
    "check": {"intervalMs": 1000, "timeoutMs": 500, "failures": 3, "graceMs": 5000},
}


def check_pyjob(params):
    # A real check asks the program something (a health URL, a queue depth); this one asks the kernel.
    try:
        os.kill(params["pid"], 0)
    except OSError as error:
        return {"status": "fail", "message": "process %d: %s" % (params["pid"], error.strerror)}
    return {"status": "ok"}


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main():
    if sys.argv[1:2] != ["godv1"]:
        sys.exit("this is a watchgod loader: god runs it as `loader.py godv1`")
    hello = {"protocol": "godv1", "loader": {"name": "python-example", "version": "1.0.0"}, "jobs": [JOB]}
    send({"jsonrpc": "2.0", "method": "hello", "params": hello})
    for line in sys.stdin.buffer:  # god's lines; the loop ends when god closes stdin
        message = json.loads(line)
        if "method" not in message or message.get("id") is None:
            continue  # notifications (`event`) and answers need no reply
        reply = {"jsonrpc": "2.0", "id": message["id"]}
        params = message.get("params") or {}
        if message["method"] == "check" and params.get("job") == JOB["name"]:
            reply["result"] = check_pyjob(params)
        elif message["method"] == "check":
            reply["error"] = {"code": 1001, "message": "unknown job %r" % params.get("job")}
        else:
            reply["error"] = {"code": -32601, "message": "unknown method %r" % message["method"]}
        send(reply)


if __name__ == "__main__":
    main()
