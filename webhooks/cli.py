"""The `loyalty` command: database, shops, scheduled jobs, the outbox worker, and operator tools.

Every command builds its collaborators with webhooks.collaborators.build, the same wiring as the web app.
Scheduled jobs (`loyalty job ...`) are the sweeps of plugin/services/sweeps.py, safe on several hosts at once.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click

from plugin.clock import Clock
from plugin.notifications.email_jobs import remind_expiring
from plugin.services import privacy, sweeps
from plugin.services.adjust import adjust as adjust_points
from plugin.services.outbox import run_once
from plugin.services.reconcile import reconcile_orders
from plugin.services.repositories import UnitOfWork
from plugin.services.shops import register_shop
from plugin.settings import Settings
from plugin.storage.migrate import upgrade
from storefront_widget.demo_shop import MissingSecretKey, seed_demo_shop, settings_to_start
from webhooks.collaborators import Loyalty, build

# `loyalty job <name>`: the scheduled jobs, in the order `loyalty job all` runs them.
SWEEPS: dict[str, Callable[[UnitOfWork, Clock, int], sweeps.SweepReport]] = {
    "release-pending": sweeps.release_pending,
    "expire-points": sweeps.expire_points,
    "expire-codes": sweeps.expire_codes,
    "repair-redemptions": sweeps.repair_redemptions,
    "birthdays": sweeps.award_birthdays,
    "review-tiers": sweeps.review_tiers,
}


def _loyalty() -> Loyalty:
    """The collaborators of one command; without a secret key (outside demo mode) one line says why not."""
    try:
        return build(settings_to_start(Settings.load()))
    except MissingSecretKey as refused:
        raise click.ClickException(str(refused)) from refused


def _shop_ids(loyalty: Loyalty, shop: int | None) -> list[int]:
    """The one shop asked for, or every installed shop."""
    if shop is not None:
        return [shop]
    with loyalty.uow.shops() as shops:
        return shops.installed_ids()


def _echo(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group()
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
@click.option("--platform", type=click.Choice(["shopify", "saleor", "demo"]), required=True)
@click.option("--domain", required=True, help="myshopify domain, or the Saleor API URL")
@click.option("--currency", default=None)
@click.option("--locale", default="en")
@click.option("--credential", "credentials", multiple=True, help="key=value; prefer environment for secrets")
def register_shop_command(
    platform: str, domain: str, currency: str | None, locale: str, credentials: tuple[str, ...]
) -> None:
    """Register a shop by hand (development, demos, tests) with the app.toml program."""
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


# --- scheduled jobs (cron them) -----------------------------------------------------------------------


@main.command("job")
@click.argument("name", type=click.Choice([*SWEEPS, "all"]))
@click.option("--shop", type=int, default=None, help="one shop; all installed shops by default")
def run_job(name: str, shop: int | None) -> None:
    """Run a scheduled job (cron it; safe on several hosts at once)."""
    loyalty = _loyalty()
    names = list(SWEEPS) if name == "all" else [name]
    for shop_id in _shop_ids(loyalty, shop):
        for sweep in names:
            report = SWEEPS[sweep](loyalty.uow, loyalty.clock, shop_id)
            click.echo(json.dumps(asdict(report)))


@main.command("remind-expiring")
@click.option("--days", default=14, help="remind about points expiring within this many days")
def remind_expiring_command(days: int) -> None:
    """Queue one "points expiring" e-mail per lot that expires soon (cron it; each lot is reminded once)."""
    loyalty = _loyalty()
    click.echo(json.dumps({"reminders": remind_expiring(loyalty.uow, loyalty.clock, days)}))


@main.command()
@click.option("--shop", type=int, default=None)
@click.option("--since", default=None, help="import history since this ISO date instead of resuming")
@click.option("--dry-run", is_flag=True, help="report what would be credited, change nothing")
def reconcile(shop: int | None, since: str | None, dry_run: bool) -> None:
    """Fetch orders updated on the platform and settle them, so a missed webhook loses nothing."""
    loyalty = _loyalty()
    start = datetime.fromisoformat(since).replace(tzinfo=UTC) if since else None
    for shop_id in _shop_ids(loyalty, shop):
        with loyalty.uow.read(shop_id) as tx:
            found = tx.shop.get()
        assert found is not None
        platform = loyalty.platform(found.platform)
        report = reconcile_orders(loyalty.uow, loyalty.clock, platform, shop_id, since=start, dry_run=dry_run)
        click.echo(json.dumps({"shop": shop_id, "orders": report.orders, "points": report.points, "dry_run": dry_run}))


# --- the outbox worker --------------------------------------------------------------------------------


@main.command()
@click.option("--once", is_flag=True, help="handle what is due now and stop")
@click.option("--idle-seconds", default=1.0, help="longest pause when nothing is due")
def worker(once: bool, idle_seconds: float) -> None:
    """Drain the outbox: platform calls and e-mails, retried with backoff; dead letters stay visible."""
    loyalty = _loyalty()
    policy = loyalty.worker_policy
    # A throttled shop's next API slot comes within 1 / rate seconds; a longer pause would slow it down.
    pause = min(idle_seconds, 1 / policy.rate_per_shop)
    while True:
        handled = run_once(loyalty.uow, loyalty.clock, loyalty.handlers, policy)
        if once and handled == 0:
            return
        if handled == 0:
            time.sleep(pause)


@main.command("dead-letters")
@click.option("--revive", type=int, default=None, help="put this dead job back in the queue")
def dead_letters(revive: int | None) -> None:
    """List outbox jobs that gave up, or revive one."""
    loyalty = _loyalty()
    with loyalty.uow.queue() as queue:
        if revive is not None:
            click.echo("revived" if queue.revive(revive, loyalty.clock.now()) else "no such dead job")
            return
        _echo(queue.dead())


# --- operator tools -----------------------------------------------------------------------------------


@main.command()
@click.option("--shop", type=int, required=True)
@click.option("--member", type=int, required=True)
@click.option("--points", type=int, required=True)
@click.option("--reason", required=True)
@click.option("--actor", default="cli")
def adjust(shop: int, member: int, points: int, reason: str, actor: str) -> None:
    """Add or take points by hand, with the reason shown to the member."""
    loyalty = _loyalty()
    available = adjust_points(loyalty.uow, loyalty.clock, shop, member, points, reason, actor)
    click.echo(f"available: {available}")


@main.command()
@click.option("--shop", type=int, default=None)
def verify(shop: int | None) -> None:
    """Rebuild balances from the ledger and report every difference; exit 1 if any."""
    loyalty = _loyalty()
    differences = {shop_id: sweeps.verify(loyalty.uow, shop_id) for shop_id in _shop_ids(loyalty, shop)}
    _echo({"differences": {k: v for k, v in differences.items() if v}})
    if any(differences.values()):
        sys.exit(1)


@main.command()
@click.option("--shop", type=int, required=True)
@click.option("--customer", default=None, help="platform customer id")
@click.option("--email", default=None)
def export(shop: int, customer: str | None, email: str | None) -> None:
    """Print everything held about one customer as JSON (GDPR access request)."""
    loyalty = _loyalty()
    _echo(privacy.export_customer(loyalty.uow, shop, customer_ref=customer, email=email))


if __name__ == "__main__":
    main()
