"""The Python SDK as an application uses it, driven by test/e2e/sdk-python.test.ts against the local platform.

One JSON command per line on stdin, one JSON answer per line on stdout:

    {"cmd": "start", "baseUrl", "apiKey", "mode", "pollInterval", "flushInterval"}  → {"ready", "revision"}
    {"cmd": "evaluateAll", "contexts": [ctx, …]}                                   → {"revision", "results": [[…]]}
    {"cmd": "assign", "contexts": [ctx, …]}                                        → {"assignments": [[…]]}
    {"cmd": "waitRevision", "above": n, "timeout": s}                              → {"revision"}
    {"cmd": "measure", "flagKey", "contexts": [ctx, …], "failEvery": k}            → {"calls", "failures"}
    {"cmd": "track", "name", "unitId", "value"}                                    → {"queued"}
    {"cmd": "flush"}                                                              → {"sent", "stats"}
    {"cmd": "close"}                                                              → {"closed"}, then exit
"""

import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from switchyard import Switchyard  # noqa: E402

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)


class Failure(Exception):
    pass


def main() -> None:
    client = None
    for line in sys.stdin:
        request = json.loads(line)
        command = request["cmd"]
        try:
            if command == "start":
                client = Switchyard(
                    request["apiKey"],
                    request["baseUrl"],
                    mode=request.get("mode", "local"),
                    poll_interval=request.get("pollInterval", 30.0),
                    flush_interval=request.get("flushInterval", 5.0),
                    ready_timeout=request.get("readyTimeout", 10.0),
                )
                answer = {"ready": client.ready, "revision": client.revision}
            elif command == "evaluateAll":
                answer = {
                    "revision": client.revision,
                    "results": [[r.to_dict() for r in client.evaluate_all(c)] for c in request["contexts"]],
                }
            elif command == "assign":
                answer = {"assignments": [[a.to_dict() for a in client.assign(c)] for c in request["contexts"]]}
            elif command == "waitRevision":
                deadline = time.monotonic() + request["timeout"]
                while (client.revision or 0) <= request["above"] and time.monotonic() < deadline:
                    time.sleep(0.01)
                answer = {"revision": client.revision}
            elif command == "measure":
                calls = failures = 0
                for index, context in enumerate(request["contexts"]):
                    calls += 1

                    def work(details, index=index):
                        time.sleep(0.002)
                        if request.get("failEvery") and index % request["failEvery"] == 0:
                            raise Failure(f"request {index} failed")
                        return details.value

                    try:
                        client.measure(request["flagKey"], context, work)
                    except Failure:
                        failures += 1
                answer = {"calls": calls, "failures": failures}
            elif command == "track":
                answer = {"queued": client.track(request["name"], request["unitId"], request.get("value"))}
            elif command == "flush":
                answer = {"sent": client.flush(30), "stats": client.stats}
            elif command == "close":
                answer = {"closed": client.close() if client is not None else True}
            else:
                answer = {"error": f"unknown command {command}"}
        except Exception as error:  # noqa: BLE001 — report, let the test fail with the reason
            answer = {"error": repr(error)}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
        if command == "close":
            return


if __name__ == "__main__":
    main()
