from fastapi.testclient import TestClient

from casework.reference.codesets import get_code_set
from casework.reference.vocabularies import LABELS, VOCABULARY_NAMES
from tests.factories import World, auth


def test_mali_code_set_has_ten_regions_and_53_cercles() -> None:
    code_set = get_code_set("ocha-cod-ab-mli-2021-12-20")
    assert len(code_set.regions) == 10
    assert len(code_set.admin2) == 53
    assert code_set.regions["ML07"].name_en == "Gao"
    assert code_set.regions["ML10"].name_fr == "Ménaka"
    assert code_set.regions["ML09"].name_en == "Bamako"  # not Taoudénit in this set
    assert code_set.admin2_in_region("ML0701", "ML07")  # Ansongo, Gao
    assert not code_set.admin2_in_region("ML0701", "ML05")
    assert code_set.admin2["ML0101"].name == "Bafoulabe"  # alphabetical, not Kayes


def test_every_code_has_english_and_french_labels() -> None:
    for name, vocabulary in VOCABULARY_NAMES.items():
        labels = LABELS[vocabulary]
        assert set(labels) == {member.value for member in vocabulary}, name
        assert all(en and fr for en, fr in labels.values()), name


def test_reference_endpoint_serves_vocabularies_and_regions(
    client: TestClient, world: World
) -> None:
    response = client.get("/api/v1/reference", headers=auth(world.user("monitor_a")))
    assert response.status_code == 200
    body = response.json()
    assert body["code_set"] == "ocha-cod-ab-mli-2021-12-20"
    assert [r["pcode"] for r in body["regions"]] == [f"ML{n:02d}" for n in range(1, 11)]
    gao = next(r for r in body["regions"] if r["pcode"] == "ML07")
    assert [a["pcode"] for a in gao["admin2"]] == ["ML0701", "ML0702", "ML0703"]
    types = {t["code"]: t for t in body["vocabularies"]["incident_type"]}
    assert types["extortion"] == {"code": "extortion", "en": "Extortion", "fr": "Extorsion"}
    assert len(types) == 15
    for name in ("population_group", "gbv_type", "service", "concern", "perpetrator_category"):
        assert body["vocabularies"][name], name
