"""The shell examples of docs/case-management.md, run as written against a real server."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.servers import CASEWORK, Cluster

DOC = Path(__file__).resolve().parents[2] / "docs" / "case-management.md"
SECTIONS = ("## Owners and assignment", "## Case lifecycle", "## Transfers")
PASSWORDS = {
    "PW_CASEWORKER": "caseworker",
    "PW_ANSONGO": "caseworker.ansongo",
    "PW_GBV": "gbv.caseworker",
    "PW_SUPERVISOR": "supervisor",
    "PW_MOPTI": "caseworker.mopti",
}


def our_examples() -> str:
    """The ```sh blocks of the three case-management sections, in order."""
    text = DOC.read_text()
    blocks = []
    for heading in SECTIONS:
        start = text.index(heading)
        following = text.find("\n## ", start + len(heading))
        section = text[start : following if following != -1 else len(text)]
        blocks += re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(blocks) == 3
    return "\n".join(blocks)


@pytest.mark.skipif(shutil.which("curl") is None, reason="the examples use curl")
def test_the_examples_work(tmp_path: Path) -> None:
    cluster = Cluster(f"sqlite:///{tmp_path / 'docs.db'}", tmp_path)
    subprocess.run([CASEWORK, "migrate"], env=cluster.env, check=True, capture_output=True)
    demo = subprocess.run(
        [CASEWORK, "demo"], env=cluster.env, check=True, capture_output=True, text=True
    )
    printed = {line.split()[0]: line.split()[-1] for line in demo.stdout.splitlines() if line}
    server = cluster.start(ready_within=180)  # the machine may be busy
    try:
        script = our_examples().replace("http://127.0.0.1:8000", server.url)
        env = {**cluster.env, **{var: printed[user] for var, user in PASSWORDS.items()}}
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
    finally:
        cluster.stop_all()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n") == [
        "caseworker",
        "caseworker",
        "caseworker.ansongo",
        "422",
        "200",
        "409",
        "200",
        "created None open caseworker",
        "assigned open open caseworker",
        "status open closed caseworker.ansongo",
        "status closed open caseworker.ansongo",
        "200",
        "403",
        "200",
        "GAO-2026-002",
        "409",
        "data_sharing",
        "SPP person The family moved to Sévaré.",
        "SPP person (demo) The family moved to Sévaré; please take over.",
        "accepted",
        "caseworker.mopti",
        "404",
        "None pending caseworker.ansongo",
        "pending accepted caseworker.mopti",
        "",
    ]
