"""SGBV cases: opening, reading within need-to-know, updating."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.auth import service as auth_service
from casework.auth.principal import Principal
from casework.cases import service as case_service
from casework.core.concurrency import check_if_match
from casework.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from casework.core.idempotency import insert_created, replay_or_conflict
from casework.core.pagination import keyset_page
from casework.persons import service as person_service
from casework.reference.service import check_location
from casework.sgbv import gbvims, permissions
from casework.sgbv.models import SgbvCase
from casework.sgbv.schemas import (
    INTAKE_FIELDS,
    SgbvCaseCreate,
    SgbvCaseQuery,
    SgbvCaseRead,
    SgbvCaseUpdate,
)


def _person_organization(
    session: Session, principal: Principal, person_id: uuid.UUID | None
) -> uuid.UUID | None:
    """The organisation of the person a case is about (None without one)."""
    if person_id is None:
        return None
    try:
        return person_service.get_readable(session, principal, person_id).organization_id
    except NotFound:
        raise InvalidInput(
            "No such person.",
            errors=[{"loc": ["body", "person_id"], "msg": "no such person", "type": "ref"}],
        ) from None


def open_case(
    session: Session, principal: Principal, data: SgbvCaseCreate, code_set: str
) -> tuple[SgbvCase, bool]:
    check_location(data.region, data.admin2, code_set)
    if not permissions.may_open_in(principal, data.region):
        raise Forbidden(f"You may not open SGBV cases in region {data.region}.")
    intake = gbvims.intake_values(data.model_dump(include=set(INTAKE_FIELDS)))
    gbv_type = gbvims.settle_type(
        intake["classification"], data.gbv_type.value if data.gbv_type else None
    )
    gbvims.check_report_date(data.occurred_on, data.first_reported_on)
    # A case about a person belongs to the person's organisation, whoever opens it.
    organization_id = (
        _person_organization(session, principal, data.person_id) or principal.organization_id
    )
    if organization_id is None:
        raise Forbidden("Only members of an organisation open SGBV cases.")
    fingerprint, replayed = replay_or_conflict(
        session, SgbvCase, data, organization_id, "sgbv_cases"
    )
    if replayed is not None:
        return replayed, False
    # Unique within what the caller can see, never beyond: a 409 must not tell anyone that
    # a case they may not read exists. The database backs this per organisation and region.
    if session.scalar(
        select(SgbvCase.id)
        .where(
            SgbvCase.organization_id == organization_id,
            SgbvCase.survivor_code == data.survivor_code,
            permissions.readable(principal),
        )
        .limit(1)
    ):
        raise Conflict(f"Your organisation already has a case for {data.survivor_code}.")
    case = SgbvCase(
        id=data.id or uuid.uuid4(),
        survivor_code=data.survivor_code,
        gbv_type=gbv_type,
        occurred_on=data.occurred_on,
        region=data.region,
        admin2=data.admin2,
        code_set=code_set,
        services_needed=sorted({s.value for s in data.services_needed}),
        narrative=data.narrative,
        person_id=data.person_id,
        organization_id=organization_id,
        created_by_id=principal.user_id,
        owner_id=principal.user_id,
        status="open",
        create_fingerprint=fingerprint,
        **intake,
    )
    # May meet a concurrent twin: the same id, or the same survivor code.
    return insert_created(
        session,
        case,
        case_service.creation_event(case, principal.user_id),
        organization_id=organization_id,
        what="case",
    )


def get_readable(session: Session, principal: Principal, case_id: uuid.UUID) -> SgbvCase:
    case = session.scalar(
        select(SgbvCase).where(SgbvCase.id == case_id, permissions.readable(principal))
    )
    if case is None:
        raise NotFound("No such SGBV case.")
    return case


def list_readable(
    session: Session, principal: Principal, query: SgbvCaseQuery
) -> tuple[list[SgbvCase], str | None]:
    stmt = select(SgbvCase).where(permissions.readable(principal))
    if query.survivor_code:
        stmt = stmt.where(SgbvCase.survivor_code == query.survivor_code)
    if query.region:
        stmt = stmt.where(SgbvCase.region.in_(query.region))
    if query.gbv_type:
        stmt = stmt.where(SgbvCase.gbv_type == query.gbv_type.value)
    if query.occurred_from:
        stmt = stmt.where(SgbvCase.occurred_on >= query.occurred_from)
    if query.occurred_to:
        stmt = stmt.where(SgbvCase.occurred_on <= query.occurred_to)
    owned = case_service.owner_condition(SgbvCase.owner_id, principal, query.owner)
    if owned is not None:
        stmt = stmt.where(owned)
    if query.status:
        stmt = stmt.where(SgbvCase.status.in_([s.value for s in query.status]))
    return keyset_page(
        session,
        stmt,
        created_at=SgbvCase.created_at,
        record_id=SgbvCase.id,
        limit=query.limit,
        cursor=query.cursor,
    )


def update_case(
    session: Session,
    principal: Principal,
    case: SgbvCase,
    changes: SgbvCaseUpdate,
    *,
    if_match: str | None,
    code_set: str,
) -> SgbvCase:
    check_if_match(if_match, case.version)
    case_service.require_open(case, "changing it")
    fields = changes.model_dump(exclude_unset=True)
    if "region" in fields or "admin2" in fields:
        region = fields.get("region", case.region)
        admin2 = fields.get("admin2", case.admin2)
        check_location(region, admin2, code_set)
        if not permissions.may_open_in(principal, region):
            raise Forbidden(f"You may not move SGBV cases to region {region}.")
        if region != case.region and session.scalar(
            select(SgbvCase.id)
            .where(
                SgbvCase.organization_id == case.organization_id,
                SgbvCase.survivor_code == case.survivor_code,
                SgbvCase.region == region,
            )
            .limit(1)
        ):
            # The caller may open cases there, so they may read that case: no leak.
            raise Conflict(f"Your organisation already has a case for {case.survivor_code}.")
        case.code_set = code_set
    if "person_id" in fields:
        owner = _person_organization(session, principal, fields["person_id"])
        if owner is not None and owner != case.organization_id:
            raise InvalidInput(
                "The person belongs to another organisation than the case.",
                errors=[
                    {
                        "loc": ["body", "person_id"],
                        "msg": "another organisation's person",
                        "type": "ref",
                    }
                ],
            )
    if "services_needed" in fields:
        fields["services_needed"] = sorted({str(s) for s in fields["services_needed"]})
    fields.update(gbvims.intake_values({k: v for k, v in fields.items() if k in INTAKE_FIELDS}))
    if "classification" in fields or "gbv_type" in fields:
        # New answers decide the type; the answers on record check a newly claimed one.
        answers = fields.get("classification", case.classification)
        claimed = fields["gbv_type"].value if fields.get("gbv_type") else None
        if answers is None and claimed is None:
            claimed = case.gbv_type  # answers withdrawn: the type stays as it was
        fields["gbv_type"] = gbvims.settle_type(answers, claimed)
    gbvims.check_report_date(
        fields.get("occurred_on", case.occurred_on),
        fields.get("first_reported_on", case.first_reported_on),
    )
    for name, value in fields.items():
        setattr(case, name, value.value if hasattr(value, "value") else value)
    session.flush()
    return case


def to_read(session: Session, case: SgbvCase) -> SgbvCaseRead:
    delay = gbvims.reporting_delay(case.occurred_on, case.first_reported_on)
    return SgbvCaseRead(
        id=case.id,
        survivor_code=case.survivor_code,
        gbv_type=case.gbv_type,
        occurred_on=case.occurred_on,
        region=case.region,
        admin2=case.admin2,
        code_set=case.code_set,
        services_needed=case.services_needed,
        narrative=case.narrative,
        person_id=case.person_id,
        organization=auth_service.organization_code(session, case.organization_id),
        status=case.status,
        **{name: getattr(case, name) for name in INTAKE_FIELDS},
        reporting_delay_days=delay[0] if delay else None,
        reporting_delay=delay[1] if delay else None,
        owner=case.owner_id,
        owner_username=case_service.owner_username(session, case),
        version=case.version,
        created_at=case.created_at,
        updated_at=case.updated_at,
    )
