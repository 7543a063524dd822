"""The running service delivers the outbox too: one background thread per process.

Every ``CASEWORK_NOTIFICATION_POLL_SECONDS`` it runs the same ``deliver_due`` as
``casework deliver-notifications``; several processes (or machines) share the
work safely, each event being taken under a row lock the others skip.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from casework.core.config import Settings
from casework.core.db import session_factory
from casework.notifications import service as notification_service

logger = logging.getLogger("casework.notifications")


def start_delivery_loop(settings: Settings) -> Callable[[], None]:
    """Start delivering in the background; returns the function that stops it."""
    interval = settings.notification_poll_seconds
    if interval <= 0:
        return lambda: None
    stop = threading.Event()

    def run() -> None:
        post = notification_service.http_poster()
        while not stop.wait(interval):
            try:
                outcome = notification_service.deliver_due(session_factory(), post)
            except Exception:  # keep delivering after a database hiccup
                logger.exception("notification delivery failed; retrying later")
                continue
            if outcome:
                logger.info("notifications delivered: %s", dict(outcome))

    thread = threading.Thread(target=run, name="casework-notifications", daemon=True)
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(timeout=interval + 30)

    return halt
