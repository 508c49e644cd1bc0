"""Fixture job board: a stdlib HTTP server with deterministic postings.

Run it with ``python -m jobboard.server --port 8900 [--host 127.0.0.1]``.

Endpoints:
  GET /health                             -> {"status": "ok"}
  GET /stepstone/search?q=KEYWORDS        -> [posting, ...]
  GET /linkedin/jobs?keywords=K&page=N    -> {"page": N, "results": [posting, ...]}

Titles and company names carry messy whitespace and casing on purpose so the
cleaning step has something to do, and some URLs appear on both boards so the
merge step has something to dedupe.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

# Postings shown on both boards (same canonical URL) to exercise dedupe.
_SHARED = [
    {
        "url": "https://jobs.example.org/posting/1001",
        "title": "  Senior   Python Developer ",
        "company": "Acme  Data GmbH ",
        "description": "Build data pipelines in Python with MongoDB and Prefect.",
    },
    {
        "url": "https://jobs.example.org/posting/1002",
        "title": "Data Engineer\t(m/w/d)",
        "company": " Nordlicht Analytics",
        "description": "Python, SQL and orchestration of ETL jobs.",
    },
    {
        "url": "https://jobs.example.org/posting/1003",
        "title": "backend ENGINEER  -  python / fastapi",
        "company": "Kraken Systems  ",
        "description": "Design REST APIs with FastAPI; some DevOps.",
    },
]

STEPSTONE = _SHARED + [
    {
        "url": "https://www.stepstone.example/jobs/2001",
        "title": "Machine Learning   Engineer",
        "company": "Bergblick AI",
        "description": "Train and serve models in Python.",
    },
    {
        "url": "https://www.stepstone.example/jobs/2002",
        "title": "\n Frontend Developer (React) ",
        "company": "Pixelwerk",
        "description": "TypeScript and React for dashboards.",
    },
    {
        "url": "https://www.stepstone.example/jobs/2003",
        "title": "DevOps  Engineer   (Kubernetes)",
        "company": " Wolke Sieben  IT",
        "description": "Kubernetes, Terraform, a little Python scripting.",
    },
    {
        "url": "https://www.stepstone.example/jobs/2004",
        "title": "Java Developer",
        "company": "Hanse Software",
        "description": "Spring Boot microservices.",
    },
    {
        "url": "https://www.stepstone.example/jobs/2005",
        "title": "Data  Analyst  ",
        "company": "Marktplatz  Insights",
        "description": "SQL, dashboards and some Python for reporting.",
    },
]

LINKEDIN = [_SHARED[1], _SHARED[0]] + [
    {
        "url": "https://www.linkedin.example/jobs/view/3001",
        "title": "Python   Engineer - Platform",
        "company": "Fjord  Labs",
        "description": "Internal platform tooling in Python.",
    },
    {
        "url": "https://www.linkedin.example/jobs/view/3002",
        "title": " staff DATA engineer",
        "company": "Globex ",
        "description": "Lead the data platform team; Spark and Python.",
    },
    {
        "url": "https://www.linkedin.example/jobs/view/3003",
        "title": "Site Reliability  Engineer",
        "company": "Initech",
        "description": "On-call, observability and Go.",
    },
    {
        "url": "https://www.linkedin.example/jobs/view/3004",
        "title": "Analytics Engineer  (dbt)",
        "company": "  Umbrella  Retail",
        "description": "dbt, SQL and a little Python.",
    },
    {
        "url": "https://www.linkedin.example/jobs/view/3005",
        "title": "Product  Manager Data",
        "company": "Hooli",
        "description": "Own the roadmap for data products.",
    },
    _SHARED[2],
]

LINKEDIN_PAGE_SIZE = 4
POSTED_AT = "2024-05-01T09:00:00Z"


def _matches(posting: dict, keywords: str) -> bool:
    """True when every whitespace-separated keyword occurs in title or description."""
    haystack = (posting["title"] + " " + posting["description"]).lower()
    return all(word in haystack for word in keywords.lower().split())


def stepstone_search(q: str) -> list[dict]:
    return [
        {
            "link": p["url"],
            "jobTitle": p["title"],
            "companyName": p["company"],
            "description": p["description"],
            "datePosted": POSTED_AT,
        }
        for p in STEPSTONE
        if _matches(p, q)
    ]


def linkedin_jobs(keywords: str, page: int) -> dict:
    hits = [p for p in LINKEDIN if _matches(p, keywords)]
    start = (page - 1) * LINKEDIN_PAGE_SIZE
    chunk = hits[start : start + LINKEDIN_PAGE_SIZE] if page >= 1 else []
    return {
        "page": page,
        "total": len(hits),
        "results": [
            {
                "url": p["url"],
                "title": p["title"],
                "company": {"name": p["company"]},
                "description": p["description"],
                "listedAt": POSTED_AT,
            }
            for p in chunk
        ],
    }


class Handler(BaseHTTPRequestHandler):
    server_version = "jobboard-fixture/1.0"

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)

        def arg(name: str, default: str = "") -> str:
            return query.get(name, [default])[0]

        if parts.path == "/health":
            self._send(200, {"status": "ok"})
        elif parts.path == "/stepstone/search":
            self._send(200, stepstone_search(arg("q")))
        elif parts.path == "/linkedin/jobs":
            try:
                page = int(arg("page", "1"))
            except ValueError:
                self._send(400, {"error": "page must be an integer"})
                return
            self._send(200, linkedin_jobs(arg("keywords"), page))
        else:
            self._send(404, {"error": f"no route for {parts.path}"})

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        sys.stdout.write(f"{stamp} jobboard {self.address_string()} {format % args}\n")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Fixture job board for the pulpo example")
    parser.add_argument("--port", type=int, default=8900)
    # BIND_HOST lets a container default to 0.0.0.0 (see Dockerfile); 127.0.0.1 otherwise.
    parser.add_argument("--host", default=os.environ.get("BIND_HOST", "127.0.0.1"))
    args = parser.parse_args(argv)

    httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    # Exit cleanly on SIGTERM (how supervisors stop services), like on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"jobboard listening on http://{args.host}:{args.port}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
