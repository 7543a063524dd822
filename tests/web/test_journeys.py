"""End-to-end journeys, one per role, in a real browser against a real server.

Every page on the way is checked by axe-core (WCAG 2.1 AA), must weigh at most
150 KB on first load and 30 KB afterwards, and is photographed for docs/web.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.factories import PASSWORD, PDF
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
    # Sending made its follow-up task, on the caseworker's work list at once.
    worker.goto("/")
    referral_path = referral_url.replace(live_server.url, "")
    task_row = page.locator("table tr", has=page.locator(f'a[href="{referral_path}"]')).first
    assert "Follow up the referral to CVJR" in task_row.inner_text()  # the reader's language
    worker.check("home-caseworker-task")
    worker.goto("/tasks")
    worker.check("tasks")

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
    # A file for the person, through the plain form.
    page.click("text=Add a file")
    page.select_option("#f-attachment-kind", "consent_form")
    page.set_input_files(
        "#f-file", files=[{"name": "consent.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    worker.submit("text=Upload")
    assert page.locator("a[download]", has_text="consent.pdf").count() == 1
    worker.check("person")


def test_administrator_unlocks_a_user(visit: Any, live_server: LiveServer) -> None:
    import httpx

    from tests.web.helpers import csrf_of

    # monitor_b mistypes their password until the account locks.
    with httpx.Client(base_url=live_server.url) as client:
        token = csrf_of(client.get("/login").text)
        for _ in range(5):
            client.post(
                "/login",
                data={"username": "monitor_b", "password": "wrong", "csrf_token": token},
            )
        locked = client.post(
            "/login",
            data={"username": "monitor_b", "password": PASSWORD, "csrf_token": token},
        )
        assert locked.status_code == 429

    admin = visit("en", DESKTOP)
    admin.sign_in("admin")
    admin.check("home-admin")
    admin.goto("/users")
    admin.check("users")
    row = admin.page.locator("tr", has_text="monitor_b")
    assert "Locked" in row.inner_text()
    row.locator("a").click()
    admin.settle()
    admin.check("user")
    admin.submit("text=Unlock")
    assert "Active" in admin.text()

    monitor = visit("fr", PHONE)
    monitor.sign_in("monitor_b")
    assert "Mon travail" in monitor.text()

    admin.goto("/users/new")
    admin.check("user-form")
    admin.goto("/api-keys")
    admin.page.fill("#f-name", "Cluster dashboard")
    admin.submit("text=Create a key")
    assert admin.page.inner_text("#new-key").startswith("cwk_")
    admin.check("api-keys")
    admin.goto("/api-keys")
    assert not admin.page.locator("#new-key").count()  # shown once
    admin.goto("/audit?username=monitor_b&action=login.failure")
    assert admin.page.locator("tbody tr").count() >= 5
    admin.submit("text=Verify the chain")
    assert "The chain is intact" in admin.text()
    admin.check("audit")
    admin.goto("/persons")  # no case data for administrators
    assert admin.page.locator("h1").inner_text() == "Not allowed"
    admin.check("error-403")


def test_reporting_user_downloads_the_months_csv(visit: Any, live_server: LiveServer) -> None:
    tab = visit("fr", DESKTOP)
    tab.sign_in("reporting")
    tab.check("home-reporting")
    today = datetime.now(UTC).date()
    start = today.replace(day=1).isoformat()
    tab.goto(f"/reports?from={start}&to={today.isoformat()}")
    assert tab.page.locator("svg[role=img]").count() == 6
    assert "Références par délai d'accusé de réception" in tab.text()
    assert "Gao" in tab.page.locator("#chart-region + svg").text_content()
    tab.check("reports")
    with tab.page.expect_download() as download:
        tab.page.locator("section:has(#chart-region) >> text=Télécharger en CSV").first.click()
    content = Path(download.value.path()).read_text(encoding="utf-8")
    assert content.splitlines()[0] == "region,count,suppressed"
    assert any(line.startswith("ML07,") for line in content.splitlines()[1:])
    tab.goto(f"/reports/sitrep?month={today.strftime('%Y-%m')}")
    assert "Rapport de situation mensuel" in tab.text()
    tab.check("sitrep")
    tab.goto(f"/persons/{live_server.world.persons['a'].id}")  # never a record
    assert tab.page.locator("h1").inner_text() == "Non autorisé"


def test_supervisor_verifies_an_incident_and_sees_the_region(
    visit: Any, live_server: LiveServer
) -> None:
    tab = visit("fr", DESKTOP)
    tab.sign_in("supervisor_a")
    assert "Incidents à vérifier" in tab.text()
    tab.check("home-supervisor")
    tab.goto(f"/incidents/{live_server.world.incidents['a_gao'].id}")
    tab.submit("text=Vérifier")
    assert "Vérifié" in tab.text()
    tab.goto("/sgbv-cases")
    tab.check("sgbv-cases")
    tab.goto(f"/persons/{live_server.world.persons['b'].id}")  # Mopti: another region
    assert tab.page.locator("h1").inner_text() == "Introuvable"
    tab.check("error-404")


def test_caseworkers_follow_repatriation_counselling_and_sgbv_cases(
    visit: Any, live_server: LiveServer
) -> None:
    world = live_server.world
    tab = visit("fr", PHONE)
    tab.sign_in("caseworker_a")
    tab.goto("/repatriation-files")
    tab.check("repatriation-board")
    tab.goto(f"/repatriation-files/{world.files['a'].id}")
    tab.check("repatriation-file")
    tab.submit("text=Passer à : Conseillé")
    assert "Conseillé" in tab.page.inner_text("dl")
    tab.goto("/counselling-sessions/new")
    tab.page.fill("#f-office", "Accueil de Gao")
    tab.page.check("input[name=concerns][value=documentation]")
    tab.submit("main form button[type=submit]")  # an unregistered visitor needs sex and region
    assert "indiquez son sexe et la région" in tab.text()
    tab.check("counselling-form")
    tab.page.select_option("#f-sex", "female")
    tab.page.select_option("#f-age_group", "18-59")
    tab.page.select_option("#f-region", "ML07")
    tab.submit("main form button[type=submit]")
    assert "Accueil de Gao" in tab.text()
    tab.goto("/counselling-sessions")
    tab.check("counselling-sessions")
    tab.goto(f"/counselling-sessions/{world.sessions['a'].id}")
    tab.check("counselling-session")
    tab.goto(f"/sgbv-cases/{world.cases['a'].id}")  # SGBV cases are not theirs
    assert tab.page.locator("h1").inner_text() == "Non autorisé"

    gbv = visit("en", DESKTOP)
    gbv.sign_in("gbv_a")
    gbv.goto(f"/sgbv-cases/{world.cases['a'].id}")
    assert "GAO-2026-001" in gbv.page.inner_text("h1")
    gbv.check("sgbv-case")
    gbv.goto("/password")
    gbv.check("password")


def test_gbv_caseworker_requests_closure_and_a_supervisor_approves(
    visit: Any, live_server: LiveServer
) -> None:
    world = live_server.world
    case_path = f"/sgbv-cases/{world.cases['a'].id}"
    gbv = visit("fr", PHONE)
    gbv.sign_in("gbv_a")
    gbv.goto(case_path)
    assert "Approuver la clôture" not in gbv.text()
    gbv.page.fill("#note-closure_requested", "Services fournis, la survivante est en sécurité.")
    gbv.submit("text=Demander la clôture")
    assert "Clôture demandée" in gbv.page.inner_text("#case")
    assert "Approuver la clôture" not in gbv.text()  # only a supervisor approves
    gbv.check("sgbv-case-closure-requested")

    supervisor = visit("en", DESKTOP)
    supervisor.sign_in("supervisor_a")
    assert "Closures awaiting your approval" in supervisor.text()
    supervisor.page.click(f"#main a[href='{case_path}']")
    supervisor.settle()
    supervisor.check("sgbv-case-approval")
    supervisor.submit("text=Approve the closure")
    assert "Closed" in supervisor.page.inner_text("#case")
    history = supervisor.page.inner_text("#case-history + ol")
    assert "gbv_a" in history
    assert "supervisor_a" in history

    # A supervisor transfers a person without the data-sharing consent, giving the reason.
    supervisor.goto(f"/transfers/new?person_id={world.persons['refugee_child'].id}")
    supervisor.page.select_option("#f-to_organization", "ORGB")
    supervisor.page.fill("#f-consent_override_reason", "Family reunification in Mopti.")
    supervisor.check("transfer-form")
    supervisor.submit("text=Request the transfer")
    assert "Pending" in supervisor.text()
    supervisor.check("transfer")
    supervisor.goto("/transfers")
    supervisor.check("transfers")


def test_supervisor_merges_a_duplicate_person(visit: Any, live_server: LiveServer) -> None:
    world = live_server.world
    tab = visit("en", DESKTOP)
    tab.sign_in("supervisor_a")
    page = tab.page
    # The same woman registered a second time, without her phone.
    tab.goto("/persons/new")
    page.fill("#f-full_name", "Aminata Maiga")
    page.fill("#f-registration_number", "MLI-GAO-009555")
    page.select_option("#f-sex", "female")
    page.fill("#f-birth_year", "1991")
    page.select_option("#f-region", "ML07")
    tab.submit("main form button[type=submit]")
    twin = page.url.rsplit("/", 1)[1]
    kept = world.persons["a"].id
    tab.goto(f"/persons/{kept}")
    tab.submit("text=Possible duplicates")
    assert "MLI-GAO-009555" in tab.text()
    candidate = page.locator(f"details:has(input[name=duplicate_id][value='{twin}'])")
    candidate.locator("summary").click()
    candidate.locator("textarea[name=note]").fill("Registered twice at the Gao desk.")
    candidate.locator("input[name=confirm]").check()
    tab.check("person-duplicates")
    tab.submit(f"details:has(input[value='{twin}']) button[type=submit]")
    assert "Duplicate merged in" in tab.text()
    assert "Registered twice at the Gao desk." in tab.text()
    tab.goto(f"/persons/{twin}?lang=fr")
    tab.language, tab.shots = "fr", "fr-1280"
    assert "a été fusionnée dans une autre fiche" in tab.text()
    assert page.locator("#case form").count() == 0  # nothing left to change
    tab.check("person-merged")
