"""A synchronous API endpoint costs one hop to the thread pool, its answer's validation
included (core/routing.py), and still runs off the event loop."""

from __future__ import annotations

import threading
from typing import Any

import fastapi.routing
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from casework.core import routing


class Answer(BaseModel):
    thread: str


def hops(monkeypatch: pytest.MonkeyPatch, router: APIRouter) -> tuple[int, dict[str, Any]]:
    """How many times a request went to the thread pool, and what it answered."""
    count = 0
    real = run_in_threadpool

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        return await real(*args, **kwargs)

    monkeypatch.setattr(routing, "run_in_threadpool", counted)
    monkeypatch.setattr(fastapi.routing, "run_in_threadpool", counted)

    @router.get("/answer", response_model=Answer)
    def answer() -> dict[str, str]:
        return {"thread": threading.current_thread().name}

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        loop_thread = client.portal.call(lambda: threading.current_thread().name)  # type: ignore[union-attr]
        body = client.get("/answer").json()
    assert body["thread"] != loop_thread  # the endpoint ran in a worker thread
    return count, body


def test_a_synchronous_endpoint_costs_one_hop(monkeypatch: pytest.MonkeyPatch) -> None:
    assert hops(monkeypatch, routing.api_router())[0] == 1


def test_fastapi_alone_costs_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """What OneHopRoute saves: FastAPI validates a synchronous endpoint's answer in a
    worker thread of its own."""
    assert hops(monkeypatch, APIRouter())[0] == 2


def test_the_endpoint_keeps_its_signature() -> None:
    def endpoint(limit: int = 5) -> int:
        return limit

    wrapped = routing.in_one_hop(endpoint)
    assert wrapped.__wrapped__ is endpoint  # type: ignore[attr-defined]
    assert wrapped.__name__ == "endpoint"


def test_coroutines_and_generators_are_left_alone() -> None:
    async def coroutine() -> None: ...

    def generator() -> Any:
        yield 1

    assert routing.in_one_hop(coroutine) is coroutine
    assert routing.in_one_hop(generator) is generator
