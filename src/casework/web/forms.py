"""Forms: posted fields into the API's own write models, errors back beside the fields."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from casework.core.errors import InvalidInput, ProblemError, invalid_from_pydantic
from casework.web.i18n import Translator

M = TypeVar("M", bound=BaseModel)


class FormInvalid(InvalidInput):
    """Fields that do not fit the write model, with messages in the reader's language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in errors.items()))
        self.field_messages = errors


def _message(t: Translator, kind: str, raw: str) -> str:
    if kind == "missing":
        return t.gettext("Required.")
    if kind in ("enum", "literal_error"):
        return t.gettext("Choose one of the options.")
    if kind.startswith("date") or kind.startswith("datetime"):
        return t.gettext("Give a date.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return t.gettext("Give a whole number.")
    if kind in ("greater_than_equal", "greater_than"):
        return t.gettext("Too small.")
    if kind in ("less_than_equal", "less_than"):
        return t.gettext("Too large.")
    if kind == "string_too_long":
        return t.gettext("Too long.")
    if kind in ("string_too_short", "too_short"):
        return t.gettext("Required.")
    if kind == "string_pattern_mismatch":
        return t.gettext("Not in the expected form.")
    if kind == "admin2":
        return t.gettext("This cercle is not in the chosen region.")
    if kind == "region":
        return t.gettext("Not a region of this country.")
    if "future" in raw:
        return t.gettext("Cannot be in the future.")
    if kind == "password":
        return t.gettext("Too short.")
    return t.gettext("This value is not valid.")


def translate(t: Translator, exc: ProblemError) -> dict[str, str]:
    """``{"field": "message in the reader's language"}`` from a problem's errors."""
    found: dict[str, str] = {}
    for error in exc.errors or []:
        loc = [str(part) for part in error.get("loc", []) if part not in ("body",)]
        name = ".".join(loc[:2]) if loc[:1] == ["victims"] else loc[0] if loc else ""
        found.setdefault(name, _message(t, str(error.get("type", "")), str(error.get("msg", ""))))
    if not found:
        found[""] = exc.detail
    return found


def validate(t: Translator, model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise FormInvalid(translate(t, invalid_from_pydantic(exc))) from None


def text(form: FormData, name: str) -> str | None:
    """A text field, stripped; an empty field is None (the API's "not given")."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def many(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]
