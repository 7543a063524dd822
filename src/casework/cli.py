"""The ``casework`` command: migrate, demo, serve, create-user, ..."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from casework.core.config import get_settings

err = Console(stderr=True)


class _CaseworkGroup(TyperGroup):
    """Every command: an unmigrated database is one clear line, never a traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer vendors click: its Context is internal
        from sqlalchemy.exc import DBAPIError

        from casework.core.migrations import NotMigrated

        try:
            return super().invoke(ctx)
        except NotMigrated as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1) from None
        except DBAPIError as failure:
            # A missing table (a command without its own check), or no database at all.
            try:
                _require_migrated()
            except NotMigrated as exc:
                typer.echo(str(exc), err=True)
                raise typer.Exit(1) from None
            except DBAPIError:
                from casework.core.migrations import describe_database

                reason = str(failure.orig or failure).strip().splitlines() or ["no answer"]
                where = describe_database(get_settings().sqlalchemy_url)
                typer.echo(f"the database at {where} is not reachable: {reason[0]}", err=True)
                raise typer.Exit(1) from None
            raise


app = typer.Typer(
    cls=_CaseworkGroup,
    help="casework: protection-monitoring case management.",
    no_args_is_help=True,
)


def _require_migrated() -> None:
    """Stop with one line unless the configured database is migrated to head."""
    from casework.core.db import get_engine
    from casework.core.migrations import check_migrated

    check_migrated(get_engine())


@app.command()
def migrate(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Bring the database schema up to date (alembic upgrade)."""
    from casework.core.db import get_engine
    from casework.core.migrations import upgrade

    with get_engine().begin() as connection:
        upgrade(connection, revision)
    typer.echo(f"database at {revision}")


@app.command()
def demo(
    reset_passwords: Annotated[
        bool, typer.Option(help="Give the demo users new passwords and print them again.")
    ] = False,
) -> None:
    """Load demo organisations, users of every role and incidents (safe to run again)."""
    from casework.demo import load_demo

    _require_migrated()
    load_demo(reset_passwords=reset_passwords)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the API with uvicorn (and run the notification scheduler)."""
    import os
    import tempfile

    import uvicorn

    from casework.core.config import environment_warning

    settings = get_settings()
    warning = environment_warning(settings)
    if warning:
        err.print(f"[bold yellow]WARNING: {warning}[/bold yellow]")
        if not _is_loopback(host):
            err.print(
                f"[red]refusing to listen on {host} in a development mode nobody chose: "
                "set CASEWORK_ENV (production for real data)[/red]"
            )
            raise typer.Exit(2)
    _require_migrated()
    _check_port_free(host, port)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - a display name
    base = f"http://{shown}:{port}" if ":" not in shown else f"http://[{shown}]:{port}"
    typer.echo(f"casework is serving at {base}/ (web), API documentation at {base}/docs")
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several processes: /metrics must add up every worker's counters.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="casework-metrics-")
    if settings.metrics_address:
        _serve_metrics(settings.metrics_address)

    uvicorn.run(
        "casework.main:app",
        host=host,
        port=port,
        workers=workers,
        # X-Forwarded-* are read by the application, from CASEWORK_TRUSTED_PROXIES only
        # (uvicorn would believe any loopback peer).
        proxy_headers=False,
        server_header=False,
        log_level="info",
        # uvicorn's access log prints query strings (?registration_number=...):
        # casework logs each request itself, by route template.
        access_log=False,
    )


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _serve_metrics(address: str) -> None:
    """A second listener with /metrics only (CASEWORK_METRICS_ADDRESS), in this process."""
    import os

    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    host, _, port = address.rpartition(":")
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    start_http_server(int(port), addr=host.strip("[]") or "127.0.0.1", registry=registry)
    err.print(f"metrics on http://{address}/metrics")


@app.command("create-user")
def create_user(
    username: Annotated[str, typer.Option(help="Login name")],
    role: Annotated[str, typer.Option(help="admin, supervisor, monitor, caseworker, ...")],
    organization: Annotated[
        str | None, typer.Option(help="Organisation code (an existing one)")
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option(help="Region P-code (repeat for several)")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Referral actor code (focal points)")] = None,
    create_organization: Annotated[
        bool,
        typer.Option(
            "--create-organization",
            help="Create the organisation if the code is new (otherwise a new code is refused)",
        ),
    ] = False,
) -> None:
    """Create a user. The password is read from standard input (one line, no prompt when piped)."""
    from pydantic import ValidationError

    from casework.auth import service as auth_service
    from casework.auth.schemas import UserCreate
    from casework.core.db import new_session
    from casework.core.errors import ProblemError

    _require_migrated()
    if organization and not create_organization:
        with new_session() as session:
            known = auth_service.get_organization_by_code(session, organization) is not None
        if not known:
            err.print(
                f"unknown organisation {organization.upper()}: check the code, or add "
                "--create-organization to create it",
                markup=False,
            )
            raise typer.Exit(2)
    password = _read_password()
    try:
        data = UserCreate(
            username=username,
            password=password,
            role=role,
            organization=organization,
            regions=region or [],
            actor=actor,
        )
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            err.print(f"[red]{'.'.join(map(str, error['loc']))}: {error['msg']}[/red]")
        raise typer.Exit(2) from None
    with new_session() as session:
        try:
            user = auth_service.create_user(
                session, data, get_settings(), create_missing_organization=create_organization
            )
            session.commit()
        except ProblemError as exc:
            err.print(f"[red]{exc.detail}[/red]")
            for problem in exc.errors or []:
                where = ".".join(map(str, problem["loc"][1:]))
                err.print(f"[red]  {where}: {problem['msg']}[/red]")
            raise typer.Exit(2) from None
        typer.echo(f"created {user.role} {user.username} ({user.id})")


@app.command("unlock-user")
def unlock_user(username: Annotated[str, typer.Argument(help="Login name")]) -> None:
    """Lift a login lockout (after too many wrong passwords) before it expires. Audited."""
    from casework.auth import service as auth_service
    from casework.core.db import new_session

    _require_migrated()
    with new_session() as session:
        user = auth_service.get_user_by_username(session, username)
        if user is None:
            err.print(f"no user named {username}", markup=False)
            raise typer.Exit(2)
        lifted = auth_service.unlock(session, user)
        session.commit()
        name = user.username
    typer.echo(f"{name} unlocked" if lifted else f"{name} was not locked out; failures cleared")


@app.command("rotate-key")
def rotate_key() -> None:
    """Re-encrypt every encrypted field and attachment under the active key.

    Add the new key to CASEWORK_ENCRYPTION_KEYS, make it active, run this, then
    remove the old key. Safe to interrupt and run again.
    """
    from rich.progress import Progress, TaskID

    from casework.attachments import service as attachment_service
    from casework.attachments import storage as attachment_storage
    from casework.core.db import get_engine
    from casework.core.rotation import rotate

    _require_migrated()
    keyring = get_settings().keyring()
    with Progress(console=err, transient=True) as progress:
        tasks: dict[str, TaskID] = {}

        def report(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = progress.add_task(name, total=total or 1)
            progress.update(tasks[name], completed=done if total else 1)

        rewritten = rotate(get_engine(), keyring, report)
        rewritten["attachments"] = attachment_service.rotate(
            get_engine(), attachment_storage.store_for(get_settings()), keyring, report
        )
    for name, count in rewritten.items():
        typer.echo(f"{name}: {count} re-encrypted")
    typer.echo(f"every encrypted value is now under key {keyring.active}")


@app.command("index-persons")
def index_persons(
    everything: Annotated[
        bool, typer.Option("--all", help="Every person (after changing the blind index key)")
    ] = False,
) -> None:
    """Compute the keyed name tokens that duplicate detection compares, where missing.

    Run once after upgrading to a release that looks for duplicates (the migration
    cannot: the tokens need the blind index key), and after a change of the matching
    rules. New and edited persons are indexed as they are saved. Safe to interrupt and
    run again.
    """
    from casework.core.db import get_engine
    from casework.persons import duplicates

    _require_migrated()
    done = duplicates.index_all(get_engine(), everything=everything)
    typer.echo(f"{done} persons indexed")


@app.command("notify-overdue")
def notify_overdue() -> None:
    """Queue overdue referrals (actors and supervisors), then deliver what is due.

    Safe from cron every minute on several machines at once: each fact is
    queued once, and each event is delivered by one worker.
    """
    from casework.core.db import new_session, session_factory
    from casework.notifications import service as notifications

    _require_migrated()
    with new_session() as session:
        late = notifications.queue_overdue(session)
        session.commit()
    outcome = notifications.deliver_due(session_factory(), notifications.http_poster())
    typer.echo(f"{late} overdue referrals; deliveries: {dict(outcome) or 'none due'}")


@app.command("deliver-notifications")
def deliver_notifications() -> None:
    """Deliver the notifications that are due (retries with backoff)."""
    from casework.core.db import session_factory
    from casework.notifications import service as notifications

    _require_migrated()
    outcome = notifications.deliver_due(session_factory(), notifications.http_poster())
    typer.echo(f"deliveries: {dict(outcome) or 'none due'}")


kobo_app = typer.Typer(help="KoboToolbox integration.", no_args_is_help=True)
app.add_typer(kobo_app, name="kobo")


@kobo_app.command("pull")
def kobo_pull(
    server: Annotated[str, typer.Option(help="Kobo server, e.g. https://kf.kobotoolbox.org")],
    asset: Annotated[str, typer.Option(help="The form's asset uid")],
    token_env: Annotated[str, typer.Option(help="Environment variable holding the API token")],
    form: Annotated[
        str | None, typer.Option(help="casework form code (default: the asset uid)")
    ] = None,
    page_size: Annotated[int, typer.Option(min=1, max=30000)] = 100,
) -> None:
    """Fetch submissions through the Kobo v2 data API; resumes where the last pull stopped."""
    import os

    import httpx
    from rich.progress import Progress

    from casework.core.db import session_factory
    from casework.core.errors import ProblemError
    from casework.integrations.pull import pull

    _require_migrated()
    token = os.environ.get(token_env)
    if not token:
        err.print(f"[red]{token_env} is not set[/red]")
        raise typer.Exit(2)
    with Progress(console=err) as bar:
        task = bar.add_task(f"kobo {asset}", total=None)
        try:
            outcome = pull(
                session_factory(),
                server=server,
                asset=asset,
                token=token,
                form_code=form or asset,
                page_size=page_size,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        except httpx.HTTPError as exc:
            err.print(f"[red]stopped: {type(exc).__name__}; run again to resume[/red]")
            raise typer.Exit(1) from None
        except ProblemError as exc:
            err.print(f"[red]{exc.detail}[/red]")
            raise typer.Exit(2) from None
    typer.echo(f"pulled: {dict(outcome) or 'nothing new'}")


@kobo_app.command("rotate-secret")
def kobo_rotate_secret(
    form: Annotated[str, typer.Option(help="casework form code")],
    grace_hours: Annotated[
        int | None,
        typer.Option(min=0, max=24 * 7, help="Hours the old secret still works (default 0)"),
    ] = None,
) -> None:
    """Give a form a new X-Kobo-Secret (printed once); the old one is refused."""
    from datetime import timedelta

    from sqlalchemy import select

    from casework.audit import service as audit_service
    from casework.core.db import new_session
    from casework.integrations import kobo
    from casework.integrations.models import KoboForm

    _require_migrated()
    hours = get_settings().kobo_secret_grace_hours if grace_hours is None else grace_hours
    with new_session() as session:
        record = session.scalar(select(KoboForm).where(KoboForm.code == form))
        if record is None:
            err.print(f"[red]no Kobo form {form}[/red]")
            raise typer.Exit(2)
        secret = kobo.rotate_secret(session, record, timedelta(hours=hours))
        audit_service.record(session, "kobo.secret_rotated", "kobo_forms", record.id)
        session.commit()
        until = record.previous_secret_expires_at
    typer.echo(secret)
    err.print(f"old secret valid until {until.isoformat()}" if until else "old secret refused")


audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk the hash chain; exit 1 at the first broken link."""
    from casework.audit import service as audit_service
    from casework.core.db import new_session

    _require_migrated()
    with new_session() as session:
        result = audit_service.verify(session)
    if result.ok:
        typer.echo(f"audit chain intact: {result.checked} entries verified")
        return
    err.print(
        f"[red]audit chain broken at entry {result.broken_at}: {result.reason} "
        f"({result.checked} entries verified before it)[/red]"
    )
    raise typer.Exit(1)


def _check_port_free(host: str, port: int) -> None:
    """A busy port is one line naming it and how to pick another, not a traceback."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                typer.echo(f"cannot listen on {host}:{port}: {exc.strerror}", err=True)
                raise typer.Exit(1) from None
            typer.echo(
                f"port {port} on {host} is already in use: stop what uses it, or pick another "
                f"port (PORT={port + 1} make run, or casework serve --port {port + 1})",
                err=True,
            )
            raise typer.Exit(1) from None


def _read_password() -> str:
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        err.print("[red]no password on standard input[/red]")
        raise typer.Exit(2)
    return password


if __name__ == "__main__":  # pragma: no cover
    app()
