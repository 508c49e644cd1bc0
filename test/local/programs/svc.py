"""
A configurable service for the local-backend tests: it sleeps, listens, prints, crashes.

Every step it takes is appended to ./events.log as `<monotonic ns> <name> <event> <pid> <pgid> [detail]`,
so a test can compare the order of things across processes (CLOCK_MONOTONIC is system-wide on
Linux). It records an event *before* making it observable (ready before it listens or prints the
ready line), so "dependent started after ready" holds exactly when pulpo waited.
"""
import argparse
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time

p = argparse.ArgumentParser()
p.add_argument("name")
p.add_argument("--lines", type=int, default=0, help="print this many numbered lines first")
p.add_argument("--wait-file", action="append", default=[], help="wait until this file exists before becoming ready")
p.add_argument("--delay", type=float, default=0, help="sleep this long before becoming ready")
p.add_argument("--exit", type=int, help="exit with this code (after --delay) instead of becoming ready")
p.add_argument("--http", type=int, help="become ready by serving HTTP on this port (/health is 200, 503 once ./NAME.sick exists)")
p.add_argument("--tcp", type=int, help="become ready by listening on this TCP port")
p.add_argument("--ready-line", help="become ready by printing this line")
p.add_argument("--ready-file", action="store_true", help="become ready by creating ./NAME.ready")
p.add_argument("--crash-when", help="once ready, wait until this file exists and then exit with --crash-code")
p.add_argument("--crash-code", type=int, default=1)
p.add_argument("--child", action="store_true", help="start a `sleep` child in this process group")
p.add_argument("--ignore-term", action="store_true", help="ignore SIGTERM (to be SIGKILLed)")
p.add_argument("--tick", type=float, help="once ready, print `NAME tick N` this often")
p.add_argument("--data", action="store_true", help="count runs in $PULPO_DATA_DIR/runs and record the count")
p.add_argument("--print-env", action="append", default=[], help="print NAME=value of this environment variable")
a = p.parse_args()


def record(event, detail=""):
    line = f"{time.monotonic_ns()} {a.name} {event} {os.getpid()} {os.getpgid(0)} {detail}".rstrip() + "\n"
    fd = os.open("events.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def on_term(signum, frame):
    record("term")
    if a.ignore_term:
        return
    record("stop")
    os._exit(0)


def on_other(signum, frame):
    record("signal", signal.Signals(signum).name)
    record("stop")
    os._exit(0)


signal.signal(signal.SIGTERM, on_term)
for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(sig, on_other)
record("start")
open(f"{a.name}.started", "w").close()

if a.data:
    path = os.path.join(os.environ["PULPO_DATA_DIR"], "runs")
    runs = int(open(path).read()) + 1 if os.path.exists(path) else 1
    with open(path, "w") as f:
        f.write(str(runs))
    record("data", str(runs))

for name in a.print_env:
    print(f"{name}={os.environ.get(name, '')}", flush=True)

for i in range(1, a.lines + 1):
    print(f"{a.name} line {i}", flush=True)

if a.child:
    child = subprocess.Popen(["sleep", "1000"])
    record("child", str(child.pid))

for f in a.wait_file:
    while not os.path.exists(f):
        time.sleep(0.02)
if a.delay:
    time.sleep(a.delay)

if a.exit is not None:
    record("exit", str(a.exit))
    print(f"{a.name} exiting with {a.exit}", flush=True)
    sys.exit(a.exit)

record("ready")
if a.http:

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            sick = os.path.exists(f"{a.name}.sick")
            self.send_response(503 if sick or self.path != "/health" else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", a.http), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
if a.tcp:
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", a.tcp))
    listener.listen()
if a.ready_file:
    open(f"{a.name}.ready", "w").close()
if a.ready_line:
    print(a.ready_line, flush=True)

if a.crash_when is not None:
    while not os.path.exists(a.crash_when):
        time.sleep(0.02)
    record("exit", str(a.crash_code))
    sys.exit(a.crash_code)

n = 0
while True:
    if a.tick:
        n += 1
        print(f"{a.name} tick {n}", flush=True)
        time.sleep(a.tick)
    else:
        time.sleep(1000)
