"""Scrapers for the example pipeline: fetch postings, merge them, store them in MongoDB.

The helpers here are shared by the board-specific modules; they use only the stdlib.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from datetime import datetime, timezone
from urllib.parse import urlencode

TIMEOUT_SECONDS = 10.0


class JobBoardError(RuntimeError):
    """The job board could not be reached or answered with an error."""


def jobboard_url() -> str:
    url = os.environ.get("JOBBOARD_URL")
    if not url:
        raise JobBoardError("JOBBOARD_URL is not set (pulpo sets it from services.jobboard.url)")
    return url.rstrip("/")


def get_json(path: str, **query: object) -> object:
    """GET ``$JOBBOARD_URL{path}?{query}`` and decode the JSON body."""
    url = f"{jobboard_url()}{path}"
    if query:
        url += "?" + urlencode(query)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.load(response)
    except urllib.error.HTTPError as err:
        body = err.read(500).decode("utf-8", "replace")
        raise JobBoardError(f"GET {url} failed: HTTP {err.code} {err.reason}: {body}") from err
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise JobBoardError(f"GET {url} failed: {reason}") from err
    except ValueError as err:
        raise JobBoardError(f"GET {url} returned invalid JSON: {err}") from err


def now_iso() -> str:
    """The current time as an ISO 8601 UTC timestamp, e.g. 2024-05-01T09:00:00Z."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def posting(*, url: str, title: str, company: str, source: str, fetched_at: str) -> dict:
    """The normalised shape every scraper returns (see datamodels.jobs in pulpo.yaml)."""
    return {
        "url": url,
        "title": title,
        "company": company,
        "source": source,
        "fetched_at": fetched_at,
    }
