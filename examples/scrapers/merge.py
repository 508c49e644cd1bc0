"""Operation scraping.merge: combine both boards' postings, one per URL."""

from __future__ import annotations


def merge(stepstone: list, linkedin: list) -> list[dict]:
    """Dedupe by url: the first posting seen wins, order is otherwise kept (stepstone first)."""
    seen: set[str] = set()
    merged: list[dict] = []
    for job in [*(stepstone or []), *(linkedin or [])]:
        url = job.get("url")
        if not url or url in seen:
            continue
        seen.add(url)
        merged.append(job)
    return merged
