"""GBVIMS: the intake data of an SGBV case and the classification tool's rules.

The GBVIMS classification tool names one GBV type per incident by asking six
questions in a fixed order; the first "yes" decides, whatever the later answers
(an incident with penetration is rape even if there was also physical assault).
An incident answering "no" to all six is not GBV and is no SGBV case here: it is
recorded as a protection incident. casework derives ``gbv_type`` from the answers
when they are given and refuses a ``gbv_type`` that contradicts them, so the same
facts always give the same type across caseworkers and organisations, which is
what makes statistics shared under an information-sharing protocol comparable.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from casework.core.errors import InvalidInput
from casework.reference.vocabularies import GbvType

# The tool's questions, in its order, and the type a "yes" gives.
QUESTIONS: tuple[tuple[str, GbvType, str], ...] = (
    (
        "penetration",
        GbvType.rape,
        "Did the act include penetration, even slight, of the vagina, anus or mouth with "
        "a penis or other body part, or of the vagina or anus with an object?",
    ),
    (
        "unwanted_sexual_contact",
        GbvType.sexual_assault,
        "Did the act include unwanted sexual contact without penetration?",
    ),
    (
        "physical_assault",
        GbvType.physical_assault,
        "Did the act involve physical violence that is not sexual in nature?",
    ),
    ("forced_marriage", GbvType.forced_marriage, "Was the act a forced marriage?"),
    (
        "denial_of_resources",
        GbvType.denial_of_resources,
        "Did the act involve the denial of resources, opportunities or services?",
    ),
    (
        "psychological_abuse",
        GbvType.psychological_abuse,
        "Did the act involve psychological or emotional abuse?",
    ),
)
ANSWER_NAMES = tuple(name for name, _, _ in QUESTIONS)


def classify(answers: dict[str, bool]) -> GbvType | None:
    """The GBV type the answers give; None when they describe no GBV."""
    for name, gbv_type, _ in QUESTIONS:
        if answers.get(name):
            return gbv_type
    return None


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(
        message, errors=[{"loc": ["body", field], "msg": message, "type": "value_error"}]
    )


def settle_type(answers: dict[str, bool] | None, claimed: str | None) -> str:
    """The case's gbv_type: derived from the answers, checked against a claimed type.

    Without answers the claimed type stands (cases recorded before the tool, and
    clients of the first version of the API); without either, nothing stands.
    """
    if answers is None:
        if claimed is None:
            raise _invalid("gbv_type", "Give gbv_type or the classification tool's answers.")
        return claimed
    derived = classify(answers)
    if derived is None:
        raise _invalid(
            "classification",
            "The answers describe no GBV incident: record it as a protection incident.",
        )
    if claimed is not None and claimed != derived.value:
        raise _invalid(
            "gbv_type",
            f"The classification tool's answers give {derived.value}, not {claimed}.",
        )
    return derived.value


# The GBVIMS reporting-delay bands (days from the incident to the first report).
DELAY_BANDS: tuple[tuple[int, str], ...] = (
    (3, "0-3 days"),
    (5, "4-5 days"),
    (14, "6-14 days"),
    (30, "2 weeks-1 month"),
)


def reporting_delay(occurred_on: date, first_reported_on: date | None) -> tuple[int, str] | None:
    """Days between the incident and its first report, and the GBVIMS band they fall in."""
    if first_reported_on is None:
        return None
    days = (first_reported_on - occurred_on).days
    for limit, band in DELAY_BANDS:
        if days <= limit:
            return days, band
    return days, "over 1 month"


def check_report_date(occurred_on: date, first_reported_on: date | None) -> None:
    if first_reported_on is not None and first_reported_on < occurred_on:
        raise _invalid("first_reported_on", "The first report cannot come before the incident.")


def intake_values(fields: dict[str, Any]) -> dict[str, Any]:
    """Enum members to their stored strings, the classification answers to a plain dict."""
    stored: dict[str, Any] = {}
    for name, value in fields.items():
        if name == "classification" and value is not None:
            stored[name] = {key: bool(value.get(key)) for key in ANSWER_NAMES}
        else:
            stored[name] = getattr(value, "value", value)
    return stored
