"""A stand-in for the Switchyard API on 127.0.0.1 (http.server in a thread), for the client's tests.

It answers the SDK routes the way the service does — the ruleset with its ETag and 304, `/evaluate` and
`/assignments` from the same engine, `/events` with accepted/refused — and can be told to misbehave: a status
(500, 429 with Retry-After), a delay, a closed connection, NOT_STORED for some events.
"""

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Deque, Dict, List, Optional, Tuple

import support  # noqa: F401 — the package's import path

from switchyard.rules import compile_ruleset


class Fault:
    """One misbehaviour for the next request to a path."""

    def __init__(
        self,
        status: Optional[int] = None,
        headers: Optional[Dict[str, str]] = None,
        delay: float = 0.0,
        drop: bool = False,
        not_stored: Tuple[int, ...] = (),
        body: Any = None,
    ) -> None:
        self.status = status
        self.headers = headers or {}
        self.delay = delay
        self.drop = drop
        self.not_stored = not_stored
        self.body = body


class FakeApi:
    def __init__(self, ruleset: Dict[str, Any], server_key: str = "sy_server", client_key: str = "sy_client") -> None:
        self.ruleset = ruleset
        self.keys = {server_key: "server", client_key: "client"}
        # As the API answers a ruleset too large for a response: 302 to a URL that takes no credentials.
        self.redirect_ruleset = False
        self.faults: Dict[str, Deque[Fault]] = {}
        self.requests: List[Tuple[str, str, Dict[str, str], Any, float]] = []
        self.events: List[Dict[str, Any]] = []
        self.lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                api.handle(self, "GET")

            def do_POST(self) -> None:
                api.handle(self, "POST")

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients that time out or drop the connection are part of the tests

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, path: str, *faults: Fault) -> None:
        with self.lock:
            self.faults.setdefault(path, deque()).extend(faults)

    def set_ruleset(self, ruleset: Dict[str, Any]) -> None:
        with self.lock:
            self.ruleset = ruleset

    def calls(self, path: str) -> List[Tuple[str, str, Dict[str, str], Any, float]]:
        with self.lock:
            return [r for r in self.requests if r[1] == path]

    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        path = handler.path
        with self.lock:
            self.requests.append((method, path, dict(handler.headers.items()), body, time.monotonic()))
            queue = self.faults.get(path)
            fault = queue.popleft() if queue else None
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.drop:
            handler.close_connection = True
            handler.wfile.flush()
            handler.connection.shutdown(2)
            return
        if fault is not None and fault.status is not None:
            self.answer(handler, fault.status, fault.body or {"code": "INTERNAL_ERROR", "message": "injected"}, fault.headers)
            return
        if method == "GET" and path.startswith("/stored/"):
            # A presigned URL: S3 refuses a request that also carries an Authorization header.
            if handler.headers.get("Authorization") is not None:
                self.answer(handler, 400, {"code": "InvalidArgument", "message": "Only one auth mechanism allowed"})
            else:
                self.answer(handler, 200, self.ruleset, {"ETag": '"d41d8cd98f00b204e9800998ecf8427e"'})
            return
        auth = handler.headers.get("Authorization", "")
        key_type = self.keys.get(auth[len("Bearer ") :]) if auth.startswith("Bearer ") else None
        if key_type is None:
            self.answer(handler, 401, {"code": "UNAUTHORIZED", "message": "Unauthorized"})
            return
        engine = compile_ruleset(self.ruleset)
        if method == "GET" and path == "/api/v1/sdk/ruleset":
            if key_type != "server":
                self.answer(handler, 403, {"code": "FORBIDDEN", "message": "The ruleset is for server keys only"})
                return
            etag = f'"{self.ruleset.get("revision")}"'
            if handler.headers.get("If-None-Match") == etag:
                self.answer(handler, 304, None, {"ETag": etag})
            elif self.redirect_ruleset:
                self.answer(handler, 302, None, {"ETag": etag, "Location": f"/stored/{self.ruleset.get('revision')}.json?sig=x"})
            else:
                self.answer(handler, 200, self.ruleset, {"ETag": etag})
        elif method == "POST" and path == "/api/v1/evaluate":
            client_only = key_type == "client"
            results = engine.evaluate_all(body["context"], body.get("flags"), client_side_only=client_only)
            self.answer(handler, 200, {"revision": engine.revision, "results": [r.to_dict() for r in results]})
        elif method == "POST" and path == "/api/v1/assignments":
            assignments = engine.assign(body.get("context"), body.get("experiments"), body.get("unitId"))
            self.answer(handler, 200, {"revision": engine.revision, "assignments": [a.to_dict() for a in assignments]})
        elif method == "POST" and path == "/api/v1/events":
            not_stored = set(fault.not_stored) if fault is not None else set()
            accepted, refused = [], []
            for index, event in enumerate(body["events"]):
                if index in not_stored:
                    refused.append({"index": index, "eventId": event["eventId"], "code": "NOT_STORED", "message": "x"})
                elif event.get("name") == "invalid":
                    refused.append({"index": index, "eventId": event["eventId"], "code": "INVALID", "message": "x"})
                else:
                    accepted.append(event["eventId"])
                    with self.lock:
                        self.events.append(event)
            self.answer(handler, 200, {"accepted": accepted, "refused": refused})
        else:
            self.answer(handler, 404, {"code": "NOT_FOUND", "message": "no route"})

    @staticmethod
    def answer(handler: BaseHTTPRequestHandler, status: int, body: Any, headers: Optional[Dict[str, str]] = None) -> None:
        data = b"" if body is None or status == 304 else json.dumps(body).encode("utf-8")
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if data:
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
