"""Duplicate persons: keyed name tokens, and candidates within the caller's scope.

Names are encrypted, so the database compares keyed hashes of name codes
(persons/matching.py), never names. Finding candidates for a person:

1. its tokens (indexing it first if it was registered before tokens existed);
2. blocking: the persons the caller may read (``permissions.readable``, the one scope
   rule of persons) sharing a fuzzy token on at least two parts of the name (one for a
   one-part name), plus those with the same registration number or phone index;
3. scoring each in Python from the tokens, the birth year and the sex.

Birth year and sex are compared from the persons table itself: they are stored in
clear there (CONTRACT: only the registration number, name and phone are encrypted),
so keyed copies of them would hide nothing.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from casework.audit import service as audit_service
from casework.auth.principal import Principal
from casework.core.crypto import Keyring, keyring
from casework.persons import matching, permissions
from casework.persons.matching import TokenKind
from casework.persons.models import Person, PersonNameToken

PURPOSE = {kind: f"persons.name.{kind.value}" for kind in TokenKind}
PHONE_INDEX = "persons.phone"

# Default threshold of the candidate list (bench/duplicates.py measures it).
DEFAULT_MIN_SCORE = 0.75
BLOCK_LIMIT = 200  # candidates scored per request, those sharing the most name parts first

# How much a pair of name parts agrees, by the most specific code they share.
LEVELS = {TokenKind.exact: 1.0, TokenKind.phonetic: 0.9, TokenKind.fuzzy: 0.7}
NAME_WEIGHT = 0.6
COMMONNESS_SLOPE = 0.07
BIRTH_YEAR_GAP = {0: 0.25, 1: 0.2, 2: 0.12}


def phone_index(phone: str | None, ring: Keyring | None = None) -> str | None:
    if phone is None:
        return None
    digits = matching.normalised_phone(phone)
    return (ring or keyring()).blind_index(digits, PHONE_INDEX) if digits else None


def name_tokens(full_name: str, ring: Keyring | None = None) -> list[tuple[int, str, str]]:
    """(part, kind, keyed token) for every code of every part of the name."""
    ring = ring or keyring()
    rows: list[tuple[int, str, str]] = []
    for part, codes in enumerate(matching.codes(full_name)):
        by_kind = [(TokenKind.exact, codes.exact), (TokenKind.phonetic, codes.phonetic)]
        by_kind += [(TokenKind.fuzzy, code) for code in codes.fuzzy]
        rows.extend(
            (part, kind.value, ring.blind_index(code, PURPOSE[kind])) for kind, code in by_kind
        )
    return sorted(set(rows))


def set_index_columns(person: Person) -> None:
    """The person's own index columns, from its current values (before it is written, so
    that they go out in the same INSERT or UPDATE: one version per change)."""
    person.phone_index = phone_index(person.phone)
    person.name_index_scheme = matching.SCHEME


def write_tokens(session: Session, person: Person) -> None:
    """(Re)write the person's name tokens (the person's row is in the database)."""
    session.execute(delete(PersonNameToken).where(PersonNameToken.person_id == person.id))
    rows = name_tokens(person.full_name)
    if rows:
        session.execute(
            insert(PersonNameToken),
            [{"person_id": person.id, "part": p, "kind": k, "token": t} for p, k, t in rows],
        )


def index_all(engine: Engine, batch: int = 500, *, everything: bool = False) -> int:
    """Index every person not yet indexed under the current scheme; returns how many.

    ``everything``: every person, as after a change of the blind index key (the stored
    tokens were made with the old one). One batch per transaction, so it can be
    interrupted and run again (with ``everything``, from the start). Writes only the index
    columns (a plain UPDATE): the persons' versions and ETags do not change.
    """
    done = 0
    stale = or_(Person.name_index_scheme.is_(None), Person.name_index_scheme != matching.SCHEME)
    ring = keyring()
    after: uuid.UUID | None = None
    while True:
        with Session(engine) as session, session.begin():
            stmt = select(Person.id, Person.full_name, Person.phone).order_by(Person.id)
            if everything:
                stmt = stmt.where(Person.id > after) if after is not None else stmt
            else:
                stmt = stmt.where(stale)
            rows = session.execute(stmt.limit(batch)).all()
            if not rows:
                return done
            ids = [row.id for row in rows]
            session.execute(delete(PersonNameToken).where(PersonNameToken.person_id.in_(ids)))
            tokens = [
                {"person_id": row.id, "part": p, "kind": k, "token": t}
                for row in rows
                for p, k, t in name_tokens(row.full_name, ring)
            ]
            if tokens:
                session.execute(insert(PersonNameToken), tokens)
            for row in rows:
                session.execute(
                    update(Person)
                    .where(Person.id == row.id)
                    .values(
                        phone_index=phone_index(row.phone, ring),
                        name_index_scheme=matching.SCHEME,
                    )
                    .execution_options(synchronize_session=False)
                )
            done += len(rows)
            after = rows[-1].id


# --- Scoring ------------------------------------------------------------------------------


@dataclass
class PartTokens:
    exact: str = ""
    phonetic: str = ""
    fuzzy: set[str] = field(default_factory=set)

    def level(self, other: PartTokens) -> float:
        if self.exact == other.exact:
            return LEVELS[TokenKind.exact]
        if self.phonetic == other.phonetic:
            return LEVELS[TokenKind.phonetic]
        if self.fuzzy & other.fuzzy:
            return LEVELS[TokenKind.fuzzy]
        return 0.0


NameTokens = dict[int, PartTokens]


def _group(rows: Iterable[tuple[uuid.UUID, int, str, str]]) -> dict[uuid.UUID, NameTokens]:
    grouped: dict[uuid.UUID, NameTokens] = defaultdict(lambda: defaultdict(PartTokens))
    for person_id, part, kind, token in rows:
        holder = grouped[person_id][part]
        if kind == TokenKind.exact:
            holder.exact = token
        elif kind == TokenKind.phonetic:
            holder.phonetic = token
        else:
            holder.fuzzy.add(token)
    return grouped


def name_similarity(a: NameTokens, b: NameTokens) -> tuple[float, bool]:
    """(similarity in [0, 1], every part spelt the same). Parts pair up whatever their order:
    the best pairs first, each part used once. An extra part (a father's name given once
    and not the other time) costs half a part."""
    if not a or not b:
        return 0.0, False
    pairs = sorted(
        ((pa.level(pb), i, j) for i, pa in a.items() for j, pb in b.items()), reverse=True
    )
    used_a: set[int] = set()
    used_b: set[int] = set()
    total = 0.0
    for level, i, j in pairs:
        if level == 0.0:
            break
        if i in used_a or j in used_b:
            continue
        used_a.add(i)
        used_b.add(j)
        total += level
    shorter, longer = sorted((len(a), len(b)))
    similarity = total / (shorter + 0.5 * (longer - shorter))
    same = len(a) == len(b) == len(used_a) and total == len(a) * LEVELS[TokenKind.exact]
    return similarity, same


@dataclass(frozen=True)
class Candidate:
    person_id: uuid.UUID
    score: float
    reasons: list[str]


def commonness_factor(chance: float) -> float:
    """How much a name's agreement counts, given how many persons would share it by chance.

    A rare name agreeing says much; "Mamadou Traoré" agreeing says little, as record
    linkage weighs agreement by frequency (Fellegi and Sunter). ``chance`` is the expected
    number of persons in scope sharing the name's phonetic codes by chance.
    """
    if chance <= 1.0:
        return 1.0
    return 1.0 / (1.0 + COMMONNESS_SLOPE * math.log2(chance))


def score_pair(
    subject: Person,
    other: Person,
    subject_name: NameTokens,
    other_name: NameTokens,
    name_factor: float = 1.0,
) -> Candidate:
    similarity, same_name = name_similarity(subject_name, other_name)
    reasons: list[str] = []
    if same_name:
        reasons.append("same_name")
    elif similarity > 0:
        reasons.append("similar_name")
    score = NAME_WEIGHT * similarity * name_factor
    if subject.birth_year is not None and other.birth_year is not None:
        gap = abs(subject.birth_year - other.birth_year)
        # Ages are often estimated: a year or two apart is still a hint.
        score += BIRTH_YEAR_GAP.get(gap, 0.0)
        if gap == 0:
            reasons.append("same_birth_year")
        elif gap <= 2:
            reasons.append("close_birth_year")
        else:
            score *= 0.9 if gap <= 5 else 0.6
    else:
        score += 0.05  # unknown: hardly for, not against
    if subject.sex in ("female", "male") and other.sex in ("female", "male"):
        if subject.sex == other.sex:
            score += 0.1
            reasons.append("same_sex")
        else:
            score *= 0.5
    else:
        score += 0.05
    if subject.phone_index is not None and subject.phone_index == other.phone_index:
        score = score + 0.2
        reasons.append("same_phone")
    if (
        subject.registration_number_index is not None
        and subject.registration_number_index == other.registration_number_index
    ):
        score = max(score, 0.95)
        reasons.insert(0, "same_registration_number")
    return Candidate(other.id, round(min(score, 1.0), 3), reasons)


# --- Candidates ---------------------------------------------------------------------------


def _tokens_of(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, NameTokens]:
    id_list = list(ids)
    if not id_list:
        return {}
    rows = session.execute(
        select(
            PersonNameToken.person_id,
            PersonNameToken.part,
            PersonNameToken.kind,
            PersonNameToken.token,
        ).where(PersonNameToken.person_id.in_(id_list))
    )
    return _group((r.person_id, r.part, r.kind, r.token) for r in rows)


def _blocked(
    session: Session, principal: Principal, person: Person, name: NameTokens
) -> list[uuid.UUID]:
    """Ids of readable persons that share fuzzy tokens on enough parts, or a number."""
    fuzzy = sorted({t for part in name.values() for t in part.fuzzy})
    base = [
        permissions.readable(principal),
        Person.id != person.id,
        Person.merged_into_id.is_(None),
    ]
    found: list[uuid.UUID] = []
    if fuzzy:
        shared = func.count(func.distinct(PersonNameToken.part))
        stmt = (
            select(PersonNameToken.person_id)
            .join(Person, Person.id == PersonNameToken.person_id)
            .where(
                PersonNameToken.kind == TokenKind.fuzzy.value,
                PersonNameToken.token.in_(fuzzy),
                *base,
            )
            .group_by(PersonNameToken.person_id)
            .having(shared >= min(2, len(name)))
            .order_by(shared.desc(), PersonNameToken.person_id)
            .limit(BLOCK_LIMIT)
        )
        found.extend(session.scalars(stmt))
    numbers = []
    if person.registration_number_index is not None:
        numbers.append(Person.registration_number_index == person.registration_number_index)
    if person.phone_index is not None:
        numbers.append(Person.phone_index == person.phone_index)
    if numbers:
        found.extend(session.scalars(select(Person.id).where(or_(*numbers), *base)))
    return list(dict.fromkeys(found))


def _chance(session: Session, principal: Principal, name: NameTokens) -> float:
    """Expected number of persons in the caller's scope sharing every part's phonetic code
    by chance: N x the product of each code's share. Counted in scope only, so that a
    score never depends on persons the caller may not read."""
    phonetic = sorted({part.phonetic for part in name.values() if part.phonetic})
    if not phonetic:
        return 0.0
    in_scope = [permissions.readable(principal), Person.merged_into_id.is_(None)]
    total = session.scalar(select(func.count()).select_from(Person).where(*in_scope)) or 0
    if total == 0:
        return 0.0
    counts = dict(
        session.execute(
            select(PersonNameToken.token, func.count(func.distinct(PersonNameToken.person_id)))
            .join(Person, Person.id == PersonNameToken.person_id)
            .where(
                PersonNameToken.kind == TokenKind.phonetic.value,
                PersonNameToken.token.in_(phonetic),
                *in_scope,
            )
            .group_by(PersonNameToken.token)
        ).all()
    )
    chance = float(total)
    for part in name.values():
        chance *= counts.get(part.phonetic, 1) / total
    return chance


def ensure_indexed(session: Session, person: Person) -> None:
    """Index a person registered before tokens existed, as a read: its version stays."""
    if person.name_index_scheme == matching.SCHEME:
        return
    write_tokens(session, person)
    values = {"phone_index": phone_index(person.phone), "name_index_scheme": matching.SCHEME}
    session.execute(
        update(Person)
        .where(Person.id == person.id)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    for name, value in values.items():
        set_committed_value(person, name, value)


def candidates(
    session: Session,
    principal: Principal,
    person: Person,
    min_score: float = DEFAULT_MIN_SCORE,
    limit: int = 50,
) -> list[Candidate]:
    """Persons the caller may read that may be this one, best first (score >= min_score)."""
    if person.merged_into_id is not None:
        return []  # merged: its records and its place are the other person's
    ensure_indexed(session, person)
    name = _tokens_of(session, [person.id]).get(person.id, {})
    ids = _blocked(session, principal, person, name)
    if not ids:
        return []
    others = session.scalars(
        select(Person).where(Person.id.in_(ids), permissions.readable(principal))
    ).all()
    names = _tokens_of(session, ids)
    factor = commonness_factor(_chance(session, principal, name))
    scored = (score_pair(person, other, name, names.get(other.id, {}), factor) for other in others)
    kept = [c for c in scored if c.score >= min_score]
    kept.sort(key=lambda c: (-c.score, str(c.person_id)))
    return kept[:limit]


def candidates_read(
    session: Session,
    principal: Principal,
    person: Person,
    min_score: float = DEFAULT_MIN_SCORE,
    limit: int = 50,
) -> list[Candidate]:
    """``candidates``, with the read audited (which persons were offered): the API and
    the web page call this one."""
    found = candidates(session, principal, person, min_score=min_score, limit=limit)
    audit_service.record(
        session,
        "read",
        "persons",
        person.id,
        detail={"view": "duplicates", "candidates": [str(c.person_id) for c in found]},
    )
    return found
