"""A fixed random key per record, for the cell-key protection of published counts.

Each record counted by a people dataset (SGBV cases, referrals, counselling sessions,
repatriation files) carries a key drawn once, uniformly in [0, 1), and never changed. It is
stored as an integer numerator over ``RECORD_KEY_SCALE`` so that the database sums keys
exactly (an integer ``SUM`` gives the same result on SQLite and PostgreSQL whatever the order
of the rows, where a floating-point sum may not). A cell's key is the fractional part of the
sum of its records' keys: ``(SUM(record_key) mod RECORD_KEY_SCALE) / RECORD_KEY_SCALE``.
"""

from __future__ import annotations

import secrets

RECORD_KEY_SCALE = 2**31  # keys are k / 2**31, k in [0, 2**31): fits a 32-bit INTEGER


def new_record_key() -> int:
    """A new record's key numerator, from the operating system's secure random source."""
    return secrets.randbelow(RECORD_KEY_SCALE)


def cell_key(key_sum: int) -> float:
    """The cell key in [0, 1) of a cell whose records' key numerators sum to ``key_sum``."""
    return (key_sum % RECORD_KEY_SCALE) / RECORD_KEY_SCALE
