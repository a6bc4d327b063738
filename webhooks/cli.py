"""The `loyalty` command: database, shops, scheduled jobs, the outbox worker, and operator tools.

Every command builds its collaborators with webhooks.collaborators.build, the same wiring as the web app.
Scheduled jobs (`loyalty job ...`) are the sweeps of plugin/services/sweeps.py, safe on several hosts at once.
"""

from __future__ import annotations

import json
import logging.config
import signal
import sys
import time
import tomllib
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
from alembic.util import CommandError
from prometheus_client import start_http_server

from plugin.ledger import jobs
from plugin.ledger.jobs import Lane
from plugin.notifications.email_jobs import remind_expiring
from plugin.observability import log_event, logging_config
from plugin.rules.program import ProgramError
from plugin.services import actions as custom_actions
from plugin.services import dead_letters, owner_pages, points_back, privacy, saleor_api_urls, sweeps
from plugin.services.adjust import adjust as adjust_points
from plugin.services.errors import ServiceError, UnknownShop
from plugin.services.reconcile import reconcile_orders
from plugin.services.records import Member, MemberStatus
from plugin.services.repositories import StorageUnavailable
from plugin.services.shops import change_program, register_shop
from plugin.services.worker import Stop, work_in_lanes
from plugin.settings import Settings
from plugin.storage.migrate import database_revision, downgrade, head_revision, upgrade
from plugin.storage.token_cipher import TokenKeyError
from storefront_widget.demo_shop import MissingSecretKey, seed_demo_shop, settings_to_start
from webhooks.collaborators import Loyalty, build

# `loyalty job <name>`: the scheduled jobs, in the order `loyalty job all` runs them.
SWEEPS: dict[str, Callable[[Loyalty, int], sweeps.SweepReport]] = {
    "release-pending": lambda app, shop_id: sweeps.release_pending(app.uow, app.clock, shop_id),
    "expire-points": lambda app, shop_id: sweeps.expire_points(app.uow, app.clock, shop_id),
    "expire-codes": lambda app, shop_id: sweeps.expire_codes(app.uow, app.clock, shop_id),
    # The one job that asks the shop's platform (whether a code exists) before it gives points back.
    "repair-redemptions": lambda app, shop_id: sweeps.repair_redemptions(app.uow, app.clock, app.platform_of, shop_id),
    "birthdays": lambda app, shop_id: sweeps.award_birthdays(app.uow, app.clock, shop_id),
    "review-tiers": lambda app, shop_id: sweeps.review_tiers(app.uow, app.clock, shop_id),
}


def _loyalty() -> Loyalty:
    """The collaborators of one command, built once for it (`--shop` reads the database before the command
    runs); without a secret key (outside demo mode) one line says why not."""
    meta = click.get_current_context().meta
    if "loyalty" not in meta:
        try:
            meta["loyalty"] = build(settings_to_start(Settings.load()))
        except MissingSecretKey as refused:
            raise click.ClickException(str(refused)) from refused
    loyalty: Loyalty = meta["loyalty"]
    return loyalty


# The platforms a shop can be registered on; a domain names at most one shop on each.
PLATFORMS = ("shopify", "saleor", "demo")


class ShopType(click.ParamType):
    """A shop named by its id, its myshopify domain or its Saleor API URL; the command gets the shop's id."""

    name = "shop"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        name = str(value).strip()
        loyalty = _loyalty()
        found = None
        if name.isascii() and name.isdigit():
            if int(name) < 2**63:  # ids are BIGINTs: a longer number names no shop
                with loyalty.uow.read(int(name)) as tx:
                    found = tx.shop.get()
        else:
            with loyalty.uow.shops(read_only=True) as shops:
                found = next(filter(None, (shops.by_domain(platform, name) for platform in PLATFORMS)), None)
        if found is None:
            raise UnknownShop(f"no shop named {name}")
        return found.id


SHOP = ShopType()


class LoyaltyGroup(click.Group):
    """The `loyalty` command: an operator's mistake (an unknown shop, a refused program, a missing or
    unreadable file, a malformed value) ends in one line and exit status 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UnknownShop as unknown:
            raise click.ClickException(str(unknown)) from None
        except ServiceError as refused:
            raise click.ClickException(f"{refused.code}: {refused}") from None
        except ProgramError as refused:
            # One line per problem, worded as the program editor words them; nothing was stored.
            lines = [f"{problem.field}: {problem.message}" for problem in refused.problems]
            raise click.ClickException("\n".join(["the program was refused, nothing changed:", *lines])) from None
        except FileNotFoundError as missing:
            raise click.ClickException(f"no such file: {missing.filename}") from None
        except ValueError as malformed:  # a file that is not TOML or JSON, a date that is not ISO, ...
            raise click.ClickException(_summary(malformed)) from None


def _shop_ids(loyalty: Loyalty, shop: int | None) -> list[int]:
    """The one shop asked for, or every installed shop."""
    if shop is not None:
        return [shop]
    with loyalty.uow.shops() as shops:
        return shops.installed_ids()


def _echo(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group(cls=LoyaltyGroup)
def main() -> None:
    """Loyalty points for Shopify and Saleor shops."""


# --- database and shops -----------------------------------------------------------------------------


@main.command("db-upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema."""
    loyalty = _loyalty()
    upgrade(loyalty.engine)
    click.echo(f"database at newest revision: {loyalty.engine.url.render_as_string(hide_password=True)}")


@main.command("register-shop")
@click.option("--platform", type=click.Choice(PLATFORMS), required=True)
@click.option("--domain", required=True, help="myshopify domain, or the Saleor API URL")
@click.option("--currency", default=None)
@click.option("--locale", default="en")
@click.option("--credential", "credentials", multiple=True, help="key=value; prefer environment for secrets")
def register_shop_command(
    platform: str, domain: str, currency: str | None, locale: str, credentials: tuple[str, ...]
) -> None:
    """Register a shop by hand (development, demos, tests) with the app.toml program."""
    malformed = [item for item in credentials if "=" not in item]
    if malformed:
        raise click.UsageError(f"--credential takes key=value, not {malformed[0]!r}")
    loyalty = _loyalty()
    values = dict(item.split("=", 1) for item in credentials)
    program = loyalty.settings.program
    shop = register_shop(
        loyalty.uow, loyalty.clock, platform, domain, program, currency=currency, locale=locale, credentials=values
    )
    click.echo(f"shop {shop.id}: {shop.platform} {shop.domain}")


@main.command("seed-demo")
def seed_demo() -> None:
    """Create the demo shop with a member, history, tiers and rewards (idempotent)."""
    loyalty = _loyalty()
    shop = seed_demo_shop(loyalty.uow, loyalty.clock, loyalty.settings.program, loyalty.platform("demo"))
    click.echo(f"demo shop {shop.id}: {shop.domain}")


@main.command("db-current")
def db_current() -> None:
    """Show the database's schema revision beside the newest this code has."""
    revision = database_revision(_loyalty().engine)
    click.echo(f"database at revision {revision or 'none (never migrated)'}; this code's newest: {head_revision()}")


# "-1" is a revision here, not an option.
@main.command("db-downgrade", context_settings={"ignore_unknown_options": True})
@click.argument("revision")
@click.confirmation_option(prompt="A downgrade drops the tables and columns it undoes, with their data. Go on?")
def db_downgrade(revision: str) -> None:
    """Take the database back to REVISION ("-1", "0006", "base"), one host at a time."""
    loyalty = _loyalty()
    try:
        downgrade(loyalty.engine, revision)
    except CommandError as refused:
        raise click.ClickException(str(refused)) from refused
    click.echo(f"database at revision {database_revision(loyalty.engine) or 'none (base)'}")


# --- scheduled jobs (systemd timers or cron: README, "Running in production") --------------------------


@main.command("job")
@click.argument("name", type=click.Choice([*SWEEPS, "all"]))
@click.option("--shop", type=SHOP, default=None, help="one shop (id or domain); all installed shops by default")
def run_job(name: str, shop: int | None) -> None:
    """Run a scheduled job (safe on several hosts at once); one shop's failure does not stop the others."""
    loyalty = _loyalty()
    names = list(SWEEPS) if name == "all" else [name]
    _each_shop(loyalty, shop, {sweep: _sweep(loyalty, sweep) for sweep in names})


def _sweep(loyalty: Loyalty, name: str) -> Callable[[int], dict[str, Any]]:
    return lambda shop_id: asdict(SWEEPS[name](loyalty, shop_id))


# How often the timers run `loyalty schedule NAME`: a shop's job is queued once per such period. Hourly but these.
EVERY = {"remind-expiring": timedelta(days=1)}


@main.command("schedule")
@click.argument("name", type=click.Choice([*SWEEPS, "all", "reconcile", "remind-expiring"]))
@click.option("--days", default=14, help="remind-expiring: about points expiring within this many days")
def schedule_command(name: str, days: int) -> None:
    """Queue a scheduled job (`all`: every sweep) as one job per installed shop, for the worker to run.

    Safe on several hosts and to repeat: a shop's job of the hour (of the day for remind-expiring) is
    queued once, and the worker runs it holding the shop's lock of that job. `all` also deletes the jobs
    done and the delivery ids recorded more than [outbox] keep_days ago, in batches."""
    loyalty = _loyalty()
    try:
        for each in list(SWEEPS) if name == "all" else [name]:
            payload = {"days": days} if each == "remind-expiring" else {}
            every = EVERY.get(each, timedelta(hours=1))
            shops = sweeps.schedule(loyalty.uow, loyalty.clock, jobs.SCHEDULED[each], every, **payload)
            click.echo(json.dumps({"scheduled": each, "shops": shops}))
        if name == "all":
            keep = timedelta(days=loyalty.settings.outbox.keep_days)
            click.echo(json.dumps({"forgotten": asdict(sweeps.forget_old_work(loyalty.uow, loyalty.clock, keep))}))
    except StorageUnavailable as outage:
        raise click.ClickException(f"{outage}; nothing more was done, run it again") from outage
    finally:
        loyalty.close()


@main.command("remind-expiring")
@click.option("--days", default=14, help="remind about points expiring within this many days")
def remind_expiring_command(days: int) -> None:
    """Queue one expiry e-mail per member about the points that expire soon (each expiry announced once, and
    once more as a last chance `expiry.last_chance_days` before it, as the program says)."""
    loyalty = _loyalty()

    def remind(shop_id: int) -> dict[str, Any]:
        return {"shop": shop_id, "reminders": remind_expiring(loyalty.uow, loyalty.clock, shop_id, days)}

    _each_shop(loyalty, None, {"remind-expiring": remind})


@main.command()
@click.option("--shop", type=SHOP, default=None, help="one shop (id or domain); all installed shops by default")
@click.option(
    "--since", default=None, help="import the history since this ISO date (Shopify: one bulk operation) instead"
)
@click.option("--dry-run", is_flag=True, help="report what would be credited, change nothing")
def reconcile(shop: int | None, since: str | None, dry_run: bool) -> None:
    """Fetch orders updated on the platform and settle them, so a missed webhook loses nothing.

    With --since, a history import: its progress (orders read, imported, skipped) is logged after every
    batch and shown on the admin's import page. A shop without an access token is skipped, and said so."""
    loyalty = _loyalty()
    start = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None

    def reconcile_shop(shop_id: int) -> dict[str, Any]:
        with loyalty.uow.read(shop_id) as tx:
            found = tx.shop.get()
        if found is None:
            raise UnknownShop(f"no shop {shop_id}")
        platform = loyalty.platform(found.platform)
        report = reconcile_orders(loyalty.uow, loyalty.clock, platform, shop_id, since=start, dry_run=dry_run)
        counts = {"orders": report.orders, "imported": report.imported, "skipped": report.skipped}
        outcome = {"skipped_shop": report.skipped_shop} if report.skipped_shop else {}
        return {"shop": shop_id, **counts, "points": report.points, "dry_run": dry_run, **outcome}

    _each_shop(loyalty, shop, {"reconcile": reconcile_shop})


def _each_shop(loyalty: Loyalty, shop: int | None, steps: dict[str, Callable[[int], dict[str, Any]]]) -> None:
    """Run each step in each shop (or the one asked for), printing what it returns as a JSON line.

    A step that fails in one shop is logged with the shop and the error, the others go on, and the
    command exits 1 at the end. A database outage ends it at once in one line, exit status 1, so the
    timer (or cron) runs it again: every step is safe to repeat."""
    failed: list[str] = []
    try:
        for shop_id in _shop_ids(loyalty, shop):
            for name, step in steps.items():
                try:
                    click.echo(json.dumps(step(shop_id), default=str))
                except StorageUnavailable:
                    raise  # no other shop would fare better
                except Exception as error:  # one shop's data or platform must not hold up every other shop
                    failed.append(f"{name} in shop {shop_id}")
                    log_event(f"job.{name}", "failed", shop=shop_id, error=_summary(error))
    except StorageUnavailable as outage:
        raise click.ClickException(f"{outage}; nothing more was done, run it again") from outage
    if failed:
        raise click.ClickException(f"failed: {', '.join(failed)} (the log says why); the rest was done")


def _summary(error: Exception) -> str:
    """The error's type and first line: a database error's later lines hold its SQL and parameters."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"[:300]


# --- the outbox worker --------------------------------------------------------------------------------


@main.command()
@click.option("--once", is_flag=True, help="handle what is due now and stop")
@click.option("--idle-seconds", default=1.0, help="longest pause when nothing is due")
@click.option(
    "--metrics-port", type=click.IntRange(1, 65535), default=None, help="serve its Prometheus metrics on 127.0.0.1"
)
@click.option(
    "--lanes",
    default=",".join(Lane),
    show_default=True,
    callback=lambda _context, _option, value: _lanes(value),
    help="the lanes this process works, comma-separated (e.g. deliveries: a process that only credits orders)",
)
def worker(once: bool, idle_seconds: float, metrics_port: int | None, lanes: tuple[Lane, ...]) -> None:
    """Drain the outbox: deliveries, platform calls, e-mails and scheduled jobs, each lane in a thread of its own;
    retried with backoff; dead letters stay visible. With --lanes, only those: run more processes of a lane
    that falls behind (several processes share the work; a job is claimed by one).

    It rides out database outages, and on SIGTERM (how systemd stops it) or SIGINT it finishes the job
    in hand and exits 0. With --metrics-port it serves its job counts at http://127.0.0.1:PORT/metrics."""
    try:
        logging.config.dictConfig(logging_config())  # httpx's and SQLAlchemy's warnings as JSON lines
        if metrics_port is not None:
            start_http_server(metrics_port, addr="127.0.0.1")
    except (ValueError, OSError) as refused:  # a wrong LOYALTY_LOG_LEVEL, a port in use
        raise click.ClickException(str(refused)) from refused
    loyalty = _loyalty()
    stop = Stop()
    signal.signal(signal.SIGTERM, stop.ask)
    signal.signal(signal.SIGINT, stop.ask)
    try:
        policy = loyalty.worker_policy
        health_file = loyalty.settings.worker.health_file
        alive = Path(health_file).touch if health_file else lambda: None
        work_in_lanes(
            loyalty.uow,
            loyalty.clock,
            loyalty.handlers,
            policy,
            stop,
            lanes,
            idle_seconds=idle_seconds,
            once=once,
            alive=alive,
        )
    finally:
        loyalty.close()


def _lanes(value: str) -> tuple[Lane, ...]:
    """`deliveries,emails` as lanes, each once, in the order given; an unknown name is a usage error."""
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in {lane.value for lane in Lane}]
    if unknown or not names:
        raise click.BadParameter(f"{', '.join(unknown) or 'none'}: choose from {', '.join(Lane)}")
    return tuple(Lane(name) for name in dict.fromkeys(names))


@main.command("dead-letters")
@click.option("--shop", type=SHOP, default=None, help="one shop's (id or domain); every shop's by default")
@click.option("--revive", type=int, default=None, help="put this dead letter back in the queue")
def dead_letters_command(shop: int | None, revive: int | None) -> None:
    """List the outbox jobs the worker gave up on, one JSON line each, or revive one."""
    loyalty = _loyalty()
    if revive is not None:
        if not dead_letters.revive(loyalty.uow, loyalty.clock, revive, shop):
            raise click.ClickException(f"no dead letter {revive}" + (f" in shop {shop}" if shop is not None else ""))
        click.echo(f"dead letter {revive} is queued again")
        return
    for letter in dead_letters.for_operator(loyalty.uow, shop):
        click.echo(json.dumps(asdict(letter), default=str))


@main.command("worker-health")
@click.option("--max-age", default=60.0, show_default=True, help="seconds since the worker's last round")
def worker_health(max_age: float) -> None:
    """Exit 0 if the worker finished a round within --max-age seconds (it touches LOYALTY_WORKER__HEALTH_FILE)."""
    health_file = Settings.load().worker.health_file
    if not health_file:
        raise click.ClickException("LOYALTY_WORKER__HEALTH_FILE is not set: the worker leaves no sign of life")
    try:
        age = time.time() - Path(health_file).stat().st_mtime
    except FileNotFoundError:
        raise click.ClickException(f"no round yet: {health_file} does not exist") from None
    if age > max_age:
        raise click.ClickException(f"last round {age:.0f} s ago, more than {max_age:g}")
    click.echo(f"last round {age:.0f} s ago")


# --- operator tools -----------------------------------------------------------------------------------


@main.command()
@click.option("--shop", type=SHOP, required=True, help="the shop's id or domain")
@click.option("--member", type=int, required=True)
@click.option("--points", type=int, required=True)
@click.option("--reason", required=True)
@click.option("--actor", default="cli")
def adjust(shop: int, member: int, points: int, reason: str, actor: str) -> None:
    """Add or take points by hand, with the reason shown to the member; a refusal is one line, exit 1."""
    loyalty = _loyalty()
    available = adjust_points(loyalty.uow, loyalty.clock, shop, member, points, reason, actor)
    click.echo(f"available: {available}")


@main.command("actions-key")
@click.argument("shop", type=SHOP)
def actions_key(shop: int) -> None:
    """Make a new key for the shop's signed custom actions and print it; the old key stops working at once."""
    loyalty = _loyalty()
    key = custom_actions.new_key(loyalty.uow, loyalty.clock, shop)
    _echo({"shop": shop, "url": f"{loyalty.settings.public_url.rstrip('/')}/actions/{shop}", "key": key})


@main.command("points-back")
@click.option("--shop", type=SHOP, required=True, help="the shop's id or domain")
@click.option("--dry-run", is_flag=True, help="report what would come back per member, change nothing")
def points_back_command(shop: int, dry_run: bool) -> None:
    """Give back the points of loyalty codes used on orders refunded or cancelled before points came back on
    refunds (or while the setting was off); once: a second run finds nothing. Prints points per member id."""
    loyalty = _loyalty()
    report = points_back.catch_up(loyalty.uow, loyalty.clock, shop, dry_run=dry_run)
    _echo({"shop": shop, **asdict(report), "points": report.points})


@main.command()
@click.option("--shop", type=SHOP, default=None, help="one shop (id or domain); all installed shops by default")
def verify(shop: int | None) -> None:
    """Rebuild balances from the ledger and report every difference; exit 1 if any."""
    loyalty = _loyalty()
    differences = {shop_id: sweeps.verify(loyalty.uow, shop_id) for shop_id in _shop_ids(loyalty, shop)}
    _echo({"differences": {k: v for k, v in differences.items() if v}})
    if any(differences.values()):
        sys.exit(1)


@main.command()
@click.option("--shop", type=SHOP, required=True, help="the shop's id or domain")
@click.option("--customer", default=None, help="platform customer id")
@click.option("--email", default=None)
def export(shop: int, customer: str | None, email: str | None) -> None:
    """Print everything held about one customer as JSON (GDPR access request)."""
    loyalty = _loyalty()
    _echo(privacy.export_customer(loyalty.uow, shop, customer_ref=customer, email=email))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="one JSON object per line")
def shops(as_json: bool) -> None:
    """List every shop, installed or not: id, platform, domain, installed, currency and members."""
    with _loyalty().uow.shops(read_only=True) as found:
        every = found.every_shop()
    for shop, members in every:
        line = {
            "id": shop.id,
            "platform": shop.platform,
            "domain": shop.domain,
            "installed": shop.installed,
            "currency": shop.currency,
            "members": members,
        }
        state = "installed" if shop.installed else "uninstalled"
        text = f"{shop.id}\t{shop.platform}\t{shop.domain}\t{state}\t{shop.currency}\t{members} members"
        click.echo(json.dumps(line) if as_json else text)


@main.group()
def program() -> None:
    """A shop's program: show the live version, or store a new one from a file."""


@program.command("show")
@click.option("--shop", type=SHOP, required=True, help="the shop's id or domain")
def program_show(shop: int) -> None:
    """Print the live program and its version as JSON (`program set` takes it back, as .json)."""
    live = owner_pages.program_page(_loyalty().uow, shop)
    _echo({"version": live.version, "program": live.program.to_data()})


@program.command("set")
@click.option("--shop", type=SHOP, required=True, help="the shop's id or domain")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def program_set(shop: int, file: Path) -> None:
    """Store FILE (.toml, or .json as `program show` prints it) as the shop's new program version, checked as the
    program editor checks it; a refused program changes nothing. Recorded with the author "cli"."""
    loyalty = _loyalty()
    version = change_program(loyalty.uow, loyalty.clock, shop, _program_data(file), "cli")
    click.echo(f"program version {version} is live")


def _program_data(file: Path) -> object:
    """The program in a TOML or JSON file, by its extension; `program show`'s output gives the program itself."""
    if file.suffix == ".toml":
        data: object = tomllib.loads(file.read_text(encoding="utf-8"))
    elif file.suffix == ".json":
        data = json.loads(file.read_text(encoding="utf-8"))
    else:
        raise click.ClickException(f"{file}: a program file ends in .toml or .json")
    if isinstance(data, dict) and set(data) == {"version", "program"}:
        return data["program"]
    return data


@main.group()
def member() -> None:
    """A shop's members."""


@member.command("find")
@click.option("--shop", type=SHOP, required=True, help="the shop's id or domain")
@click.option("--email", default=None)
@click.option("--customer", default=None, help="the platform's customer id")
def member_find(shop: int, email: str | None, customer: str | None) -> None:
    """Show one member's id, status, balances and tier, found by e-mail or platform customer id."""
    if (email is None) == (customer is None):
        raise click.UsageError("give --email or --customer (one of them)")
    with _loyalty().uow.read(shop) as tx:
        found = tx.members.by_email(email) if email is not None else tx.members.by_customer(str(customer))
    if found is None or found.status is MemberStatus.ERASED:
        raise click.ClickException(
            f"no member with {f'e-mail {email}' if email is not None else f'customer id {customer}'}"
        )
    _echo(_member_line(found))


def _member_line(member: Member) -> dict[str, Any]:
    return {
        "id": member.id,
        "customer": member.customer_ref,
        "email": member.email,
        "status": member.status.value,
        "available": member.available,
        "pending": member.pending,
        "lifetime": member.lifetime,
        "debt": member.debt,
        "tier": member.tier,
    }


@main.group("saleor-urls")
def saleor_urls() -> None:
    """The Saleor API URLs allowed to install the app: exact URLs, or patterns such as
    https://*.saleor.cloud/graphql/ (a * stands for part of the host's first label only)."""


@saleor_urls.command("add")
@click.argument("url")
def saleor_urls_add(url: str) -> None:
    """Allow URL (or a pattern) to install the app."""
    loyalty = _loyalty()
    try:
        stored, added = saleor_api_urls.allow(loyalty.uow, loyalty.clock, url)
    except saleor_api_urls.BadApiUrl as refused:
        raise click.ClickException(str(refused)) from None
    click.echo(f"{'allowed' if added else 'already allowed'}: {stored}")


@saleor_urls.command("remove")
@click.argument("url")
def saleor_urls_remove(url: str) -> None:
    """Stop URL (as listed) from installing the app; shops installed from it stay installed."""
    if not saleor_api_urls.disallow(_loyalty().uow, url):
        raise click.ClickException(f"not in the list: {url.strip()}")
    click.echo(f"removed: {url.strip()}")


@saleor_urls.command("list")
def saleor_urls_list() -> None:
    """Every allowed URL and pattern, with when it was added."""
    for entry in saleor_api_urls.allowed(_loyalty().uow):
        click.echo(f"{entry.url}\t{entry.added_at.isoformat()}")


@main.command("rotate-token-key")
def rotate_token_key() -> None:
    """Re-encrypt every shop's access tokens with the first key of LOYALTY_TOKEN_KEYS (README: rotation)."""
    loyalty = _loyalty()
    if not loyalty.settings.token_keys:
        raise click.ClickException("LOYALTY_TOKEN_KEYS is not set: there is no key to encrypt with")
    rotated = 0
    # Uninstalled shops hold no tokens: uninstalling empties the credentials.
    for shop_id in _shop_ids(loyalty, None):
        try:
            with loyalty.uow(shop_id) as tx:
                # Read with whichever key opens them, written with the first: that is the rotation.
                credentials = tx.shop.credentials(lock=True)
                shop = tx.shop.get()
                assert shop is not None
                tx.shop.set_credentials(credentials, installed=shop.installed)
        except TokenKeyError as refused:
            raise click.ClickException(f"{refused}; {rotated} shops re-encrypted before it") from None
        rotated += 1
    click.echo(json.dumps({"shops_re_encrypted": rotated}))


if __name__ == "__main__":
    main()
