"""Spectral (from the npm registry) on the OpenAPI document.

``spectral:oas`` must find nothing, not even a warning. The OWASP API security
ruleset finds things we decided against (rate-limit headers on every response,
CORS headers, length limits on response fields ...): each rule it reports must be
answered in docs/http.md, so a new kind of finding fails here until it is fixed
or answered. Spectral is installed on first use into ``.tools/`` (npm).
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
TOOLS = ROOT / ".tools"
SPECTRAL = TOOLS / "node_modules" / ".bin" / "spectral"
OWASP = TOOLS / "node_modules" / "@stoplight" / "spectral-owasp-ruleset" / "dist" / "ruleset.mjs"
PACKAGES = ["@stoplight/spectral-cli@6.16.3", "@stoplight/spectral-owasp-ruleset@2.0.1"]


@pytest.fixture(scope="session")
def spectral() -> Path:
    TOOLS.mkdir(exist_ok=True)
    with (TOOLS / ".lock").open("w") as lock:  # one install, however many test workers
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (SPECTRAL.exists() and OWASP.exists()):
            npm = shutil.which("npm")
            if npm is None:
                pytest.fail("npm is needed to install Spectral (Node.js 18 or newer)")
            subprocess.run(
                [npm, "install", "--prefix", str(TOOLS), "--no-audit", "--no-fund", *PACKAGES],
                check=True,
                capture_output=True,
                timeout=600,
            )
    return SPECTRAL


def lint(spectral: Path, document_file: Path, ruleset: str) -> list[dict[str, object]]:
    rules = document_file.parent / f"{ruleset.replace(':', '-').replace('/', '-')}.yaml"
    rules.write_text(f'extends: ["{ruleset}"]\n')
    result = subprocess.run(
        [
            str(spectral),
            "lint",
            "--ruleset",
            str(rules),
            "--format",
            "json",
            "--quiet",
            "--fail-severity",
            "hint",
            str(document_file),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout or "[]")  # type: ignore[no-any-return]


def test_spectral_oas_finds_nothing(spectral: Path, document_file: Path) -> None:
    findings = lint(spectral, document_file, "spectral:oas")
    assert [(f["code"], f["message"], f["path"]) for f in findings] == []


def test_every_owasp_finding_is_answered_in_the_docs(spectral: Path, document_file: Path) -> None:
    findings = lint(spectral, document_file, str(OWASP))
    docs = (ROOT / "docs" / "http.md").read_text()
    unanswered = sorted({str(f["code"]) for f in findings if str(f["code"]) not in docs})
    assert unanswered == []
