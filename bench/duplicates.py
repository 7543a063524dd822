"""Precision and recall of duplicate candidates on 10,000 generated persons.

Generates, with a fixed seed, persons of Mali as caseworkers register them: Songhai,
Bambara, Fulfulde, Tamasheq and Arabic names drawn with the skew real registers show
(many Mamadou Traoré), birth years heaped on multiples of five (estimated ages). About a
quarter of the people are registered again (some twice), elsewhere and by someone else:
another transliteration of a name ("Mahamadou" / "Mohamed", "Fatimata" / "Fatoumata"),
the parts in another order, "Ag" / "Ag." / no particle, accents lost, capitals, a typo,
a birth year one or two off or missing, the phone or registration number given only once.

Loads them into a fresh database (SQLite file, or a PostgreSQL schema), indexes them as
``casework index-persons`` does, then asks for every person's candidates, as a
supervisor of every region, through the service the endpoint uses. A pair counts once
(A lists B or B lists A). Prints precision and recall at the default threshold, and at a
few others from the same run.

    .venv/bin/python bench/duplicates.py [--backend sqlite|postgresql] [--persons 10000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import unicodedata
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("CASEWORK_ENV", "test")
os.environ.setdefault("CASEWORK_SECRET_KEY", "duplicates-secret-" + "d" * 40)
os.environ.setdefault(
    "CASEWORK_ENCRYPTION_KEYS", "d1:" + "ZHVwbGljYXRlcy1lbmNyeXB0aW9uLWtleS0zMi1ieXQ="
)
os.environ.setdefault("CASEWORK_BLIND_INDEX_KEY", "ZHVwbGljYXRlcy1ibGluZC1pbmRleC1rZXktMzItYnk=")
os.environ["CASEWORK_SCHEDULER_INTERVAL_SECONDS"] = "0"

from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from tests.factories import make_org, make_user, principal_of  # noqa: E402

from bench.incident_throughput import postgres_schema  # noqa: E402
from casework.core.config import get_settings  # noqa: E402
from casework.core.db import create_db_engine  # noqa: E402
from casework.core.migrations import upgrade  # noqa: E402
from casework.persons import duplicates  # noqa: E402
from casework.persons.models import Person  # noqa: E402
from casework.reference.vocabularies import Role  # noqa: E402

# Spellings of one name, as registers in Mali hold them. The first is the most frequent.
MALE = [
    ["Mamadou", "Mahamadou", "Mohamed", "Mohammed", "Muhammad", "Mouhamed", "Mahamed"],
    ["Moussa", "Mousa", "Musa"],
    ["Oumar", "Omar", "Umar"],
    ["Ousmane", "Usman", "Ousman", "Othmane"],
    ["Boubacar", "Aboubacar", "Boubakar", "Abubakar"],
    ["Ibrahim", "Ibrahima", "Brahim"],
    ["Abdoulaye", "Abdoulahi", "Abdullahi"],
    ["Souleymane", "Souleymane", "Sulaiman", "Souleimane"],
    ["Amadou", "Hamadou", "Ahmadou"],
    ["Seydou", "Seidou", "Saidou"],
    ["Youssouf", "Yusuf", "Youcef"],
    ["Bakary", "Bakari", "Bakar"],
    ["Issa", "Issa", "Aissa"],
    ["Adama", "Adama"],
    ["Alhousseini", "Housseini", "Alhousseyni", "Husseini"],
    ["Cheick", "Cheikh", "Sheikh"],
    ["Sidi", "Sidy"],
    ["Hamidou", "Amidou"],
    ["Idrissa", "Drissa", "Idriss"],
    ["Lassana", "Lassina"],
    ["Modibo", "Modibo"],
    ["Tiémoko", "Tiemoko"],
    ["Intallah", "Intalla"],
    ["Alghabass", "Alghabas", "Alghabasse"],
    ["Attaher", "Attahir", "Ataher"],
    ["Zakaria", "Zakariya", "Zacharia"],
    ["Hassane", "Alassane", "Hassan"],
    ["Yacouba", "Yacoub", "Yakuba"],
    ["Salif", "Salifou"],
    ["Karim", "Karime"],
    ["Daouda", "Dawda"],
    ["Siaka"],
    ["Sékou", "Sekou"],
    ["Bourama"],
    ["Mory"],
    ["Fousseyni", "Fousseini"],
    ["Lamine", "Alamine"],
    ["Nouhoum", "Nouhou"],
    ["Aliou", "Alyou"],
    ["Baba"],
    ["Boureima", "Boureïma"],
    ["Soumaïla", "Soumaila"],
    ["Abdramane", "Abdourahamane", "Abderrahmane"],
    ["Moustapha", "Almoustapha", "Mustafa"],
    ["Mahamane", "Mahaman"],
    ["Sambou"],
    ["Kalifa", "Khalifa"],
    ["Tidiane"],
    ["Mahmoud", "Mahmud"],
    ["Abdoulkader", "Abdelkader", "Abdulkadir"],
    ["Aghali", "Ghali"],
    ["Bilal"],
    ["Ahmed", "Ahmad"],
    ["Ilias", "Elias"],
    ["Hamadoun", "Amadoun"],
    ["Bréhima"],
    ["Zoumana"],
    ["Madou"],
    ["Nampé"],
    ["Mamoutou"],
    ["Souleymane Sidi", "Souleymane"],
]
FEMALE = [
    ["Fatoumata", "Fatimata", "Fatouma", "Fatima", "Fadimata"],
    ["Aminata", "Aminatou", "Amina"],
    ["Aïcha", "Aissa", "Aisha", "Aïssata", "Aichatou"],
    ["Mariam", "Mariama", "Maryam", "Mariame"],
    ["Kadidia", "Khadija", "Kadidiatou", "Khadidja"],
    ["Hawa", "Awa"],
    ["Oumou", "Umu"],
    ["Kadiatou", "Kadiatu"],
    ["Assitan", "Assétou", "Assetou"],
    ["Ramata", "Ramatou"],
    ["Djénéba", "Djeneba", "Jeneba"],
    ["Rokia", "Rokiatou", "Roukia"],
    ["Maïmouna", "Maimouna", "Maimuna"],
    ["Safiatou", "Safiata", "Safia"],
    ["Zeinabou", "Zeinab", "Zénabou", "Zainab"],
    ["Salamatou", "Salamata"],
    ["Nana", "Nana"],
    ["Bintou", "Binta"],
    ["Habibatou", "Habiba"],
    ["Tina", "Tina"],
    ["Lalla", "Lala"],
    ["Mama", "Mama"],
    ["Fanta"],
    ["Sali", "Saly"],
    ["Kadi"],
    ["Adiaratou", "Adiara"],
    ["Korotoumou", "Korotimi"],
    ["Sitan", "Sita"],
    ["Nènè", "Nene"],
    ["Takiatou"],
    ["Coumba", "Kumba"],
    ["Niélé", "Niele"],
    ["Hadizatou", "Hadiza", "Adiza"],
    ["Halimatou", "Halima"],
    ["Rakia", "Raki"],
    ["Leila", "Layla"],
    ["Fatimetou", "Fatma"],
    ["Mariétou", "Marietou"],
    ["Aoua"],
    ["Minata"],
    ["Tenin"],
    ["Kankou"],
    ["Oumoul Khairy", "Oumoulkhairy"],
]
FAMILY = [
    ["Traoré", "Traore", "Traoret"],
    ["Maïga", "Maiga", "Mayga"],
    ["Touré", "Toure", "Ture"],
    ["Cissé", "Cisse", "Sissé"],
    ["Diallo", "Diallo", "Jallow", "Djalo"],
    ["Coulibaly", "Koulibaly", "Kulibali"],
    ["Keïta", "Keita", "Kéita"],
    ["Diarra", "Jarra"],
    ["Konaté", "Konate"],
    ["Sidibé", "Sidibe"],
    ["Sangaré", "Sangare"],
    ["Haïdara", "Haidara", "Aidara"],
    ["Dicko", "Diko"],
    ["Cissoko", "Sissoko"],
    ["Doumbia", "Dumbia"],
    ["Kouyaté", "Kouyate"],
    ["Ba", "Bah"],
    ["Barry", "Bari"],
    ["Sow", "Sô"],
    ["Dembélé", "Dembele"],
    ["Guindo", "Guindo"],
    ["Tounkara", "Tunkara"],
    ["Kane", "Kan"],
    ["Samaké", "Samake"],
    ["Niang", "Niang"],
    ["Fofana", "Fofanah"],
    ["Dramé", "Drame"],
    ["Soumaré", "Soumare"],
    ["Tall", "Tal"],
    ["Yattara", "Yatara"],
    ["Camara", "Kamara"],
    ["Kanté", "Kante"],
    ["Diakité", "Diakite", "Jakite"],
    ["Ballo", "Balo"],
    ["Bagayoko", "Bagayogo"],
    ["Berthé", "Berthe"],
    ["Dao"],
    ["Diabaté", "Diabate"],
    ["Fomba"],
    ["Goïta", "Goita"],
    ["Kassogué", "Kassogue"],
    ["Koné", "Kone"],
    ["Mariko"],
    ["Ouattara", "Wattara"],
    ["Sacko", "Sako"],
    ["Sanogo"],
    ["Sylla", "Sila"],
    ["Tangara"],
    ["Thiam", "Tiam"],
    ["Togola"],
    ["Kounta"],
    ["Bouaré", "Bouare"],
    ["Djiré", "Diré"],
    ["Tandina"],
    ["Boly"],
    ["Diawara", "Jawara"],
    ["Doucouré", "Doukouré"],
    ["Kamissoko"],
    ["Magassa"],
    ["Nimaga"],
    ["Tembely", "Tembeli"],
    ["Yalcouyé", "Yalcouye"],
    ["Ongoïba", "Ongoiba"],
    ["Dolo"],
    ["Tapily", "Tapili"],
    ["Sagara"],
]
REGIONS = [f"ML{n:02d}" for n in range(1, 11)]


@dataclass(frozen=True)
class Identity:
    """Who someone is: indexes into the name groups, and facts."""

    given: tuple[list[str], int]
    family: tuple[list[str], int] | None  # None: Tamasheq / Arabic "X Ag Y" naming
    father: tuple[list[str], int] | None
    sex: str
    birth_year: int | None
    phone: str | None
    registration: str | None


def zipf_choice(rng: random.Random, groups: list[list[str]]) -> list[str]:
    # Name frequencies in a register fall off steeply (Zipf-like): the commonest family
    # name is borne by some 7 % of people, the commonest given name by some 8 %.
    weights = [1 / (rank + 4) for rank in range(len(groups))]
    return rng.choices(groups, weights)[0]


def new_identity(rng: random.Random, serial: int) -> Identity:
    sex = "female" if rng.random() < 0.5 else "male"
    given = zipf_choice(rng, FEMALE if sex == "female" else MALE)
    year = rng.randint(1950, 2015)
    if rng.random() < 0.4:
        year -= year % 5  # ages estimated: heaped on multiples of five
    tamasheq = rng.random() < 0.2
    return Identity(
        given=(given, 0),
        family=None if tamasheq else (zipf_choice(rng, FAMILY), 0),
        father=(zipf_choice(rng, MALE), 0) if tamasheq else None,
        sex=sex,
        birth_year=year if rng.random() < 0.9 else None,
        phone=f"+223 {rng.randint(60, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
        f"{rng.randint(10, 99)}"
        if rng.random() < 0.6
        else None,
        registration=f"MLI-{serial:07d}" if rng.random() < 0.5 else None,
    )


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["substitute", "delete", "insert", "transpose"])
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    if kind == "substitute":
        return word[:i] + letter + word[i + 1 :]
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "insert":
        return word[:i] + letter + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def spelling(rng: random.Random, part: tuple[list[str], int], vary: bool) -> str:
    group, index = part
    return rng.choice(group) if vary and rng.random() < 0.5 else group[index]


def render(rng: random.Random, who: Identity, vary: bool) -> str:
    given = spelling(rng, who.given, vary)
    if who.family is not None:
        parts = [given, spelling(rng, who.family, vary)]
    else:
        assert who.father is not None
        particle = "Ag" if who.sex == "male" else "Walet"
        if vary:
            particle = rng.choice([particle, particle, f"{particle}.", particle.lower(), ""])
        parts = [given, *([particle] if particle else []), spelling(rng, who.father, vary)]
    if vary:
        if rng.random() < 0.3:
            parts = parts[-1:] + parts[:-1]  # family name first, as on some forms
        if rng.random() < 0.25:
            target = rng.randrange(len(parts))
            parts[target] = typo(rng, parts[target])
    name = " ".join(parts)
    if vary and rng.random() < 0.3:
        name = "".join(
            c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)
        )
    if vary and rng.random() < 0.2:
        name = name.upper()
    return name


def registration_of(rng: random.Random, who: Identity, again: bool) -> Identity:
    """The facts as a second registration records them."""
    if not again:
        return who
    year = who.birth_year
    roll = rng.random()
    if year is not None:
        if roll < 0.2:
            year += rng.choice([-1, 1])
        elif roll < 0.3:
            year += rng.choice([-2, 2])
        elif roll < 0.4:
            year = None
    return replace(
        who,
        birth_year=year,
        sex=who.sex if rng.random() < 0.97 else "unknown",
        phone=who.phone if rng.random() < 0.3 else None,
        registration=who.registration if rng.random() < 0.2 else None,
    )


def generate(rng: random.Random, total: int) -> list[tuple[int, dict[str, Any]]]:
    """(cluster, person fields) for ``total`` persons."""
    rows: list[tuple[int, dict[str, Any]]] = []
    cluster = 0
    while len(rows) < total:
        who = new_identity(rng, cluster)
        copies = 1 + (rng.random() < 0.22) + (rng.random() < 0.04)
        home = rng.choice(REGIONS)
        for copy in range(min(copies, total - len(rows))):
            seen = registration_of(rng, who, again=copy > 0)
            region = home if copy == 0 or rng.random() < 0.3 else rng.choice(REGIONS)
            rows.append(
                (
                    cluster,
                    {
                        "full_name": render(rng, who, vary=copy > 0),
                        "sex": seen.sex,
                        "birth_year": seen.birth_year,
                        "phone": seen.phone,
                        "registration_number": seen.registration,
                        "region": region,
                    },
                )
            )
        cluster += 1
    return rows


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "postgresql":
        base = os.environ.get("CASEWORK_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1/test")
        with postgres_schema(base) as url:
            yield url
    else:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/duplicates.db"


def true_pairs(clusters: dict[uuid.UUID, int]) -> set[frozenset[uuid.UUID]]:
    members: dict[int, list[uuid.UUID]] = {}
    for person_id, cluster in clusters.items():
        members.setdefault(cluster, []).append(person_id)
    return {
        frozenset((a, b))
        for group in members.values()
        for i, a in enumerate(group)
        for b in group[i + 1 :]
    }


def show_errors(
    found: dict[frozenset[uuid.UUID], float],
    truth: set[frozenset[uuid.UUID]],
    facts: dict[uuid.UUID, dict[str, Any]],
    count: int,
) -> None:
    """Generated (never real) people behind wrong answers, to see what the rules miss."""

    def line(pair: frozenset[uuid.UUID], score: float | None) -> str:
        a, b = (facts[p] for p in sorted(pair))
        shown = " | ".join(
            f"{f['full_name']} {f['sex'][0]} {f['birth_year']} {f['region']}" for f in (a, b)
        )
        return f"  {'-' if score is None else f'{score:.2f}'}  {shown}"

    threshold = duplicates.DEFAULT_MIN_SCORE
    wrong = [p for p, s in found.items() if s >= threshold and p not in truth]
    missed = [p for p in truth if found.get(p, 0.0) < threshold]
    print(f"listed but not the same person ({len(wrong)}):")
    for pair in wrong[:count]:
        print(line(pair, found[pair]))
    print(f"the same person, not listed ({len(missed)}):")
    for pair in missed[:count]:
        print(line(pair, found.get(pair)))


def measure(backend: str, total: int, seed: int, errors: int = 0) -> None:
    rng = random.Random(seed)
    rows = generate(rng, total)
    with database(backend) as url:
        os.environ["CASEWORK_DATABASE_URL"] = url
        get_settings.cache_clear()
        engine = create_db_engine(url)
        with engine.begin() as connection:
            upgrade(connection)
        with Session(engine, expire_on_commit=False) as session:
            # Three partners register people; a supervisor of every region sees them all.
            organizations = [make_org(session, f"PARTNER{n}") for n in range(3)]
            supervisor = make_user(session, "supervisor", Role.supervisor, organizations[0])
            clusters: dict[uuid.UUID, int] = {}
            facts: dict[uuid.UUID, dict[str, Any]] = {}
            values = []
            taken: set[tuple[int, str, str]] = set()
            now = datetime.now(UTC)
            for cluster, fields in rows:
                person_id = uuid.uuid4()
                clusters[person_id] = cluster
                partner = rng.randrange(len(organizations))
                organization = organizations[partner]
                number = fields["registration_number"]
                if number and (partner, fields["region"], number) in taken:
                    fields = {**fields, "registration_number": None}  # refused as a twin
                elif number:
                    taken.add((partner, fields["region"], number))
                facts[person_id] = fields
                values.append({
                    "id": person_id, **fields, "code_set": "ocha-cod-ab-mli-2021-12-20",
                    "registration_number_index": duplicates.keyring().blind_index(
                        fields["registration_number"], "persons.registration_number"
                    ) if fields["registration_number"] else None,
                    "organization_id": organization.id, "created_by_id": supervisor.id,
                    "owner_id": supervisor.id, "create_fingerprint": "bench", "version": 1,
                    "created_at": now, "updated_at": now,
                })  # fmt: skip
            session.execute(insert(Person), values)
            session.commit()
        started = time.perf_counter()
        indexed = duplicates.index_all(engine)
        indexing = time.perf_counter() - started
        principal = principal_of(supervisor)
        lowest = 0.5
        found: dict[frozenset[uuid.UUID], float] = {}
        started = time.perf_counter()
        with Session(engine) as session:
            for person in session.scalars(select(Person)):
                for candidate in duplicates.candidates(
                    session, principal, person, min_score=lowest, limit=200
                ):
                    pair = frozenset((person.id, candidate.person_id))
                    found[pair] = max(found.get(pair, 0.0), candidate.score)
        querying = time.perf_counter() - started
    truth = true_pairs(clusters)
    print(
        f"{backend}: {len(rows):,} persons ({len(set(clusters.values())):,} people, "
        f"{len(truth):,} duplicate pairs); indexed {indexed:,} in {indexing:.1f} s; "
        f"candidates for every person in {querying:.1f} s "
        f"({1000 * querying / len(rows):.1f} ms per person)"
    )
    print("threshold  precision  recall  listed pairs")
    for threshold in sorted({0.6, 0.65, 0.7, 0.75, 0.8, 0.9, duplicates.DEFAULT_MIN_SCORE}):
        listed = {pair for pair, score in found.items() if score >= threshold}
        hits = len(listed & truth)
        precision = hits / len(listed) if listed else 1.0
        recall = hits / len(truth) if truth else 1.0
        mark = "  (default)" if threshold == duplicates.DEFAULT_MIN_SCORE else ""
        print(f"{threshold:9.2f}  {precision:9.3f}  {recall:6.3f}  {len(listed):12,}{mark}")
    if errors:
        show_errors(found, truth, facts, errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--show-errors", type=int, default=0, metavar="N",
                        help="print N wrong and N missed pairs (generated names)")  # fmt: skip
    args = parser.parse_args()
    measure(args.backend, args.persons, args.seed, args.show_errors)


if __name__ == "__main__":
    main()
