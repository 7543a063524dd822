"""Client-supplied ids make creates safe to retry.

Each created record stores a fingerprint of its validated create body. The same
id with the same body replays the stored record (200); with another body it is
a conflict (409). Fingerprints are keyed (HMAC with the blind-index key) so a
fingerprint of a body that contains a name cannot be used to confirm a guess.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

from casework.core.crypto import keyring


def keyed_fingerprint(body: BaseModel, purpose: str) -> str:
    canonical = json.dumps(
        body.model_dump(mode="json", exclude={"id"}), sort_keys=True, separators=(",", ":")
    )
    return keyring().blind_index(canonical, purpose=f"fingerprint:{purpose}")
