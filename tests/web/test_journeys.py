"""End-to-end journeys, one per role, in a real browser against a real server.

Every page on the way is checked by axe-core (WCAG 2.1 AA), must weigh at most
150 KB on first load and 30 KB afterwards, and is photographed for docs/web.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.web.browser import DESKTOP, PHONE, LiveServer


def test_monitor_submits_an_incident(visit: Any, live_server: LiveServer) -> None:
    tab = visit("fr", PHONE)
    tab.goto("/login?lang=fr")
    tab.check("login")
    tab.sign_in("monitor_a")
    tab.check("home-monitor")
    tab.goto("/incidents/new")
    tab.check("incident-form")
    page = tab.page
    # Sent without a date: the message stands beside the field, in French.
    page.select_option("#f-incident_type", "extortion")
    tab.submit("main form button[type=submit]")
    assert page.locator("#occurred_on-error").inner_text() == "Indiquez une date."
    tab.check("incident-form-errors")
    page.fill("#f-occurred_on", datetime.now(UTC).date().isoformat())
    page.select_option("#f-region", "ML07")
    page.select_option("#f-admin2", "ML0701")
    page.fill("#f-locality", "Ansongo")
    page.fill("#f-victims-male_adults", "2")
    page.fill("#f-description", "Extorsion à un poste de contrôle.")
    tab.submit("main form button[type=submit]")
    assert "L'incident a été enregistré." in tab.text()
    assert "Ansongo" in tab.text()
    assert "Extorsion" in tab.text()
    tab.check("incident")
    tab.goto("/incidents?region=ML07&incident_type=extortion")
    assert "Extorsion" in tab.text()
    tab.check("incidents")


def test_caseworker_refers_and_focal_point_accepts(visit: Any, live_server: LiveServer) -> None:
    worker = visit("en", DESKTOP)
    worker.sign_in("caseworker_a")
    worker.check("home-caseworker")
    page = worker.page
    worker.goto("/persons")
    worker.check("persons")
    page.click("text=Register a person")
    worker.settle()
    page.fill("#f-full_name", "Aminata Maïga")
    page.fill("#f-registration_number", "MLI-GAO-009001")
    page.select_option("#f-sex", "female")
    page.select_option("#f-region", "ML07")
    worker.check("person-form")
    worker.submit("main form button[type=submit]")
    assert "Aminata Maïga" in page.inner_text("h1")
    person_url = page.url

    # Referring without consent: the form says so and how to fix it.
    page.click("text=Make a referral")
    worker.settle()
    page.select_option("#f-actor", "CVJR")
    worker.submit("text=Show this actor's services")
    page.check("input[name=services][value=legal]")
    page.fill("#f-note", "Wishes to testify about the events in Ansongo.")
    worker.check("referral-form")
    worker.submit("text=Refer and send")
    assert "No consent in force covers this referral." in worker.text()
    worker.check("referral-form-no-consent")
    page.click("text=Record the consent now")
    worker.settle()
    assert page.is_checked("input[name=actors][value=CVJR]")
    assert page.is_checked("input[name=services][value=legal]")
    worker.check("consent-form")
    worker.submit("main form button[type=submit]")
    assert page.url.startswith(person_url)
    assert "CVJR" in worker.text()

    page.click("text=Make a referral")
    worker.settle()
    page.select_option("#f-actor", "CVJR")
    worker.submit("text=Show this actor's services")
    page.check("input[name=services][value=legal]")
    worker.submit("text=Refer and send")
    assert "Referral to CVJR" in page.inner_text("h1")
    assert "Sent" in worker.text()
    referral_url = page.url
    worker.check("referral-sent")

    focal = visit("fr", PHONE)
    focal.sign_in("focal_cvjr")
    assert "Références en attente de votre organisation" in focal.text()
    focal.check("home-focal-point")
    focal.goto(referral_url.replace(live_server.url, ""))
    text = focal.text()
    assert "Aminata" not in text
    assert "MLI-GAO-009001" not in text
    assert "Wishes to testify" not in text  # the note was left empty this time
    focal.check("referral-focal-point")
    focal.submit("text=Accuser réception")
    focal.submit("text=Accepter")
    assert "Acceptée" in focal.text()
    assert not focal.page.locator("text=Annuler la référence").count()  # not theirs to make
    focal.check("referral-accepted")

    worker.goto(referral_url.replace(live_server.url, ""))
    assert "Accepted" in worker.text()
    history = page.inner_text("ol.history")
    assert "caseworker_a" in history
    assert "focal_cvjr" in history
    worker.check("referral-history")
    worker.goto("/")
    worker.goto(person_url.replace(live_server.url, ""))
    assert "Accepted" in worker.text()
    worker.check("person")
