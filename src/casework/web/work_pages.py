"""The home page: the caller's work, per role, from the same services as the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from casework.core.db import SessionDep
from casework.incidents import service as incident_service
from casework.incidents.schemas import IncidentQuery
from casework.notifications import service as notification_service
from casework.reference.vocabularies import IncidentStatus, ReferralStatus, Role
from casework.referrals import service as referral_service
from casework.referrals.schemas import ReferralQuery
from casework.web.core import WebDep, WebRoute

router = APIRouter(route_class=WebRoute, include_in_schema=False)

R = ReferralStatus
WAITING_ON_ACTOR = [R.sent, R.acknowledged, R.accepted, R.in_progress]


@router.get("/")
def home(session: SessionDep, web: WebDep) -> HTMLResponse:
    principal = web.me
    _ = web.t.gettext
    blocks: list[dict[str, Any]] = []

    def referrals(title: str, empty: str, **filters: Any) -> None:
        rows, _cursor = referral_service.list_readable(
            session, principal, ReferralQuery(limit=50, **filters)
        )
        items = [referral_service.to_read(session, principal, r) for r in rows]
        blocks.append({"kind": "referrals", "title": title, "empty": empty, "items": items})

    def incidents(title: str, empty: str, **filters: Any) -> None:
        rows, _cursor = incident_service.list_readable(
            session, principal, IncidentQuery(limit=20, **filters)
        )
        blocks.append({"kind": "incidents", "title": title, "empty": empty, "items": rows})

    role = principal.role
    if role is Role.actor_focal_point:
        referrals(
            _("Referrals waiting on your organisation"),
            _("No referral is waiting."),
            status=WAITING_ON_ACTOR,
        )
    if role in (Role.caseworker, Role.gbv_caseworker, Role.supervisor):
        referrals(_("Overdue referrals"), _("No referral is overdue."), overdue=True)
    if role in (Role.caseworker, Role.gbv_caseworker):
        referrals(_("Declined referrals"), _("No referral was declined."), status=[R.declined])
        referrals(_("Drafts to send"), _("No draft."), status=[R.draft])
    if role is Role.supervisor:
        incidents(
            _("Incidents to verify"),
            _("No incident waits for verification."),
            status=IncidentStatus.submitted,
        )
        notes = notification_service.inbox(session, principal, limit=20)
        blocks.append(
            {
                "kind": "inbox",
                "title": _("Overdue inbox"),
                "empty": _("Nothing new."),
                "items": notes,
            }
        )
    if role is Role.monitor:
        incidents(_("Your organisation's latest incidents"), _("No incident yet."))
    return web.render("home.html", title=_("My work"), blocks=blocks)
