"""Fixtures of the browser tests (a live server and one Chromium per session)."""

from tests.web.browser import browser, live_server, visit

__all__ = ["browser", "live_server", "visit"]
