from __future__ import annotations

from fastapi import APIRouter

from casework.web.core import WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)
