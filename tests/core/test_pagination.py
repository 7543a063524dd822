import contextlib
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.core.errors import InvalidInput
from casework.core.pagination import decode_cursor, encode_cursor


@given(
    # hypothesis takes naive bounds and attaches the zone itself.
    moment=st.datetimes(timezones=st.just(UTC), min_value=datetime(2000, 1, 1)),  # noqa: DTZ001
    record_id=st.uuids(),
)
def test_cursor_round_trips(moment: datetime, record_id: uuid.UUID) -> None:
    assert decode_cursor(encode_cursor(moment, record_id)) == (moment, record_id)


@given(st.text(max_size=60))
def test_any_garbage_cursor_is_invalid_input_never_a_crash(cursor: str) -> None:
    with contextlib.suppress(InvalidInput):
        decode_cursor(cursor)


def test_naive_cursor_is_refused() -> None:
    import base64
    import json

    raw = base64.urlsafe_b64encode(json.dumps(["2024-01-01T00:00:00", str(uuid.uuid4())]).encode())
    with pytest.raises(InvalidInput):
        decode_cursor(raw.decode())
