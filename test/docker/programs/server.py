"""A small HTTP service for the docker-mode tests (standard library only).

server.py NAME: listens on $PORT (after $DELAY seconds, default 0) and answers every path with 200
"NAME ok", except /missing (404). With $EXIT set it prints a few lines and exits with that code
instead. With $DATA_FILE set it writes the time of its first start there once, and prints it.
With $GATE set it waits until that file exists before it listens (a readiness a test decides).
"""
import http.server
import os
import sys
import time

name = sys.argv[1]
print(f"{name} starting", flush=True)
if os.environ.get("EXIT"):
    print(f"{name}: loading configuration", flush=True)
    print(f"{name}: fatal: cannot open the database", file=sys.stderr, flush=True)
    sys.exit(int(os.environ["EXIT"]))
data = os.environ.get("DATA_FILE")
if data:
    if not os.path.exists(data):
        with open(data, "w") as f:
            f.write(f"first started {time.time_ns()}")
    with open(data) as f:
        print(f"{name} data: {f.read()}", flush=True)
time.sleep(float(os.environ.get("DELAY", "0")))
gate = os.environ.get("GATE")
if gate:
    print(f"{name} waiting for {gate}", flush=True)
    while not os.path.exists(gate):
        time.sleep(0.1)
port = int(os.environ["PORT"])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status = 404 if self.path == "/missing" else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(f"{name} {'ok' if status == 200 else 'missing'}".encode())

    def log_message(self, *args):
        pass


print(f"{name} listening on {port}", flush=True)
http.server.ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()
