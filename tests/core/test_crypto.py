import base64
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from casework.cli import app
from casework.core.config import get_settings
from casework.core.crypto import DecryptionError, build_keyring, key_id_of, new_key_spec
from casework.core.rotation import encrypted_columns

INDEX_KEY = base64.urlsafe_b64encode(b"i" * 32).decode()


def keyring(spec: str, active: str | None = None) -> Any:
    return build_keyring(spec, active, INDEX_KEY)


def test_round_trip_and_key_id() -> None:
    ring = keyring(new_key_spec("k1"))
    stored = ring.encrypt("Aminata Maïga", "persons.full_name")
    assert key_id_of(stored) == "k1"
    assert "Aminata" not in stored
    assert ring.decrypt(stored, "persons.full_name") == "Aminata Maïga"
    # Random nonce: the same plaintext never gives the same ciphertext.
    assert ring.encrypt("Aminata Maïga", "persons.full_name") != stored


def test_tampering_and_misplacing_are_detected() -> None:
    ring = keyring(new_key_spec("k1"))
    stored = ring.encrypt("+223 76 12 34 56", "persons.phone")
    flipped = stored[:-3] + ("A" if stored[-3] != "A" else "B") + stored[-2:]
    with pytest.raises(DecryptionError):
        ring.decrypt(flipped, "persons.phone")
    with pytest.raises(DecryptionError):
        ring.decrypt(stored, "persons.full_name")  # moved into another column
    with pytest.raises(DecryptionError):
        keyring(new_key_spec("k2")).decrypt(stored, "persons.phone")  # key not in the ring


def test_blind_index_is_keyed_and_normalised() -> None:
    ring = keyring(new_key_spec("k1"))
    assert ring.blind_index("mli-gao 123", "p") == ring.blind_index("MLI-GAO123", "p")
    assert ring.blind_index("MLI-GAO123", "p") != ring.blind_index("MLI-GAO123", "q")
    other = build_keyring(new_key_spec("k1"), None, base64.urlsafe_b64encode(b"j" * 32).decode())
    assert other.blind_index("MLI-GAO123", "p") != ring.blind_index("MLI-GAO123", "p")


@pytest.mark.parametrize("spec", ["", "k1", "k1:c2hvcnQ=", "k-1:" + "A" * 43 + "="])
def test_bad_key_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match="key"):
        keyring(spec)


def test_every_identifying_column_is_encrypted() -> None:
    names = {c.name for c in encrypted_columns()}
    assert {
        "persons.registration_number",
        "persons.full_name",
        "persons.phone",
        "sgbv_cases.narrative",
        "referrals.note",
    } <= names


def test_rotate_key_re_encrypts_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'rotate.db'}"
    old, new = new_key_spec("old1"), new_key_spec("new2")
    monkeypatch.setenv("CASEWORK_DATABASE_URL", url)
    monkeypatch.setenv("CASEWORK_ENCRYPTION_KEYS", old)
    get_settings.cache_clear()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["demo"]).exit_code == 0  # persons, a case, notes: all encrypted
    engine = create_engine(url)

    def stored_values() -> dict[str, list[str]]:
        with engine.connect() as connection:
            return {
                column.name: [
                    value
                    for (value,) in connection.execute(
                        text(
                            f"SELECT {column.column.name} FROM {column.table.name} "
                            f"WHERE {column.column.name} IS NOT NULL"
                        )
                    )
                ]
                for column in encrypted_columns()
            }

    before = stored_values()
    assert len(before["persons.full_name"]) >= 1
    assert len(before["sgbv_cases.narrative"]) >= 1
    assert all(v.startswith("v1:old1:") for values in before.values() for v in values)

    monkeypatch.setenv("CASEWORK_ENCRYPTION_KEYS", f"{new},{old}")
    monkeypatch.setenv("CASEWORK_ENCRYPTION_ACTIVE_KEY", "new2")
    get_settings.cache_clear()
    result = runner.invoke(app, ["rotate-key"])
    assert result.exit_code == 0, result.output
    for name, values in before.items():
        assert f"{name}: {len(values)} re-encrypted" in result.output

    after = stored_values()
    assert all(v.startswith("v1:new2:") for values in after.values() for v in values)
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}

    # The old key can go: everything still reads, and reads the same.
    monkeypatch.setenv("CASEWORK_ENCRYPTION_KEYS", new)
    get_settings.cache_clear()
    new_ring = get_settings().keyring()
    old_ring = build_keyring(old, None, get_settings().blind_index_key.get_secret_value())
    contexts = {c.name: c.context for c in encrypted_columns()}
    for name, values in before.items():
        assert sorted(old_ring.decrypt(v, contexts[name]) for v in values) == sorted(
            new_ring.decrypt(v, contexts[name]) for v in after[name]
        )
    # Running it again has nothing left to do.
    again = runner.invoke(app, ["rotate-key"])
    assert "persons.full_name: 0 re-encrypted" in again.output
    engine.dispose()
