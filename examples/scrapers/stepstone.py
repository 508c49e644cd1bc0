"""Operation scraping.stepstone.fetch: read postings from the StepStone-style board."""

from __future__ import annotations

from scrapers import get_json, now_iso, posting


def fetch(keywords: str) -> list[dict]:
    """Search the board for ``keywords`` and return normalised postings."""
    items = get_json("/stepstone/search", q=keywords)
    if not isinstance(items, list):
        raise ValueError(f"stepstone: expected a JSON list, got {type(items).__name__}")
    fetched_at = now_iso()
    return [
        posting(
            url=item["link"],
            title=item.get("jobTitle", ""),
            company=item.get("companyName", ""),
            source="stepstone",
            fetched_at=fetched_at,
        )
        for item in items
    ]
