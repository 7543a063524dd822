"""Name keys for finding duplicate persons without reading names in the database.

A full name is cut into parts; each part gets three codes, every one of which is
stored only as a keyed hash (HMAC with the blind index key), never in clear:

- ``exact``: the part without accents, case or punctuation ("Maïga" -> "maiga");
- ``phonetic``: its consonant skeleton after folding the spellings that French,
  English and Arabic transliterations use for the same sound in Mali
  ("Mohamed", "Mohammed", "Mahamadou", "Mamadou" -> "mmd"; "Aïcha", "Aissa",
  "Aisha" -> "s"; "Ousmane", "Usman" -> "smn"; "Diallo", "Jallow" -> "jl");
- ``fuzzy``: a keyed deletion neighbourhood, of the skeleton (it and every skeleton
  one consonant shorter) and of the spelling (it and every spelling one letter
  shorter, for parts of five letters or more): two codes one edit apart share one of
  them, so a typo ("Abgoulaye", "Bagayogo") or a dropped ending ("Fatouma" /
  "Fatoumata") still meets its twin.

Particles that say "son/daughter of" or are articles and titles ("Ag", "Ag.",
"ould", "ben", "bint", "walet", "El Hadj", ...) are not parts, and the order of the
parts plays no role: the comparison pairs parts, not positions.

The rules are versioned (``SCHEME``): a person indexed under an older scheme is
indexed again by ``casework index-persons``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

SCHEME = 1

# Connectors and titles, after normalisation. "Ag" (Tamasheq), "ould" / "mint" (Hassaniya),
# "ben" / "bin" / "ibn" / "bint" (Arabic), "walet" / "welet" (Tamasheq, daughter of), "ait"
# (Berber), articles "al" / "el", and the pilgrim's title.
PARTICLES = frozenset(
    {
        "ag", "ak", "ould", "old", "oult", "ult", "mint", "ben", "bin", "ibn", "bint", "bent",
        "walet", "wallet", "welet", "wellet", "oulet", "ait", "al", "el", "ad", "ed",
        "hadj", "hadji", "haj", "hajj", "elhadj", "elhadji", "alhadj", "alhadji", "alhaji",
        "elh",
    }
)  # fmt: skip

VOWELS = frozenset("aeiouyw")
# Spellings of one sound, longest first: French "ch" and English "sh" are one sound, so are
# Arabic "kh" written "k", "dj" / "j", and "gu" before e / i (a hard g in French spelling).
_DIGRAPHS = [
    ("tch", "c"), ("sch", "s"), ("ch", "s"), ("sh", "s"), ("kh", "k"), ("gh", "g"),
    ("ph", "f"), ("th", "t"), ("dh", "d"), ("dj", "j"), ("dz", "z"), ("ck", "k"),
    ("qu", "k"), ("q", "k"), ("x", "ks"), ("gue", "ge"), ("gui", "gi"),
]  # fmt: skip
_SOFT_C = re.compile(r"c(?=[eiy])")
# "Dia" / "Ja" (Diallo / Jallow, Diarra / Jarra, Kadidia / Khadija): "di" before a vowel.
_DI = re.compile(r"di(?=[aeou])")
_REPEATS = re.compile(r"(.)\1+")
# The apostrophe and its typographic look-alikes (right, left, modifier letter).
_APOSTROPHES = re.compile("['`\u2019\u2018\u02bc]")
_NOT_LETTERS = re.compile(r"[^a-z]+")


class TokenKind(StrEnum):
    exact = "exact"
    phonetic = "phonetic"
    fuzzy = "fuzzy"


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_parts(full_name: str) -> list[str]:
    """The comparable parts of a name: folded, particles and titles left out."""
    folded = strip_accents(full_name).casefold().replace("œ", "oe").replace("æ", "ae")
    # "N'Diaye" and "Ndiaye" are one spelling; a hyphen or a dot separates parts.
    folded = _APOSTROPHES.sub("", folded)
    parts = [p for p in _NOT_LETTERS.split(folded) if p]
    kept = [p for p in parts if p not in PARTICLES]
    # A name made only of particles ("Ag") is still a name: keep what there is.
    return kept or parts


def phonetic(part: str) -> str:
    """The consonant skeleton of one normalised part (see the module's docstring)."""
    code = part
    # "Alhousseini" / "Housseini", "Elhadj" glued to a name: the article is not the name.
    if len(code) > 5 and code[:3] in ("alh", "elh"):
        code = code[2:]
    for spelling, sound in _DIGRAPHS:
        code = code.replace(spelling, sound)
    code = _SOFT_C.sub("s", code).replace("c", "k")
    code = _DI.sub("j", code)
    code = _REPEATS.sub(r"\1", code)
    skeleton = "".join(c for c in code if c not in VOWELS and c != "h")
    # A name of vowels only ("Awa", "Aya") keeps one sign so that it is not empty.
    return skeleton or "a"


def deletion_neighbourhood(code: str) -> set[str]:
    """The code and each code one letter shorter (only for codes of four letters or more:
    two-letter remains of shorter ones would meet far too many names)."""
    variants = {code}
    if len(code) >= 4:
        variants |= {code[:i] + code[i + 1 :] for i in range(len(code))}
    return variants


def spelling_neighbourhood(part: str) -> set[str]:
    """The spelling, and each spelling one letter shorter for parts of five letters or more.

    Marked with "=" so that a spelling never meets a skeleton of the same letters.
    """
    variants = {"=" + part}
    if len(part) >= 5:
        variants |= {"=" + part[:i] + part[i + 1 :] for i in range(len(part))}
    return variants


@dataclass(frozen=True)
class PartCodes:
    exact: str
    phonetic: str
    fuzzy: frozenset[str]


def codes(full_name: str) -> list[PartCodes]:
    """Every part's codes, in the name's order (the order does not matter to the score)."""
    result = []
    for part in name_parts(full_name):
        skeleton = phonetic(part)
        fuzzy = deletion_neighbourhood(skeleton) | spelling_neighbourhood(part)
        result.append(PartCodes(part, skeleton, frozenset(fuzzy)))
    return result


def normalised_phone(phone: str) -> str:
    """The last eight digits: "+223 76 12 34 56" and "76123456" are one number in Mali."""
    digits = "".join(c for c in phone if c.isdigit())
    return digits[-8:]
