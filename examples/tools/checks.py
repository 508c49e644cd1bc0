"""Operation validate: count the stored jobs and make sure no url is stored twice."""

from __future__ import annotations

import os
from collections import Counter

from pymongo import MongoClient


def validate() -> dict:
    """Return {"count": n, "duplicates": d}; raise ValueError when any url repeats."""
    with MongoClient(os.environ["JOBS_MONGO_URL"], serverSelectionTimeoutMS=5000) as client:
        jobs = client[os.environ["JOBS_DATABASE"]]["jobs"]
        urls = Counter(doc.get("url") for doc in jobs.find({}, {"url": 1, "_id": 0}))
    count = sum(urls.values())
    repeated = sorted(str(url) for url, n in urls.items() if n > 1)
    duplicates = sum(n - 1 for n in urls.values() if n > 1)
    if duplicates:
        raise ValueError(f"{duplicates} duplicate job(s) for url(s): {', '.join(repeated)}")
    return {"count": count, "duplicates": duplicates}
