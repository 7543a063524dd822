"""Case management through the pages: the work list, owners, the lifecycle, transfers,
tasks and attachments, each through the same services as the API."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.audit.models import AuditEntry
from casework.persons.models import Person
from casework.sgbv.models import SgbvCase
from casework.tasks.models import Task
from tests.factories import PDF, World, add_case_management, build_world
from tests.web.helpers import csrf_of, sign_in, web_client


@pytest.fixture
def world(session: Session) -> World:
    world = add_case_management(session, build_world(session))
    session.commit()
    return world


def signed_in(app: FastAPI, username: str) -> tuple[TestClient, str]:
    client = web_client(app)
    return client, sign_in(client, username)


def version_in(html: str, action: str) -> str:
    form = html[html.index(f'action="{action}"') :]
    found = re.search(r'name="version" value="(\d+)"', form)
    assert found
    return found.group(1)


def test_the_work_list_shows_the_task_a_referral_made_and_open_cases(
    app: FastAPI, world: World
) -> None:
    client, _token = signed_in(app, "caseworker_a")
    page = client.get("/?lang=en").text
    assert "My tasks" in page
    # Made by the system in the server's language, shown in the reader's.
    assert "Follow up the referral to CVJR" in page
    assert "Suivre le référencement vers CVJR" in client.get("/?lang=fr").text
    assert f"/referrals/{world.referrals['person_sent'].id}" in page
    assert "My open cases" in page
    assert "Fatoumata Diallo" in page  # a case they own, by name
    # Ticking the task off takes it from the list.
    task = world.tasks["person_sent"]
    token = csrf_of(page)
    done = client.post(
        f"/tasks/{task.id}/status", data={"to": "done", "next": "/", "csrf_token": token}
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/"
    assert "Follow up the referral" not in client.get("/?lang=en").text


def test_the_focal_point_sees_what_waits_and_the_receiver_sees_transfers(
    app: FastAPI, world: World
) -> None:
    focal, _ = signed_in(app, "focal_cvjr")
    page = focal.get("/?lang=en").text
    assert f"/referrals/{world.referrals['person_sent'].id}" in page
    assert "My tasks" not in page
    receiver, _ = signed_in(app, "caseworker_b")
    page = receiver.get("/?lang=en").text
    assert "Transfers waiting for your organisation" in page
    assert f"/transfers/{world.transfers['pending'].id}" in page


def test_a_gbv_closure_is_requested_and_approved_by_a_supervisor(
    app: FastAPI, world: World, session: Session
) -> None:
    case = world.cases["a"]
    url = f"/sgbv-cases/{case.id}"
    gbv, token = signed_in(app, "gbv_a")
    page = gbv.get(url + "?lang=en").text
    assert "Request closure" in page
    assert "Approve the closure" not in page
    # The reason is required: the page says so and nothing changes.
    refused = gbv.post(url + "/transitions", data={"to": "closure_requested", "csrf_token": token})
    assert refused.status_code == 422
    assert "Give the reason in the note." in refused.text
    asked = gbv.post(
        url + "/transitions",
        data={
            "to": "closure_requested",
            "note": "All services delivered",
            "version": version_in(page, url + "/transitions"),
            "csrf_token": token,
        },
    )
    assert asked.status_code == 303
    page = gbv.get(url + "?lang=en").text
    assert "Withdraw the closure request" in page
    assert "Approve the closure" not in page  # only a supervisor approves

    supervisor, token = signed_in(app, "supervisor_a")
    home = supervisor.get("/?lang=en").text
    assert "Closures awaiting your approval" in home
    # The pending transfer from their region (to another organisation) is in view too.
    assert f"/transfers/{world.transfers['pending'].id}" in home
    assert case.survivor_code in home
    page = supervisor.get(url + "?lang=en").text
    assert "Reject the closure request" in page
    approved = supervisor.post(
        url + "/transitions",
        data={
            "to": "closed",
            "version": version_in(page, url + "/transitions"),
            "csrf_token": token,
        },
    )
    assert approved.status_code == 303
    session.expire_all()
    assert session.get(SgbvCase, case.id).status == "closed"  # type: ignore[union-attr]
    history = supervisor.get(url + "?lang=en").text
    assert "All services delivered" in history
    assert "supervisor_a" in history


def test_a_stale_form_is_reported_not_applied(app: FastAPI, world: World) -> None:
    url = f"/persons/{world.persons['refugee'].id}"
    client, token = signed_in(app, "caseworker_a")
    response = client.post(
        url + "/transitions",
        data={"to": "closed", "note": "Left", "version": "99", "csrf_token": token},
    )
    assert response.status_code == 412
    assert "changed this case" in response.text or "a modifié ce cas" in response.text


def test_the_owner_reassigns_and_only_eligible_owners_are_offered(
    app: FastAPI, world: World, session: Session
) -> None:
    person = world.persons["refugee"]
    url = f"/persons/{person.id}"
    client, token = signed_in(app, "caseworker_a")
    page = client.get(url + "?lang=en").text
    offered = re.findall(r'<option value="([^"]+)"', page[page.index('name="owner"') :])
    assert "caseworker_a2" in offered
    assert "gbv_a" in offered
    assert "caseworker_b" not in offered
    assert "caseworker_a" not in offered
    moved = client.post(
        url + "/assign", data={"owner": "caseworker_a2", "note": "Leave", "csrf_token": token}
    )
    assert moved.status_code == 303
    session.expire_all()
    assert session.get(Person, person.id).owner_id == world.user("caseworker_a2").id  # type: ignore[union-attr]
    # No longer the owner: no move, no re-assign form; the API's rule, not the page's.
    page = client.get(url + "?lang=en").text
    assert "Close the case" not in page
    assert 'name="owner"' not in page
    again = client.post(url + "/assign", data={"owner": "caseworker_a", "csrf_token": token})
    assert again.status_code == 403


def test_a_transfer_without_consent_says_how_to_fix_it_then_the_receiver_accepts(
    app: FastAPI, world: World, session: Session
) -> None:
    person = world.persons["refugee"]  # no data-sharing consent
    client, token = signed_in(app, "caseworker_a")
    form = client.get(f"/transfers/new?person_id={person.id}&lang=en").text
    assert 'value="ORGB"' in form
    assert 'value="ORGA"' not in form
    assert "consent_override_reason" not in form  # supervisors only
    refused = client.post(
        "/transfers",
        data={"person_id": str(person.id), "to_organization": "ORGB", "csrf_token": token},
    )
    assert refused.status_code == 409
    assert f"/consents/new?person_id={person.id}&amp;purpose=data_sharing" in refused.text

    supervisor, token = signed_in(app, "supervisor_a")
    asked = supervisor.post(
        "/transfers",
        data={
            "person_id": str(person.id),
            "to_organization": "ORGB",
            "consent_override_reason": "Urgent protection need",
            "csrf_token": token,
        },
    )
    assert asked.status_code == 303
    transfer_url = asked.headers["location"]

    receiver, token = signed_in(app, "caseworker_b")
    page = receiver.get(transfer_url + "?lang=en").text
    assert "Accept the case" in page
    assert "Cancel the transfer" not in page
    assert "Urgent protection need" in page
    rejected = receiver.post(
        transfer_url + "/transitions", data={"to": "rejected", "csrf_token": token}
    )
    assert rejected.status_code == 422  # a rejection needs its reason
    accepted = receiver.post(
        transfer_url + "/transitions", data={"to": "accepted", "csrf_token": token}
    )
    assert accepted.status_code == 303
    session.expire_all()
    moved = session.get(Person, person.id)
    assert moved is not None
    assert moved.organization_id == world.org_b.id
    assert receiver.get(f"/persons/{person.id}").status_code == 200
    assert client.get(f"/persons/{person.id}").status_code == 404  # no longer the sender's
    listed = receiver.get("/transfers?direction=incoming&status=accepted").text
    assert transfer_url in listed


def test_a_task_is_made_by_hand_and_completed(app: FastAPI, world: World, session: Session) -> None:
    person = world.persons["a"]
    client, token = signed_in(app, "caseworker_a")
    missing = client.post("/tasks", data={"person_id": str(person.id), "csrf_token": token})
    assert missing.status_code == 422
    made = client.post(
        "/tasks",
        data={
            "title": "Bring the birth certificate",
            "due_on": "2020-01-01",
            "person_id": str(person.id),
            "csrf_token": token,
        },
    )
    assert made.status_code == 303
    assert made.headers["location"].endswith("#tasks")
    listing = client.get("/tasks?show=overdue&lang=en").text
    assert "Bring the birth certificate" in listing
    task = session.scalars(select(Task).where(Task.person_id == person.id)).one()
    # The page an "assigned to you" e-mail links to.
    page = client.get(f"/tasks/{task.id}?lang=en").text
    assert "Bring the birth certificate" in page
    assert "Cancel the task" in page
    done = client.post(
        f"/tasks/{task.id}/status",
        data={"to": "done", "version": str(task.version), "csrf_token": token},
    )
    assert done.status_code == 303
    assert "Bring the birth certificate" in client.get("/tasks?show=done").text
    assert "Bring the birth certificate" not in client.get("/tasks").text
    outsider, token = signed_in(app, "caseworker_b")
    hidden = outsider.post(f"/tasks/{task.id}/status", data={"to": "open", "csrf_token": token})
    assert hidden.status_code == 404


def test_attachments_are_uploaded_listed_and_downloaded_with_an_audit_entry(
    app: FastAPI, world: World, session: Session
) -> None:
    person = world.persons["a"]
    url = f"/persons/{person.id}"
    upload = f"/attachments?person_id={person.id}"
    client, token = signed_in(app, "caseworker_a")
    page = client.get(url + "?lang=en").text
    assert 'enctype="multipart/form-data"' in page
    form = {"csrf_token": token, "kind": "consent_form", "person_id": str(person.id)}
    uploaded = client.post(
        upload, data=form, files={"file": ("signed.pdf", PDF, "application/pdf")}
    )
    assert uploaded.status_code == 303, uploaded.text[:300]
    page = client.get(url + "?lang=en").text
    assert "signed.pdf" in page
    link = re.search(r'href="(/attachments/[0-9a-f-]+)" download>signed.pdf', page)
    assert link
    download = client.get(link.group(1))
    assert download.status_code == 200
    assert download.content == PDF
    assert "sandbox" in download.headers["content-security-policy"]
    attachment_id = link.group(1).rsplit("/", 1)[1]
    audited = session.scalars(select(AuditEntry).where(AuditEntry.record_id == attachment_id)).all()
    assert any((e.detail or {}).get("content") for e in audited)

    text = client.post(
        upload,
        data=form,
        files={"file": ("notes.txt", b"hello world, plain", "text/plain")},
    )
    assert text.status_code == 415
    assert "Only PDF, JPEG, PNG and WebP" in text.text or "Seuls les fichiers" in text.text
    forged = client.post(
        upload,
        data={**form, "csrf_token": "forged"},
        files={"file": ("x.pdf", PDF, "application/pdf")},
    )
    assert forged.status_code == 403
    outsider, token = signed_in(app, "caseworker_b")
    assert outsider.get(link.group(1)).status_code == 404
    blocked = outsider.post(
        upload,
        data={**form, "csrf_token": token},
        files={"file": ("x.pdf", PDF, "application/pdf")},
    )
    assert blocked.status_code == 404


def test_a_scanned_form_larger_than_an_ordinary_body_is_accepted(
    app: FastAPI, world: World
) -> None:
    """A page's body limit is 1 MiB; an upload has the attachments' own limit."""
    person = world.persons["a"]
    client, token = signed_in(app, "caseworker_a")
    scan = PDF + b"0" * (3 * 1024 * 1024)
    uploaded = client.post(
        f"/attachments?person_id={person.id}",
        data={"csrf_token": token, "kind": "consent_form"},
        files={"file": ("scan.pdf", scan, "application/pdf")},
    )
    assert uploaded.status_code == 303, uploaded.text[:300]
    assert "scan.pdf" in client.get(f"/persons/{person.id}").text
