"""``kehu``: the operator's command line (setup, serve, worker, demo data, admin users)."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

app = typer.Typer(help="Kehu (客户) — operate a Kehu installation.", no_args_is_help=True)
console = Console()


def _data_dir() -> Path:
    return Path(os.environ.get("KEHU_DATA_DIR", Path.cwd() / "var")).resolve()


def _ensure_secret_key() -> None:
    """Generate a secret key file once, unless the operator provides SECRET_KEY(_FILE)."""
    if os.environ.get("SECRET_KEY") or os.environ.get("SECRET_KEY_FILE"):
        return
    path = _data_dir() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        path.chmod(0o600)


def _setup_django() -> None:
    _ensure_secret_key()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    import django
    from django.apps import apps

    # Once is enough: set up again, Django would point logging at whatever stderr is now (a
    # test runner's short-lived capture, say) and lose every later log line.
    if not apps.ready:
        django.setup()


def _default_base_url(host: str, port: int) -> None:
    """Links in mail point where this server answers, unless KEHU_BASE_URL says otherwise.

    Must run before Django reads its settings; the worker and scheduler inherit it.
    """
    if os.environ.get("KEHU_BASE_URL"):
        return
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 — every address: name this machine instead
        host = socket.getfqdn()
    name = f"[{host}]" if ":" in host else host
    os.environ["KEHU_BASE_URL"] = f"http://{name}:{port}"


def _call(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema and the shared cache table."""
    _setup_django()
    _call("migrate", "--no-input")
    _call("createcachetable")


@app.command()
def compilemessages() -> None:
    """Compile the translation catalogues (pure Python; no gettext tools needed)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    package_dir = Path(__file__).parent
    # The project catalogue (kehu/locale) and each app's own (kehu/<app>/locale).
    for po_path in sorted(package_dir.glob("**/locale/*/LC_MESSAGES/*.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with po_path.with_suffix(".mo").open("wb") as mo_file:
            write_mo(mo_file, catalog)
        console.print(f"compiled {po_path.relative_to(package_dir)}")


@app.command()
def demo() -> None:
    """Load (or refresh) the bilingual demo organisation and demo users."""
    _setup_django()
    from kehu.demo import DEMO_PASSWORD, DEMO_USERS, STEPS, build_demo

    with Progress(console=console) as progress:
        bar = progress.add_task("Demo data", total=len(STEPS))
        counts = build_demo(
            progress=lambda step: progress.update(bar, advance=1, description=f"Demo: {step}")
        )
    console.print(f"Demo ready: {counts}")
    console.print(
        f"Demo users (password [bold]{DEMO_PASSWORD}[/bold]): "
        + ", ".join(u[0] for u in DEMO_USERS)
    )


@app.command()
def createadmin(
    username: Annotated[str, typer.Option(prompt=True)],
    email: Annotated[str, typer.Option(prompt=True)],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Create an administrator."""
    _setup_django()
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from kehu.access.models import Role
    from kehu.access.services import user_create

    try:
        validate_password(password)
        user_create(username=username, password=password, email=email, roles=[(Role.ADMIN, None)])
    except ValidationError as exc:
        console.print(f"[red]{' '.join(exc.messages)}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"Administrator {username} created.")


@app.command(name="import")
def import_file(
    kind: Annotated[str, typer.Argument(help="departments or employees")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    dry_run: Annotated[bool, typer.Option(help="Check every row, write nothing")] = False,
) -> None:
    """Import a CSV or XLSX file: every row or none; errors are listed by line."""
    _setup_django()
    from rich.table import Table

    from kehu.org.imports import IMPORTERS

    if kind not in IMPORTERS:
        console.print(f"[red]Choose one of: {', '.join(IMPORTERS)}[/red]")
        raise typer.Exit(2)
    with console.status(f"Checking {path.name} …"):
        result = IMPORTERS[kind](
            filename=path.name, data=path.read_bytes(), user=None, dry_run=dry_run
        )
    if not result.ok:
        table = Table("line", "column", "problem", title="Nothing was imported")
        for error in result.errors:
            table.add_row(str(error.line), error.column or "—", error.message)
        console.print(table)
        raise typer.Exit(1)
    verb = "Would create" if dry_run else "Created"
    console.print(
        f"{verb} {result.created}, {'would update' if dry_run else 'updated'} {result.updated}."
    )


EX_TEMPFAIL = 75  # sysexits.h: the MTA keeps the message and tries again later


@app.command(name="mail-ingest")
def mail_ingest(
    mailbox: Annotated[
        str, typer.Option(help="The mailbox address (default: the one the message was sent to)")
    ] = "",
    mbox: Annotated[
        bool, typer.Option(help="Standard input is an mbox file of many messages (bulk hand-over)")
    ] = False,
) -> None:
    """Read one RFC 822 message on standard input and process it (for an MTA pipe or LMTP hand-off).

    Exits 0 once the message is safely stored (also for a repeat, held or automatic mail), 75
    (EX_TEMPFAIL) when it could not be stored, so the MTA delivers it again later. With --mbox,
    every message of the mbox is processed in one process; running it again is safe.
    """
    _setup_django()
    import json
    from collections import Counter

    from django.db import DatabaseError

    from kehu.mail import ingest, parsing
    from kehu.mail.models import Mailbox

    data = sys.stdin.buffer.read()
    messages = ingest.split_mbox(data) if mbox else [data]
    outcomes: Counter[str] = Counter()
    batch = 100  # one transaction per 100 messages of an mbox; a repeat run skips what was stored
    try:
        active = list(Mailbox.objects.filter(is_active=True).order_by("pk"))
        for start in range(0, len(messages), batch):
            arrivals = []
            for raw in messages[start : start + batch]:
                mail = parsing.parse(raw)
                target = ingest.mailbox_for_message(mail, mailbox, active)
                if target is None:
                    console.print("[red]No active mailbox for this message; create one.[/red]")
                    raise typer.Exit(EX_TEMPFAIL)
                arrivals.append(ingest.Arrival(raw, target, mail))
            records = ingest.ingest_many(arrivals)
            outcomes.update(record.outcome for record in records)
    except DatabaseError as error:
        console.print(f"[red]Not stored, try again later: {error}[/red]")
        raise typer.Exit(EX_TEMPFAIL) from error
    if mbox:
        print(json.dumps({"messages": len(messages), "outcomes": dict(outcomes)}))
    else:
        print(json.dumps(ingest.summary(records[0]), ensure_ascii=False))


@app.command()
def lmtp(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (LMTP's own is 24)")] = 8024,
) -> None:
    """Receive mail from an MTA over LMTP (Postfix: lmtp:inet:HOST:PORT) into the mailboxes.

    Concurrent deliveries are stored together in one transaction; each message is acknowledged
    only once it is committed; while the database is unavailable the MTA is told to retry (451).
    """
    _setup_django()
    import asyncio

    from kehu.ops.lmtp import Listener

    listener = Listener(host, port)

    def ready() -> None:
        console.print(f"Kehu LMTP listening on {host}:{listener.port}", highlight=False)

    signal.signal(signal.SIGTERM, lambda *_args: listener.stop())
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(listener.serve(ready))


@app.command()
def worker() -> None:
    """Run the background task worker (database queue, or Redis with KEHU_TASK_BACKEND=redis)."""
    _setup_django()
    from django.conf import settings

    if settings.TASK_BACKEND == "redis":
        _call("rqworker", "default")
    else:
        _call("db_worker")


@app.command()
def scheduler(
    every: Annotated[int, typer.Option(help="Seconds between passes", min=5)] = 60,
    once: Annotated[bool, typer.Option(help="Enqueue one pass and exit")] = False,
) -> None:
    """Enqueue the periodic work (kehu.core.schedule): SLA warnings and escalations,
    auto-close, deliveries, polling the IMAP mailboxes, sending email replies and the daily
    customer-dossier runs.

    Needs nothing but the task queue, so it runs in the embedded default. Running several
    schedulers is harmless: every pass is idempotent and each event fires once.
    """
    _setup_django()
    import time

    from django.db import DatabaseError, close_old_connections

    from kehu.core.schedule import periodic_tasks
    from kehu.ops import heartbeat
    from kehu.ops.models import Heartbeat

    tasks = periodic_tasks()
    while True:
        close_old_connections()  # a connection the database dropped is opened again
        try:
            heartbeat.beat(Heartbeat.Kind.SCHEDULER)
            for periodic in tasks:
                periodic.enqueue()
        except DatabaseError as error:  # the database restarts: try again on the next pass
            if once:
                raise
            console.print(f"[red]Pass skipped, the database did not answer: {error}[/red]")
        if once:
            return
        time.sleep(every)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(help="Web worker processes")] = 2,
    with_worker: Annotated[
        bool, typer.Option(help="Also run a task worker and the scheduler beside the web workers")
    ] = True,
) -> None:
    """Serve the web UI and API with gunicorn (static files included) and a task worker."""
    _default_base_url(host, port)
    _setup_django()
    from django.conf import settings

    _call("collectstatic", "--no-input", "--verbosity", "0")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE}
    metrics_dir = ""
    if settings.KEHU_METRICS and not env.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each gunicorn worker writes its request samples here; a scrape adds them all up.
        import tempfile

        metrics_dir = env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="kehu-metrics-")
    access_log = [] if settings.KEHU_LOG_FORMAT == "json" else ["--access-logfile", "-"]
    children = []
    if with_worker:
        for command in ("worker", "scheduler"):
            children.append(subprocess.Popen([sys.executable, "-m", "kehu.cli", command], env=env))
    gunicorn = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "kehu.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            *access_log,  # JSON logs: the request line comes from Kehu's own middleware
            "--forwarded-allow-ips",
            "127.0.0.1",
        ],
        env=env,
    )
    children.append(gunicorn)
    console.print(f"Kehu is serving on [bold]http://{host}:{port}/[/bold]  (Ctrl+C stops it)")

    def stop(*_args: object) -> None:
        for child in children:
            child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        gunicorn.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children:
            child.wait(timeout=30)
        if metrics_dir:  # the samples of this run's processes go with them
            import shutil

            shutil.rmtree(metrics_dir, ignore_errors=True)


@app.command()
def up(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Local trial in one step: migrate, compile translations, load the demo, then serve."""
    # A local trial runs over plain http on loopback, where secure-only cookies cannot work.
    os.environ.setdefault("KEHU_HTTPS", "false")
    _default_base_url(host, port)
    compilemessages()
    migrate()
    demo()
    from kehu.demo import DEMO_PASSWORD

    console.rule("[bold]Kehu is ready")
    console.print(
        f"Open http://{host}:{port}/ and sign in as [bold]admin[/bold] / [bold]{DEMO_PASSWORD}[/bold]"
    )
    console.print(
        "Other demo users: lead, agent, employee, auditor, customer, sales, finance, legal, "
        "manager (same password)."
    )
    serve(host=host, port=port, workers=2, with_worker=True)


@app.command(name="backup")
def backup_command(
    output: Annotated[Path, typer.Option(help="Directory the archive is written to")] = Path(
        "backups"
    ),
    keep: Annotated[
        int, typer.Option(help="Keep only the newest N archives in that directory (0: all)", min=0)
    ] = 0,
) -> None:
    """Write one archive of the database and the attachments (safe while Kehu runs)."""
    _setup_django()
    from kehu.ops.backup import BackupError, backup, prune

    try:
        path = backup(output.resolve())
    except BackupError as error:
        console.print(f"[red]No backup written: {error}[/red]", highlight=False)
        raise typer.Exit(1) from error
    console.print(f"Backup written: {path} ({path.stat().st_size:,} bytes)", highlight=False)
    for old in prune(output.resolve(), keep):
        console.print(f"Removed the older backup {old.name}", highlight=False)


@app.command(name="restore")
def restore_command(
    archive: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    force: Annotated[
        bool, typer.Option(help="Replace a database and attachments that already hold data")
    ] = False,
) -> None:
    """Bring a backup archive into this installation (a fresh one, unless --force)."""
    _setup_django()
    from kehu.ops.backup import BackupError, restore

    try:
        result = restore(archive, force=force)
    except BackupError as error:
        console.print(f"[red]Nothing restored: {error}[/red]", highlight=False)
        raise typer.Exit(1) from error
    console.print(
        f"Restored the backup of {result.created_at}: {result.tables} tables, "
        f"{result.files} attachment files. Run `kehu migrate` if this Kehu is newer.",
        highlight=False,
    )


@app.command()
def check(
    deploy: Annotated[
        bool, typer.Option(help="Also check every setting a production installation needs")
    ] = False,
) -> None:
    """Check the installation; with --deploy, report every production setting left unset."""
    _setup_django()
    from django.core.management.base import SystemCheckError

    args = ["check", "--deploy"] if deploy else ["check"]
    try:
        _call(*args, "--fail-level", "ERROR")
    except SystemCheckError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error


contracts_app = typer.Typer(help="Contracts: checks of the approval trail.", no_args_is_help=True)
app.add_typer(contracts_app, name="contracts")


@contracts_app.command("verify")
def contracts_verify() -> None:
    """Check every contract's hash-chained approval trail; exit 1 naming any decision edited,
    inserted or deleted behind Kehu's back."""
    _setup_django()
    from django.core.management.base import CommandError

    try:
        _call("contracts_verify")
    except CommandError as exc:
        console.print(f"[bold red]{exc}[/bold red]")
        raise typer.Exit(1) from exc


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def manage(ctx: typer.Context) -> None:
    """Run any Django management command, e.g. ``kehu manage check --deploy``."""
    _setup_django()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kehu manage", *ctx.args])


if __name__ == "__main__":
    app()
