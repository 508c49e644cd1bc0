"""Operation scraping.linkedin.fetch: read paged postings from the LinkedIn-style board."""

from __future__ import annotations

from scrapers import get_json, now_iso, posting


def fetch(keywords: str, pages: int = 1) -> list[dict]:
    """Read up to ``pages`` result pages for ``keywords`` and return normalised postings."""
    if pages < 1:
        raise ValueError(f"linkedin: pages must be >= 1, got {pages}")
    fetched_at = now_iso()
    out: list[dict] = []
    for page in range(1, pages + 1):
        body = get_json("/linkedin/jobs", keywords=keywords, page=page)
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise ValueError(f"linkedin: page {page}: expected {{'results': [...]}}")
        results = body["results"]
        for item in results:
            company = item.get("company") or {}
            out.append(
                posting(
                    url=item["url"],
                    title=item.get("title", ""),
                    company=company.get("name", "") if isinstance(company, dict) else str(company),
                    source="linkedin",
                    fetched_at=fetched_at,
                )
            )
        if not results:  # past the last page: no need to ask for more
            break
    return out
