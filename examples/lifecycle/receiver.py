"""A webhook receiver for trying the example: prints each transition it is sent, once per
idempotency key (a delivery repeated after a crash is acknowledged and not printed again).

    python receiver.py [PORT]      # default 8765, as scoredsl.toml says
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

seen = set()


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers.get("Idempotency-Key")
        if key not in seen:
            seen.add(key)
            print(f"webhook: {body['text']}", flush=True)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    HTTPServer(("127.0.0.1", port), Hook).serve_forever()
