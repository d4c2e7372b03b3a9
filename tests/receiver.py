"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that remembers idempotency
keys, as a receiver that wants each transition exactly once does, and that can be told to
fail (answer 503) and to recover."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self):
        self.requests: list[dict] = []        # every POST: headers and body
        self.acted: dict[str, dict] = {}      # key -> body, the first time each key came
        self.failing = False
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers.get("Idempotency-Key")
                with receiver.lock:
                    receiver.requests.append({"key": key, "body": body, "type": self.headers.get("Content-Type"),
                                              "path": self.path})
                    if receiver.failing:
                        self.send_response(503)
                        self.end_headers()
                        self.wfile.write(b"down for maintenance")
                        return
                    receiver.acted.setdefault(key, body)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/T000/B000/secret-token"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def keys_acted(self) -> list[str]:
        return sorted(self.acted)

    def times_received(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for request in self.requests:
            counts[request["key"]] = counts.get(request["key"], 0) + 1
        return counts
