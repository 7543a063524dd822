"""API routes whose synchronous endpoints cost one hop to the thread pool, not two.

FastAPI runs a synchronous endpoint in a worker thread, then sends the validation of what
it returned (``response_model``) to a worker thread again. Each hop costs a request about
0.1 ms here (two thread switches and the event loop's wake-up), and validation is CPU
work that holds the GIL wherever it runs, so the second hop buys nothing. ``OneHopRoute``
hands FastAPI a coroutine that runs the endpoint in a worker thread itself: FastAPI then
validates the answer where it is, as it does for ``async def`` endpoints.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool


class OneHopRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, in_one_hop(endpoint), **kwargs)


def in_one_hop(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """A synchronous endpoint as a coroutine running it in a worker thread (its signature,
    which FastAPI reads for the dependencies, is the endpoint's); others unchanged."""
    if (
        inspect.iscoroutinefunction(endpoint)
        or inspect.isgeneratorfunction(endpoint)
        or inspect.isasyncgenfunction(endpoint)
        or not inspect.isfunction(endpoint)
    ):
        return endpoint

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return run


def api_router(**kwargs: Any) -> APIRouter:
    """An ``APIRouter`` of ``OneHopRoute``s: what every API domain uses."""
    return APIRouter(route_class=OneHopRoute, **kwargs)
