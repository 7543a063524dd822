"""The home page: the caller's work list, from the same service as ``GET /api/v1/me/work``,
and for supervisors their regions at a glance."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from casework.audit import service as audit_service
from casework.auth.principal import Principal
from casework.core.db import SessionDep
from casework.incidents import service as incident_service
from casework.incidents.schemas import IncidentQuery
from casework.notifications import service as notification_service
from casework.persons import service as person_service
from casework.reference.vocabularies import (
    IncidentStatus,
    ReferralStatus,
    Role,
    SgbvCaseStatus,
    TransferStatus,
)
from casework.referrals import service as referral_service
from casework.referrals.schemas import ReferralQuery
from casework.sgbv import service as sgbv_service
from casework.sgbv.schemas import SgbvCaseQuery
from casework.transfers import service as transfer_service
from casework.transfers.schemas import TransferQuery
from casework.web.core import WebDep, WebRoute
from casework.work import service as work_service
from casework.work.schemas import WorkCase

router = APIRouter(route_class=WebRoute, include_in_schema=False)

WORK_LIMIT = 50


@router.get("/")
def home(session: SessionDep, web: WebDep) -> HTMLResponse:
    principal = web.me
    _ = web.t.gettext
    blocks: list[dict[str, Any]] = []
    case_names: dict[uuid.UUID, str] = {}
    role = principal.role

    def block(kind: str, title: str, empty: str, items: list[Any]) -> None:
        blocks.append({"kind": kind, "title": title, "empty": empty, "items": items})

    if role is not Role.reporting:
        # The work list itself: the API's service, section by section.
        queries = work_service.statements(principal, WORK_LIMIT)
        work = work_service.work_list(session, principal, WORK_LIMIT)
        if queries.tasks is not None:
            block("tasks", _("My tasks"), _("No open task."), work.tasks)
        if queries.referrals is not None:
            if role is Role.actor_focal_point:
                title = _("Referrals waiting on your organisation")
                empty = _("No referral is waiting.")
            else:
                title = _("Your referrals to follow up: overdue or declined")
                empty = _("None of your referrals is overdue or declined.")
            block("referrals", title, empty, work.referrals)
        if queries.cases is not None:
            case_names = _case_names(session, principal, work.cases)
            block("cases", _("My open cases"), _("You own no open case."), work.cases)
        if queries.transfers is not None:
            block(
                "transfers",
                _("Transfers waiting for your organisation"),
                _("No transfer is waiting."),
                work.transfers,
            )

    work_list_blocks = len(blocks)

    def referrals(title: str, empty: str, **filters: Any) -> None:
        rows, _cursor = referral_service.list_readable(
            session, principal, ReferralQuery(limit=50, **filters)
        )
        block(
            "referrals",
            title,
            empty,
            [referral_service.to_read(session, principal, r) for r in rows],
        )

    def incidents(title: str, empty: str, **filters: Any) -> None:
        rows, _cursor = incident_service.list_readable(
            session, principal, IncidentQuery(limit=20, **filters)
        )
        block("incidents", title, empty, rows)

    if role in (Role.caseworker, Role.gbv_caseworker):
        referrals(_("Drafts to send"), _("No draft."), status=[ReferralStatus.draft])
    if role is Role.supervisor:
        closures, _cursor = sgbv_service.list_readable(
            session,
            principal,
            SgbvCaseQuery(status=[SgbvCaseStatus.closure_requested], limit=50),
        )
        block(
            "closures",
            _("Closures awaiting your approval"),
            _("No closure is waiting."),
            closures,
        )
        incoming = {t.id for b in blocks if b["kind"] == "transfers" for t in b["items"]}
        pending, _cursor = transfer_service.list_readable(
            session, principal, TransferQuery(status=[TransferStatus.pending], limit=50)
        )
        block(
            "pending_transfers",
            _("Other pending transfers in your regions"),
            _("No other transfer is pending."),
            [transfer_service.to_read(session, t) for t in pending if t.id not in incoming],
        )
        referrals(_("Overdue referrals"), _("No referral is overdue."), overdue=True)
        incidents(
            _("Incidents to verify"),
            _("No incident waits for verification."),
            status=IncidentStatus.submitted,
        )
        block(
            "inbox",
            _("Overdue inbox"),
            _("Nothing new."),
            notification_service.inbox(session, principal, limit=20),
        )
    if role is Role.monitor:
        incidents(_("Your organisation's latest incidents"), _("No incident yet."))
    if role is Role.supervisor:
        # Their regions first: that is what a supervisor opens the page for.
        blocks = blocks[work_list_blocks:] + blocks[:work_list_blocks]
    return web.render("home.html", title=_("My work"), blocks=blocks, case_names=case_names)


def _case_names(
    session: Session, principal: Principal, cases: list[WorkCase]
) -> dict[uuid.UUID, str]:
    """Names (persons) and survivor codes (SGBV cases) of the listed cases: people know
    their cases by these, not by ids. Each is read through its domain's scoped lookup."""
    names: dict[uuid.UUID, str] = {}
    persons = [c.id for c in cases if c.type == "person"]
    for person_id in persons:
        person = person_service.get_readable(session, principal, person_id)
        names[person_id] = person_service.to_read(session, person).full_name
    audit_service.record_reads(session, "persons", persons)
    for case in cases:
        if case.type == "sgbv_case":
            names[case.id] = sgbv_service.get_readable(session, principal, case.id).survivor_code
    return names
