from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.actors.models import Actor
from casework.actors.schemas import ActorCreate, ActorRead, ActorUpdate
from casework.auth.principal import Principal
from casework.core.config import get_settings
from casework.core.errors import Conflict, InvalidInput, NotFound
from casework.notifications import targets
from casework.reference.vocabularies import Role


def get_by_code(session: Session, code: str) -> Actor | None:
    return session.scalar(select(Actor).where(Actor.code == code.upper()))


def get_or_404(session: Session, code: str) -> Actor:
    actor = get_by_code(session, code)
    if actor is None:
        raise NotFound(f"No actor {code}.")
    return actor


def list_actors(session: Session, *, include_inactive: bool = True) -> list[Actor]:
    stmt = select(Actor).order_by(Actor.code)
    if not include_inactive:
        stmt = stmt.where(Actor.is_active.is_(True))
    return list(session.scalars(stmt))


def create_actor(session: Session, data: ActorCreate) -> Actor:
    if get_by_code(session, data.code) is not None:
        raise Conflict(f"Actor {data.code} already exists.")
    actor = Actor(code=data.code, name=data.name, services=_codes(data.services))
    session.add(actor)
    session.flush()
    return actor


def update_actor(session: Session, actor: Actor, changes: ActorUpdate) -> Actor:
    if changes.name is not None:
        actor.name = changes.name
    if changes.services is not None:
        actor.services = _codes(changes.services)
    if changes.is_active is not None:
        actor.is_active = changes.is_active
    fields = changes.model_fields_set
    if "webhook_url" in fields:
        if changes.webhook_url is not None:
            _check_target(changes.webhook_url)
        actor.webhook_url = changes.webhook_url
    if "webhook_secret" in fields:
        actor.webhook_secret = changes.webhook_secret
    session.flush()
    return actor


def _check_target(url: str) -> None:
    try:
        targets.check(url, allow_loopback=get_settings().webhook_allow_loopback)
    except targets.TargetRefused as exc:
        raise InvalidInput(
            f"This webhook URL is refused: {exc}.",
            errors=[{"loc": ["body", "webhook_url"], "msg": str(exc), "type": "webhook_target"}],
        ) from None


def _codes(services: Iterable[str]) -> list[str]:
    return sorted({str(s) for s in services})


def to_read(actor: Actor, principal: Principal) -> ActorRead:
    """The actor; its webhook URL (where its systems live) for administrators only."""
    return ActorRead(
        id=actor.id,
        code=actor.code,
        name=actor.name,
        services=actor.services,
        is_active=actor.is_active,
        webhook_url=actor.webhook_url if principal.role is Role.admin else None,
        has_webhook_secret=bool(actor.webhook_secret),
        version=actor.version,
        created_at=actor.created_at,
        updated_at=actor.updated_at,
    )
