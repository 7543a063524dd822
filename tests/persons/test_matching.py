"""Name codes for duplicate detection: spellings of one name meet, other names do not."""

from __future__ import annotations

import pytest

from casework.core.crypto import build_keyring
from casework.persons import duplicates, matching

SAME_NAME = [
    ["Mohamed", "Mohammed", "Mahamadou", "Mamadou", "Muhammad", "Mouhamed"],
    ["Aïcha", "Aissa", "Aisha", "Aïssa"],
    ["Fatoumata", "Fatimata", "FATOUMATA", "Fatoumatta"],
    ["Ousmane", "Usman", "Ousmane"],
    ["Boubacar", "Aboubacar", "Boubakar", "Bubakar"],
    ["Diallo", "Jallow", "Djallo"],
    ["Khadija", "Kadidia", "Khadidja"],
    ["Cissé", "Sissé", "Cisse"],
    ["Souleymane", "Souleimane", "Sulaiman", "Suleiman"],
    ["Youssouf", "Yusuf", "Youcef"],
    ["Haïdara", "Haidara", "Aidara"],
    ["Coulibaly", "Kulibali"],
    ["Cheick", "Sheikh", "Shaykh"],
    ["N'Diaye", "Ndiaye", "N\u2019Diaye"],  # with a typographic apostrophe
]


@pytest.mark.parametrize("spellings", SAME_NAME, ids=lambda group: group[0])
def test_spellings_of_one_name_share_the_phonetic_code(spellings: list[str]) -> None:
    codes = {matching.phonetic(matching.name_parts(s)[0]) for s in spellings}
    assert len(codes) == 1, codes


@pytest.mark.parametrize(
    ("one", "other"),
    [("Aminata", "Fatoumata"), ("Moussa", "Mamadou"), ("Traoré", "Touré"), ("Keïta", "Konaté")],
)
def test_different_names_have_different_codes(one: str, other: str) -> None:
    assert matching.phonetic(matching.name_parts(one)[0]) != matching.phonetic(
        matching.name_parts(other)[0]
    )


def test_a_shortened_name_or_a_typo_stays_in_the_fuzzy_neighbourhood() -> None:
    def fuzzy(name: str) -> frozenset[str]:
        return matching.codes(name)[0].fuzzy

    assert fuzzy("Fatouma") & fuzzy("Fatoumata")
    assert fuzzy("Coulibaly") & fuzzy("Couliably")  # letters swapped
    assert fuzzy("Ngaïkoumon") & fuzzy("Ngaikoumo")
    assert not fuzzy("Coulibaly") & fuzzy("Sangaré")


@pytest.mark.parametrize(
    "spelling",
    [
        "Mohamed Ag Intallah",
        "Mohamed ag. Intallah",
        "Intallah Ag Mohamed",
        "MOHAMED INTALLAH",
        "El Hadj Mohamed Intallah",
        "Mohamed Ould Intallah",
    ],
)
def test_particles_titles_and_order_do_not_matter(spelling: str) -> None:
    assert sorted(matching.name_parts(spelling)) == ["intallah", "mohamed"]


def test_daughter_of_and_son_of_particles_are_not_parts() -> None:
    assert matching.name_parts("Fatimata Walet Mohamed") == ["fatimata", "mohamed"]
    assert matching.name_parts("Aïcha bint Ali") == ["aicha", "ali"]
    assert matching.name_parts("Ag") == ["ag"]  # nothing but a particle: kept


def test_tokens_are_keyed_hashes_that_another_key_does_not_reproduce() -> None:
    key_spec = "k1:" + "a" * 43 + "="
    one = build_keyring(key_spec, None, "b" * 43 + "=")
    other = build_keyring(key_spec, None, "c" * 43 + "=")
    tokens = {t for _, _, t in duplicates.name_tokens("Aminata Maïga", one)}
    assert tokens.isdisjoint({t for _, _, t in duplicates.name_tokens("Aminata Maïga", other)})
    for token in tokens:
        assert len(token) == 64
        assert "amin" not in token
        assert "mnt" not in token
    # Keyed, yet the same name under the same key gives the same tokens (the point).
    assert tokens == {t for _, _, t in duplicates.name_tokens("Maiga  AMINATA", one)}


def test_phone_numbers_compare_on_their_last_eight_digits() -> None:
    assert matching.normalised_phone("+223 76 12 34 56") == "76123456"
    assert matching.normalised_phone("0022376123456") == "76123456"
