"""FastAPI app over the ``jobs`` collection.

Run with ``python -m uvicorn api.main:app --port 8000`` from examples/.
Reads JOBS_MONGO_URL, JOBS_DATABASE and LOG_LEVEL from the environment.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Query
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import PyMongoError

# LOG_LEVEL sets this app's logger only: at debug the root logger would also turn on
# pymongo's very chatty command logging. Uvicorn's own logs follow its --log-level.
log = logging.getLogger("api")
log.setLevel(os.environ.get("LOG_LEVEL", "info").upper())
if not log.handlers:
    _handler = logging.StreamHandler()
    _handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(_handler)
    log.propagate = False

_client: MongoClient | None = None
_client_lock = threading.Lock()


def client() -> MongoClient:
    """The process-wide MongoClient, created on first use (so the app imports without Mongo)."""
    global _client
    with _client_lock:
        if _client is None:
            url = os.environ.get("JOBS_MONGO_URL", "mongodb://127.0.0.1:27017")
            log.debug("connecting to %s", url)
            _client = MongoClient(url, serverSelectionTimeoutMS=2000)
        return _client


def jobs() -> Collection:
    return client()[os.environ.get("JOBS_DATABASE", "jobs")]["jobs"]


def _filter(source: str | None, q: str | None) -> dict:
    query: dict = {}
    if source:
        query["source"] = source
    if q:
        pattern = {"$regex": re.escape(q), "$options": "i"}
        query["$or"] = [{"title": pattern}, {"company": pattern}]
    return query


@asynccontextmanager
async def lifespan(_app: FastAPI):
    yield
    global _client
    if _client is not None:  # close the client on shutdown
        _client.close()
        _client = None


app = FastAPI(title="pulpo jobs API", lifespan=lifespan)


@app.get("/health")
def health() -> dict:
    try:
        client().admin.command("ping")
    except PyMongoError as err:
        log.warning("health: mongo unreachable: %s", err)
        raise HTTPException(status_code=503, detail=f"mongo unreachable: {err}") from err
    return {"status": "ok"}


@app.get("/jobs")
def list_jobs(
    source: str | None = Query(None, description="stepstone or linkedin"),
    q: str | None = Query(None, description="case-insensitive text in title or company"),
) -> list[dict]:
    query = _filter(source, q)
    log.debug("GET /jobs %s", query)
    try:
        return list(jobs().find(query, {"_id": 0}).sort("title", 1))
    except PyMongoError as err:
        raise HTTPException(status_code=503, detail=f"mongo error: {err}") from err


@app.get("/jobs/count")
def count_jobs(source: str | None = None, q: str | None = None) -> dict:
    try:
        return {"count": jobs().count_documents(_filter(source, q))}
    except PyMongoError as err:
        raise HTTPException(status_code=503, detail=f"mongo error: {err}") from err
