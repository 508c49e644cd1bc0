"""Operation scraping.store: upsert the merged postings into MongoDB (collection ``jobs``)."""

from __future__ import annotations

import os

from pymongo import MongoClient


def store(merge: list) -> dict:
    """Upsert each posting by url into ``$JOBS_DATABASE.jobs`` at ``$JOBS_MONGO_URL``."""
    inserted = updated = 0
    with MongoClient(os.environ["JOBS_MONGO_URL"], serverSelectionTimeoutMS=5000) as client:
        jobs = client[os.environ["JOBS_DATABASE"]]["jobs"]
        for job in merge:
            doc = {key: value for key, value in job.items() if key != "_id"}
            result = jobs.update_one({"url": doc["url"]}, {"$set": doc}, upsert=True)
            if result.upserted_id is not None:
                inserted += 1
            else:
                updated += 1
    return {"stored": inserted + updated, "inserted": inserted, "updated": updated}
