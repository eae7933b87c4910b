"""The one command line of the project: ``python -m services COMMAND``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from shared.config import DEFAULT_PORTS, REPO_ROOT, SERVICES, load

service_arg = click.argument("service", type=click.Choice(SERVICES))


def _metrics_dir(service: str) -> None:
    """Point prometheus_client at the service's shared directory before anything imports it."""
    default = Path(os.environ.get("VAR_DIR", REPO_ROOT / "var")) / "metrics" / service
    path = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(default)))
    path.mkdir(parents=True, exist_ok=True)


@click.group()
def cli():
    """Xinsheng (职工心声直通车): run, migrate and look after the services."""


@cli.command()
@click.argument("services", nargs=-1, type=click.Choice(SERVICES))
def migrate(services):
    """Bring each service's database to the latest schema (all services by default)."""
    from shared import migrate as m

    for service in services or SERVICES:
        m.upgrade(load(service))
        click.echo(f"{service}: migrated")


@cli.command()
@service_arg
@click.option("--port", type=int, default=None, help="default: $PORT, else the service's own port")
@click.option("--workers", type=int, default=None, help="default: $WEB_CONCURRENCY, else 2")
def web(service, port, workers):
    """Start the service's web process under gunicorn."""
    _metrics_dir(service)
    port = port or int(os.environ.get("PORT", DEFAULT_PORTS[service]))
    workers = workers or int(os.environ.get("WEB_CONCURRENCY", 2))
    host = os.environ.get("HOST", "127.0.0.1")
    os.environ["XINSHENG_SERVICE"] = service  # for gunicorn's own log lines
    args = [
        "gunicorn",
        "--config",
        "python:shared.gunicorn_conf",
        "--no-control-socket",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--chdir",
        str(REPO_ROOT),
        f"services.{service}.app:create_app()",
    ]
    os.execvp(sys.executable, [sys.executable, "-m", *args])


@cli.command()
@service_arg
def worker(service):
    """Start the service's worker process: its consumer, outbox relay and timers."""
    _metrics_dir(service)
    import importlib

    importlib.import_module(f"services.{service}.worker").main()


DEMO_PASSWORD = "xinsheng-demo"


@cli.command("import-directory")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--demo-password",
    default=None,
    help="give this password to every staff member who has none (demo directories only)",
)
def import_directory(path, demo_password):
    """Load the organisation directory (YAML) into routing and publish what changed."""
    from pydantic import ValidationError

    from services.routing import config as routing_config
    from services.routing import directory
    from services.routing.models import outbox
    from shared.bootstrap import bootstrap
    from shared.uow import unit_of_work

    try:
        d = directory.load(path)
    except (ValidationError, ValueError) as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    rt = bootstrap(routing_config.load())
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        changed = directory.apply(uow, d)
        if demo_password:
            from services.routing.staff import set_missing_passwords

            set_missing_passwords(uow.conn, demo_password)
    click.echo(f"directory: {len(d.counties)} counties, {len(d.enterprises)} enterprises, {changed} changed")


@cli.command("companion-demo")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def companion_demo(path):
    """Give each active enterprise of a (demo) directory a companion day and a few weeks of history,
    when companion has no schedule yet (``make up`` does this with the demo directory)."""
    from services.companion import config as companion_config
    from services.companion import demo
    from services.routing import directory
    from shared.bootstrap import bootstrap

    d = directory.load(path)
    rt = bootstrap(companion_config.load())
    held = demo.seed(
        rt.engine, [(e.code, e.chair.id if e.chair else None) for e in d.enterprises if e.active]
    )
    click.echo(f"companion: {held} demo days held" if held else "companion: schedules kept as they are")


@cli.command("set-password")
@click.argument("staff_id")
def set_password(staff_id):
    """Set a staff member's password (asked for, or read from standard input; never an argument).
    Their sessions open before it end, in every service, within a minute."""
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    from services.routing import config as routing_config
    from services.routing.models import outbox
    from services.routing.revocations import revoke
    from services.routing.staff import set_password as store
    from shared.bootstrap import bootstrap
    from shared.uow import unit_of_work

    rt = bootstrap(routing_config.load())
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        if not store(uow.conn, staff_id, password):
            raise click.ClickException(f"no staff member {staff_id}")
        revoke(uow, staff_id, "password_reset")
    click.echo(f"password set for {staff_id}; their open sessions are closed")


@cli.group("dead-letters")
def dead_letters():
    """List or replay the messages a service could not handle, and the events its outbox parked."""


@dead_letters.command("list")
@service_arg
def dead_list(service):
    from shared.deadletters import list_dead

    rows = list_dead(load(service), service)
    for d in rows:
        click.echo(f"{d.message_id}\t{d.type}\t{d.attempts}\t{d.failed_at}\t{d.reason}")
    click.echo(f"{len(rows)} dead letter(s) in {service}", err=True)


@dead_letters.command("replay")
@service_arg
@click.option("--id", "ids", multiple=True, help="replay only these message ids (default: all)")
def dead_replay(service, ids):
    from shared.deadletters import replay

    n = replay(load(service), service, set(ids) or None)
    click.echo(f"{n} dead letter(s) replayed into {service}'s queue")


def _outbox(service):
    """The service's engine and outbox table; a clear error for a service that publishes nothing."""
    import importlib

    from shared.db import make_engine

    outbox = getattr(importlib.import_module(f"services.{service}.models"), "outbox", None)
    if outbox is None:
        raise click.ClickException(f"{service} publishes nothing: it has no outbox")
    return make_engine(load(service).database_url), outbox


@dead_letters.command("parked")
@service_arg
def dead_parked(service):
    """The service's outbox events parked after the broker refused them again and again."""
    from shared.outbox import parked

    engine, outbox = _outbox(service)
    rows = parked(engine, outbox)
    for p in rows:
        click.echo(f"{p.event_id}\t{p.type}\t{p.attempts}\t{p.created_at.isoformat()}")
    click.echo(f"{len(rows)} parked event(s) in {service}'s outbox", err=True)


@dead_letters.command("unpark")
@service_arg
@click.option("--id", "ids", multiple=True, help="only these event ids (default: all)")
def dead_unpark(service, ids):
    """Give parked outbox events to the relay again (once what refused them is mended)."""
    from shared.outbox import unpark

    engine, outbox = _outbox(service)
    n = unpark(engine, outbox, set(ids) or None)
    click.echo(f"{n} parked event(s) handed back to {service}'s relay")


@cli.group("calendar")
def calendar_group():
    """The working calendar: the official schedule of each year (holidays and adjusted working days)."""


@calendar_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def calendar_import(path):
    """Load a year's official schedule (YAML, as services/routing/calendars/2026.yaml) into routing."""
    import yaml
    from pydantic import ValidationError

    from services.routing import calendar
    from services.routing import config as routing_config
    from services.routing.deadlines import recompute_provisional
    from services.routing.models import outbox
    from shared.bootstrap import bootstrap
    from shared.uow import unit_of_work

    try:
        schedule = calendar.read(path)
    except (ValidationError, ValueError, yaml.YAMLError) as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    rt = bootstrap(routing_config.load())
    with unit_of_work(rt.engine, outbox, rt.settings) as uow:
        calendar.store(uow.conn, schedule)
        calendar.publish(uow, schedule)
        known = calendar.load(uow.conn)
        changed = recompute_provisional(uow, known)
    click.echo(
        f"calendar {schedule.year}: {len(schedule.differences())} days differ from a plain week; "
        f"known until {known.known_until()}; {changed} provisional due date(s) changed"
    )


@cli.group("policy")
def policy_group():
    """The deadline policy: how long a case has per category and urgency, reminders, supervision."""


@policy_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def policy_import(path):
    """Load a deadline policy (YAML, as services/routing/policy.yaml) into routing; it applies to new
    cases only."""
    import yaml
    from pydantic import ValidationError

    from services.routing import config as routing_config
    from services.routing import policy
    from shared.bootstrap import bootstrap

    try:
        loaded = policy.read(path)
    except (ValidationError, ValueError, yaml.YAMLError) as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    rt = bootstrap(routing_config.load())
    with rt.engine.begin() as conn:
        version = policy.store(conn, loaded, str(path))
    click.echo(
        f"deadline policy version {version} loaded from {path}; it applies to cases assigned from now on"
    )


@policy_group.command("show")
def policy_show():
    """Print the current deadline policy as YAML, with its version."""
    import yaml

    from services.routing import config as routing_config
    from services.routing import policy
    from shared.bootstrap import bootstrap

    rt = bootstrap(routing_config.load())
    with rt.engine.connect() as conn:
        version, current = policy.load(conn)
    click.echo(f"# version {version}" + (" (the shipped defaults)" if version == 0 else ""))
    click.echo(yaml.safe_dump(current.model_dump(mode="json"), allow_unicode=True, sort_keys=False))


@cli.command("check-broker")
def check_broker():
    """Exit non-zero, with one clear line, when RabbitMQ cannot be reached."""
    _require_broker()
    click.echo("RabbitMQ: reachable")


def _require_broker():
    from shared.broker import RETRYABLE, connect

    settings = load("intake")
    try:
        connect(settings, heartbeat=0).close()
    except RETRYABLE as exc:
        shown = settings.amqp_url.split("@")[-1]
        raise click.ClickException(
            f"RabbitMQ is not reachable at {shown} ({type(exc).__name__}); start it with "
            "`rabbitmq-server -detached` (as root), or set AMQP_URL to a running broker."
        ) from None


@cli.command()
@click.option(
    "--directory",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=REPO_ROOT / "services" / "routing" / "demo" / "directory.yaml",
    show_default=True,
)
def up(directory):
    """Migrate, load the directory, start every process of the Procfile in the background."""
    import shutil

    from shared import procs

    _require_broker()
    ctx = click.get_current_context()
    ctx.invoke(down)
    ctx.invoke(migrate)
    ctx.invoke(import_directory, path=directory, demo_password=DEMO_PASSWORD)
    ctx.invoke(companion_demo, path=directory)
    var = Path(os.environ.get("VAR_DIR", REPO_ROOT / "var"))
    shutil.rmtree(var / "metrics", ignore_errors=True)  # start every service's metrics afresh
    system = procs.System(env={"METRICS_TOKEN": _metrics_token(var)}, log_dir=var / "log")
    if busy := system.busy_ports():
        raise click.ClickException(f"port(s) {busy} already in use: stop what listens there (`make down`?)")
    system.start_all()
    (var / "run").mkdir(parents=True, exist_ok=True)
    (var / "run" / "pids").write_text("".join(f"{n} {p.pid}\n" for n, p in system.procs.items()))
    try:
        system.wait_healthy(timeout=60)
        procs.wait_until(
            lambda: (
                procs.http_ok(system.url("intake", "/api/v1/enterprises")) and _enterprises_listed(system)
            ),
            30,
            what="the directory to reach intake",
        )
    except (TimeoutError, RuntimeError) as exc:
        system.stop_all()
        raise click.ClickException(f"{exc}; see the logs in {var / 'log'}") from None
    names = {
        "intake": "worker form, kiosk /k/E001, status /s, API /api/v1",
        "routing": "log-in /api/v1/auth/token, the ledger /api/v1/cases, directory /api/v1/directory",
        "notify": "notifications",
        "reports": "summary /api/v1/reports/summary (staff)",
        "companion": "companion days /api/v1/schedules, surveys /api/v1/surveys (staff); kiosk /k/E001, diary /diary/E001",
    }
    click.echo("Xinsheng is up (logs in var/log, stop with `make down`):")
    click.echo(
        f"  demo staff log-in: any staff id of the demo directory (e.g. e001-chair), password {DEMO_PASSWORD}"
    )
    click.echo(
        f"  /metrics: send 'Authorization: Bearer TOKEN', TOKEN in {var / 'metrics-token'} (or METRICS_TOKEN)"
    )
    for service, what in names.items():
        click.echo(f"  {service:8} {system.url(service)}  {what}; /metrics /readyz /apidoc/openapi.json")


def _metrics_token(var: Path) -> str:
    """The token a scraper must show at /metrics: METRICS_TOKEN, else one made once in var/metrics-token."""
    import secrets

    if token := os.environ.get("METRICS_TOKEN"):
        return token
    path = var / "metrics-token"
    if not path.exists():
        var.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


def _enterprises_listed(system) -> bool:
    import json
    import urllib.request

    with urllib.request.urlopen(system.url("intake", "/api/v1/enterprises"), timeout=2) as r:
        return bool(json.load(r)["enterprises"])


@cli.command()
def down():
    """Stop the processes ``up`` started."""
    from shared import procs

    pidfile = Path(os.environ.get("VAR_DIR", REPO_ROOT / "var")) / "run" / "pids"
    if pidfile.exists():
        procs.stop_pids([int(line.split()[1]) for line in pidfile.read_text().splitlines() if line])
        pidfile.unlink()
        click.echo("Xinsheng stopped")


@cli.command("compile-translations")
def compile_translations():
    """Compile the translation catalogue (.po → .mo)."""
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", "-q", "compile", "-d", str(REPO_ROOT / "shared" / "translations")])


if __name__ == "__main__":
    cli()
