"""Serve index.html and proxy /api/* to $API_URL, so the page needs no CORS or port.

Run it with ``python -m ui.server --port 3000 [--host 127.0.0.1]`` (API_URL must be set).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

INDEX = Path(__file__).with_name("index.html")
PROXY_TIMEOUT_SECONDS = 10.0


class Handler(BaseHTTPRequestHandler):
    server_version = "pulpo-ui/1.0"
    api_url = ""  # set in main()

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            self._send(200, INDEX.read_bytes(), "text/html; charset=utf-8")
        elif path == "/api" or path.startswith("/api/"):
            self._proxy()
        else:
            self._send(404, b"not found\n", "text/plain; charset=utf-8")

    do_HEAD = do_GET

    def _proxy(self) -> None:
        target = self.api_url + self.path[len("/api") :]
        request = urllib.request.Request(target, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=PROXY_TIMEOUT_SECONDS) as response:
                status, body = response.status, response.read()
                content_type = response.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as err:  # pass the API's own error through
            status, body = err.code, err.read()
            content_type = err.headers.get("Content-Type", "application/json")
        except (urllib.error.URLError, TimeoutError, OSError) as err:
            reason = getattr(err, "reason", err)
            msg = {"detail": f"API at {self.api_url} unreachable: {reason}"}
            status, body, content_type = 502, json.dumps(msg).encode("utf-8"), "application/json"
        self._send(status, body, content_type)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        sys.stdout.write(f"{stamp} ui {self.address_string()} {format % args}\n")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="UI for the pulpo example")
    parser.add_argument("--port", type=int, default=3000)
    # BIND_HOST lets a container default to 0.0.0.0 (see Dockerfile); 127.0.0.1 otherwise.
    parser.add_argument("--host", default=os.environ.get("BIND_HOST", "127.0.0.1"))
    args = parser.parse_args(argv)

    api_url = os.environ.get("API_URL", "").rstrip("/")
    if not api_url:
        parser.error("API_URL is not set (pulpo sets it from services.api.url)")
    Handler.api_url = api_url

    httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"ui listening on http://{args.host}:{args.port} (API at {api_url})", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
