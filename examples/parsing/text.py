"""Operations parsing.clean_text and parsing.validate over the ``jobs`` collection."""

from __future__ import annotations

import os
import re

from pymongo import MongoClient

SOURCES = ("stepstone", "linkedin")
CLEANED_FIELDS = ("title", "company")
_WHITESPACE = re.compile(r"\s+")


def _client() -> MongoClient:
    return MongoClient(os.environ["JOBS_MONGO_URL"], serverSelectionTimeoutMS=5000)


def clean_value(value: object) -> object:
    """Collapse runs of whitespace (spaces, tabs, newlines) to one space and strip the ends."""
    if not isinstance(value, str):
        return value
    return _WHITESPACE.sub(" ", value).strip()


def clean() -> dict:
    """Clean title and company of every job; write back only the documents that changed."""
    cleaned = total = 0
    with _client() as client:
        jobs = client[os.environ["JOBS_DATABASE"]]["jobs"]
        for doc in list(jobs.find({}, {field: 1 for field in CLEANED_FIELDS})):
            total += 1
            changes = {}
            for field in CLEANED_FIELDS:
                if field in doc:
                    value = clean_value(doc[field])
                    if value != doc[field]:
                        changes[field] = value
            if changes:
                jobs.update_one({"_id": doc["_id"]}, {"$set": changes})
                cleaned += 1
    return {"cleaned": cleaned, "total": total}


def _problems(doc: dict) -> list[str]:
    problems = []
    for field in ("url", "title", "source"):
        value = doc.get(field)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"missing {field}")
    if doc.get("source") and doc.get("source") not in SOURCES:
        problems.append(f"unknown source {doc.get('source')!r}")
    return problems


def validate(clean_text: dict) -> dict:
    """Check every job has a non-empty url, title and a known source.

    ``clean_text`` is the result of parsing.clean_text; it orders this step after it.
    Raises ValueError naming the bad urls when any job is invalid.
    """
    valid = 0
    invalid: list[str] = []
    reasons: list[str] = []
    with _client() as client:
        jobs = client[os.environ["JOBS_DATABASE"]]["jobs"]
        for doc in jobs.find({}, {"url": 1, "title": 1, "source": 1}):
            problems = _problems(doc)
            if problems:
                label = doc.get("url") or f"<no url, _id={doc['_id']}>"
                invalid.append(label)
                reasons.append(f"{label} ({', '.join(problems)})")
            else:
                valid += 1
    if invalid:
        raise ValueError(f"{len(invalid)} invalid job(s): " + "; ".join(reasons))
    return {"valid": valid, "invalid": invalid}
