"""The receiver's verification snippet in the API guide agrees with what casework sends."""

import re
import time
from pathlib import Path
from typing import Any

from casework.notifications.service import sign

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def test_api_guide_verification_snippet() -> None:
    code = re.search(r"```python\n(import hashlib.*?)```", GUIDE.read_text(), re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)  # noqa: S102 - our own guide
    verify = namespace["verify"]
    secret, body = "receiver-secret-" + "r" * 30, b'{"type":"referral.sent"}'
    header = sign(secret, int(time.time()), body)
    assert verify(secret, header, body)
    assert not verify(secret, header, body + b" ")
    assert not verify("another-" + secret, header, body)
    stale = sign(secret, int(time.time()) - 3600, body)
    assert not verify(secret, stale, body)
