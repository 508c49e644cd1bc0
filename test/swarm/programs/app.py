# Test programs of the swarm tests: ROLE picks one (db, migrate, api, worker).
import http.server, json, os, socket, sys, time, urllib.request

ROLE = os.environ.get("ROLE", "api")
STARTED = time.time()
PORT = int(os.environ.get("PORT", "8000"))
DATA = os.environ.get("PULPO_DATA_DIR", "/data")


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path == "/health":
            # READY_AFTER: healthy only that many seconds after the start (a rollout that takes a while).
            if os.environ.get("BROKEN") or time.time() - STARTED < float(os.environ.get("READY_AFTER", "0")):
                return self.reply(500, {"ok": False})
            return self.reply(200, {"ok": True})
        if ROLE == "db":
            rows = open(os.path.join(DATA, "rows")).read().split() if os.path.exists(os.path.join(DATA, "rows")) else []
            return self.reply(200, {"rows": rows})
        return self.reply(200, {"version": os.environ.get("VERSION", "1"), "host": socket.gethostname(), "token": bool(os.environ.get("API_TOKEN"))})

    def do_POST(self):
        row = self.path.strip("/")
        with open(os.path.join(DATA, "rows"), "a") as f:
            f.write(row + "\n")
        return self.reply(200, {"added": row})


if ROLE == "migrate":
    urllib.request.urlopen(urllib.request.Request("http://db:7000/migrated", data=b"", method="POST"), timeout=10)
    print("migrated", flush=True)
    sys.exit(int(os.environ.get("FAIL", "0")))
if ROLE == "worker":
    while True:
        try:
            print("worker got", urllib.request.urlopen("http://api:8000/", timeout=5).read().decode(), flush=True)
        except Exception as e:
            print("worker error", e, flush=True)
        time.sleep(5)
if ROLE == "db":
    os.makedirs(DATA, exist_ok=True)
print(f"{ROLE} listening on {PORT}", flush=True)
http.server.ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
