"""`casework kobo pull`: page through the Kobo v2 data API, resumably, with the same mapping.

Pages are ``GET {server}/api/v2/assets/{uid}/data/?format=json&start=N&limit=M`` with
``Authorization: Token ...``, answering ``{"count", "next", "previous", "results"}``.
Each page is stored in one transaction together with the offset reached, so an
interrupted pull resumes after the last stored page; a submission seen twice
(a retry, a push and a pull of the same one) is recognised by its instance id.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from urllib.parse import urlencode

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.core.errors import NotFound
from casework.integrations import kobo
from casework.integrations.models import KoboForm, KoboPullState

SessionProvider = Callable[[], AbstractContextManager[Session]]


def pull(
    provide: SessionProvider,
    *,
    server: str,
    asset: str,
    token: str,
    form_code: str,
    page_size: int = 100,
    progress: Callable[[int, int], None] = lambda done, total: None,
    client: httpx.Client | None = None,
) -> Counter[str]:
    """Fetch every page from where the last pull of this asset stopped; count outcomes."""
    outcome: Counter[str] = Counter()
    http = client or httpx.Client(timeout=60)
    try:
        while True:
            with provide() as session:
                state = session.get(KoboPullState, asset) or KoboPullState(
                    asset_uid=asset, processed=0
                )
                start = state.processed
            query = urlencode({"format": "json", "start": start, "limit": page_size})
            url = f"{server.rstrip('/')}/api/v2/assets/{asset}/data/?{query}"
            response = http.get(url, headers={"Authorization": f"Token {token}"})
            response.raise_for_status()
            page = response.json()
            results = page.get("results") or []
            with provide() as session:
                form = session.scalar(select(KoboForm).where(KoboForm.code == form_code))
                if form is None:
                    raise NotFound(f"No Kobo form {form_code}: create it and its mapping first.")
                for payload in results:
                    received = kobo.receive(session, form, payload)
                    outcome["already there" if received.replay else received.submission.state] += 1
                state = session.get(KoboPullState, asset) or KoboPullState(
                    asset_uid=asset, processed=0
                )
                state.processed = start + len(results)
                state.next_url = page.get("next")
                session.merge(state)
                session.commit()
            progress(start + len(results), int(page.get("count") or 0))
            if not page.get("next") or not results:
                return outcome
    finally:
        if client is None:
            http.close()
