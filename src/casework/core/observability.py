"""Structured JSON logs with the request id, an access log by route template, and metrics.

Nothing here logs a query string, a body or a header: they can carry names,
registration numbers, passwords or tokens. Requests are logged and counted by
their route *template* (``/api/v1/persons/{person_id}``), never their path.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from casework.core.context import request_id_var

REQUESTS = Counter("casework_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "casework_http_request_duration_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
access_log = logging.getLogger("casework.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


_base_factory = logging.getLogRecordFactory()


def _record_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
    # Taken when the record is made, in the request's context, not when it is formatted.
    record = _base_factory(*args, **kwargs)
    record.request_id = request_id_var.get()
    return record


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for casework and uvicorn's error log (idempotent)."""
    logging.setLogRecordFactory(_record_with_request_id)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.set_name("casework-json")
    for name in ("casework", "uvicorn.error"):
        logger = logging.getLogger(name)
        if not any(h.get_name() == "casework-json" for h in logger.handlers):
            logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = name == "casework"  # let pytest's caplog see casework's records


# The method label takes these values and "other": an invented method
# (``curl -X M123``) must not mint a new time series.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "other"


def observe(
    method: str,
    route: str,
    status: int,
    seconds: float,
    *,
    client_request_id: str | None = None,
) -> None:
    label = method_label(method)
    REQUESTS.labels(label, route, str(status)).inc()
    LATENCY.labels(label, route).observe(seconds)
    fields: dict[str, Any] = {
        "method": label,
        "route": route,
        "status": status,
        "duration_ms": round(seconds * 1000, 2),
    }
    if client_request_id:
        fields["client_request_id"] = client_request_id
    access_log.info("%s %s %s", label, route, status, extra={"fields": fields})


def metrics_payload() -> tuple[bytes, str]:
    """The Prometheus exposition; merged across workers when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(), CONTENT_TYPE_LATEST
