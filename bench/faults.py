"""Faults under load: workers killed mid-batch and mid-redemption, the database stopped for 10 s; nothing lost.

    .venv/bin/python bench/faults.py [--seconds 45] [--workers 2]

Not part of the tests (about 2-3 minutes). It needs PostgreSQL's initdb and pg_ctl (/usr/lib/postgresql/*/bin)
and, run as root, the OS user `postgres` (initdb refuses root; the cluster runs as that user).

1. Creates a PostgreSQL cluster of its own in a temporary directory on a free port, migrates it, and
   registers a Shopify shop and a Saleor shop. Both are demo shops: their platform calls (codes, member
   metafields) go to an in-memory platform, so no network is needed.
2. Serves the app with gunicorn and runs `--workers` `loyalty worker` processes. The web's platform is down
   for codes, so every redemption's code is issued by a worker, and a worker's platform takes half a
   second per code, so a kill can land in the middle of one.
3. For `--seconds`, sends signed Shopify orders/paid and Saleor ORDER_FULLY_PAID deliveries (each a new
   order of a customer who opted in) and redemptions through the app proxy, retrying whatever was not
   answered 2xx as the platforms and the widget do. Meanwhile it SIGKILLs a worker every few seconds
   (mid-batch), kills a worker while it is issuing a code (mid-redemption), restarts every worker that
   dies (as systemd would), and stops the cluster for 10 s (`pg_ctl stop -m fast`, then start).
4. Waits for the outbox to drain and prints: deliveries answered 2xx against those in the ledger (lost:
   must be 0), doubled entries (must be 0), `loyalty verify` differences (must be none), and redemptions:
   points reserved, codes issued, points returned, and codes whose points also came back (must be 0).
   Exits 1 if any of these is wrong.
"""

from __future__ import annotations

import argparse
import base64
import glob
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask
from jwt.algorithms import RSAAlgorithm
from sqlalchemy import ColumnElement, Connection, Engine, func, select, true

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.http_load import BENCH_TOKEN_KEY, free_port, gunicorn  # noqa: E402
from plugin.clock import SystemClock  # noqa: E402
from plugin.ledger import keys  # noqa: E402
from plugin.platforms.fake import FakePlatform  # noqa: E402
from plugin.platforms.shopify.signatures import app_proxy_message, hex_hmac, webhook_hmac  # noqa: E402
from plugin.services.outbox import WorkerPolicy  # noqa: E402
from plugin.services.platform import CodeRequest, IssuedCode, PlatformUnavailable, Shop  # noqa: E402
from plugin.services.shops import register_shop  # noqa: E402
from plugin.settings import APP_TOML, Settings  # noqa: E402
from plugin.storage.database import make_engine  # noqa: E402
from plugin.storage.migrate import upgrade  # noqa: E402
from plugin.storage.tables import deliveries, entries, orders, outbox, redemptions  # noqa: E402
from plugin.storage.token_cipher import TokenCipher  # noqa: E402
from plugin.storage.unit_of_work import SqlUnitOfWork  # noqa: E402
from webhooks import cli, collaborators  # noqa: E402
from webhooks.app import create_app  # noqa: E402

SHOP = "faults-shop.myshopify.com"
SECRET = "faults-client-secret"
SALEOR_API = "http://127.0.0.1:9/graphql/"  # a demo shop: nothing is ever sent there
KID = "faults-key"
CUSTOMERS = 40
REWARD = "free-shipping"  # 300 points: a customer can afford one after a single order
PLATFORM_SECONDS = 0.5  # a worker's platform, per code
OUTAGE_SECONDS = 10
RETRY_SECONDS = 1.0  # a delivery or redemption answered 5xx (or not at all) is sent again after this
GIVE_UP_AFTER = 120  # attempts: a request the app never answers stops the run from hanging, as "never answered"
KILL_EVERY_SECONDS = 4.0
MARKERS_ENV = "FAULTS_MARKERS"  # the directory where a worker says it is issuing a code
FIXTURES = ROOT / ".." / "shared" / "fixtures"


# --- the platforms of the web and the workers -------------------------------------------------------------


class CodesFromTheWorker(FakePlatform):
    """The web's demo platform: down for codes, so each redemption is left to a worker (and to its kills)."""

    def create_discount(self, shop: Shop, request: CodeRequest) -> IssuedCode:
        raise PlatformUnavailable("faults bench: codes are issued by the worker")


class SlowPlatform(FakePlatform):
    """A worker's demo platform: each code takes PLATFORM_SECONDS, with a marker file while it is under way."""

    def create_discount(self, shop: Shop, request: CodeRequest) -> IssuedCode:
        marker = Path(os.environ[MARKERS_ENV]) / str(os.getpid())
        marker.touch()
        try:
            time.sleep(PLATFORM_SECONDS)
            return super().create_discount(shop, request)
        finally:
            marker.unlink(missing_ok=True)


def web_app() -> Flask:
    """gunicorn's target: the app, its demo shops' codes left to the workers."""
    return create_app(platforms={"demo": CodesFromTheWorker()})


def run_worker() -> None:
    """`loyalty worker` itself, with the slow platform for the demo shops."""
    # build() makes the demo adapter from this name; the command has no other way to take a platform.
    collaborators.FakePlatform = SlowPlatform  # type: ignore[misc]
    cli.main(["worker", "--idle-seconds", "0.2"])


# --- a PostgreSQL cluster of its own ----------------------------------------------------------------------------


def _as_postgres() -> list[str]:
    """The prefix that runs a command as the OS user postgres when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--"]
    return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster: data, socket and log in one temporary directory."""

    home: Path
    port: int
    bin: Path

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *command: str) -> None:
        subprocess.run([*_as_postgres(), *command], check=True, capture_output=True)

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.home}"
        data, log = str(self.home / "data"), str(self.home / "log")
        self.run(str(self.bin / "pg_ctl"), "-D", data, "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.home / "data"), "-m", "fast", "-w", "stop")


@contextmanager
def own_cluster() -> Iterator[Cluster]:
    """initdb, start on a free port, and remove it all at the end."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    initdb = Path(found[-1]) if found else Path(shutil.which("initdb") or "initdb")
    home = Path(tempfile.mkdtemp(prefix="loyalty-faults-"))
    if os.geteuid() == 0:
        shutil.chown(home, "postgres", "postgres")
    cluster = Cluster(home, free_port(), initdb.parent)
    cluster.run(str(initdb), "-D", str(home / "data"), "-A", "trust", "-U", "postgres", "--no-sync")
    cluster.start()
    try:
        yield cluster
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(home, ignore_errors=True)


# --- the load: deliveries and redemptions, sent again until answered ---------------------------------------------


@dataclass
class Request:
    """One delivery or redemption, sent again after RETRY_SECONDS while unanswered or answered 5xx (as the
    platforms and the widget do)."""

    kind: str  # "shopify", "saleor" or "redeem"
    order_ref: str
    path: str
    body: bytes
    headers: dict[str, str]
    attempts: int = 0
    status: int | None = None  # the last answer; None when the connection failed

    @property
    def answered(self) -> bool:
        return self.status is not None and self.status < 500


def shopify_customer(number: int) -> int:
    return 10_000 + number % CUSTOMERS


class Orders:
    """New signed deliveries, each a paid order of one of CUSTOMERS customers who opted in at checkout."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key = key
        self.numbers = iter(range(1, 10**9))  # next() on it is atomic under the GIL
        shopify = json.loads((FIXTURES / "shopify" / "payloads" / "order-cancelled-full.json").read_text())
        shopify.update(cancelled_at=None, cancel_reason=None, financial_status="paid", refunds=[])
        shopify["note_attributes"] = [{"name": "loyalty_opt_in", "value": "yes"}]
        self.shopify = shopify
        recorded = FIXTURES / "saleor" / "webhooks" / "subscription-order_fully_paid-1.json"
        self.saleor = json.loads(base64.b64decode(json.loads(recorded.read_text())["body_b64"]))

    def shopify_order(self) -> Request:
        number = next(self.numbers)
        order = {**self.shopify, "id": number, "customer": {**self.shopify["customer"], "id": shopify_customer(number)}}
        raw = json.dumps(order).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Hmac-Sha256": webhook_hmac(raw, SECRET),
            "X-Shopify-Topic": "orders/paid",
            "X-Shopify-Shop-Domain": SHOP,
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
        }
        return Request("shopify", str(number), "/webhooks/shopify", raw, headers)

    def saleor_order(self) -> Request:
        number = next(self.numbers)
        order_id = base64.b64encode(f"Order:{uuid.UUID(int=number)}".encode()).decode()
        user = {**self.saleor["order"]["user"], "id": base64.b64encode(f"User:{number % CUSTOMERS}".encode()).decode()}
        raw = json.dumps({**self.saleor, "order": {**self.saleor["order"], "id": order_id, "user": user}}).encode()
        signature = jwt.api_jws.encode(
            raw, key=self.key, algorithm="RS256", headers={"kid": KID, "crit": ["b64"]}, is_payload_detached=True
        )
        headers = {
            "Content-Type": "application/json",
            "Saleor-Event": "order_fully_paid",
            "Saleor-Api-Url": SALEOR_API,
            "Saleor-Signature": signature,
        }
        return Request("saleor", order_id, "/webhooks/saleor", raw, headers)


def redemption(customer: int) -> Request:
    """A widget redemption by a Shopify customer, signed the way the app proxy signs."""
    params = {
        "shop": SHOP,
        "logged_in_customer_id": str(customer),
        "path_prefix": "/apps/loyalty",
        "timestamp": str(int(time.time())),
    }
    signature = hex_hmac(SECRET.encode(), app_proxy_message({k: [v] for k, v in params.items()}).encode())
    path = f"/proxy/api/redeem?{urlencode({**params, 'signature': signature})}"
    body = json.dumps({"reward_id": REWARD, "request_id": uuid.uuid4().hex}).encode()
    return Request("redeem", str(customer), path, body, {"Content-Type": "application/json"})


@dataclass
class Load:
    """Threads that send new requests until `until`, and every unanswered one again until it is answered."""

    port: int
    orders: Orders
    until: float = 0.0
    sent: list[Request] = field(default_factory=list)
    waiting: list[tuple[float, Request]] = field(default_factory=list)
    buyers: set[int] = field(default_factory=set)  # Shopify customers with an order answered 2xx
    lock: threading.Lock = field(default_factory=threading.Lock)

    def post(self, request: Request) -> None:
        request.attempts += 1
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            connection.request("POST", request.path, body=request.body, headers=request.headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            request.status = response.status
        except (OSError, http.client.HTTPException):
            request.status = None
        with self.lock:
            if not request.answered and request.attempts < GIVE_UP_AFTER:
                self.waiting.append((time.monotonic() + RETRY_SECONDS, request))
            if request.kind == "shopify" and request.status == 200:
                self.buyers.add(shopify_customer(int(request.order_ref)))

    def next_retry(self) -> Request | None:
        with self.lock:
            now = time.monotonic()
            for index, (due, request) in enumerate(self.waiting):
                if due <= now:
                    del self.waiting[index]
                    return request
            return None

    def sender(self, make: Callable[[], Request | None], pause: float) -> None:
        """Send what is due again, else a new request while the load lasts; return when nothing waits."""
        while True:
            request = self.next_retry()
            if request is None and time.monotonic() < self.until:
                request = make()
                if request is not None:
                    with self.lock:
                        self.sent.append(request)
            if request is None:
                with self.lock:
                    if not self.waiting and time.monotonic() >= self.until:
                        return
                time.sleep(pause or 0.05)
                continue
            self.post(request)
            time.sleep(pause)

    def next_redemption(self) -> Request | None:
        with self.lock:
            buyers = sorted(self.buyers)
        return redemption(random.choice(buyers)) if buyers else None

    def start(self, seconds: float) -> list[threading.Thread]:
        self.until = time.monotonic() + seconds
        # Paced so that the workers keep up with the platform calls the orders make (one per order): a
        # redemption's code then waits seconds, not minutes, and a kill can land while it is being made.
        plan: list[tuple[Callable[[], Request | None], float]] = [
            (self.orders.shopify_order, 0.1),
            (self.orders.shopify_order, 0.1),
            (self.orders.saleor_order, 0.2),
            (self.next_redemption, 0.25),
        ]
        threads = [threading.Thread(target=self.sender, args=step, daemon=True) for step in plan]
        for thread in threads:
            thread.start()
        return threads


# --- workers that die and come back ------------------------------------------------------------------------------


@dataclass
class Workers:
    """`loyalty worker` processes, each started again when it dies (as systemd's Restart=always would)."""

    count: int
    env: dict[str, str]
    home: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    kills: int = 0
    mid_redemption: int = 0
    restarts: int = 0

    def spawn(self) -> subprocess.Popen[bytes]:
        with (self.home / "workers.log").open("ab") as log:
            command = [sys.executable, str(Path(__file__).resolve()), "--as-worker"]
            return subprocess.Popen(command, env={**os.environ, **self.env}, stdout=log, stderr=log)

    def start(self) -> None:
        self.processes = [self.spawn() for _ in range(self.count)]

    def keep_alive(self) -> None:
        for slot, process in enumerate(self.processes):
            if process.poll() is not None:
                self.restarts += 1
                self.processes[slot] = self.spawn()

    def kill(self, slot: int) -> None:
        self.processes[slot].send_signal(signal.SIGKILL)
        self.processes[slot].wait()
        self.kills += 1

    def kill_one_issuing(self, markers: Path) -> bool:
        """SIGKILL a worker that is in the middle of issuing a code, if one is."""
        live = {process.pid: slot for slot, process in enumerate(self.processes) if process.poll() is None}
        for marker in markers.iterdir():
            slot = live.get(int(marker.name))
            marker.unlink(missing_ok=True)  # a killed worker leaves its marker behind
            if slot is not None:
                self.kill(slot)
                self.mid_redemption += 1
                return True
        return False

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until_serving(port: int) -> None:
    """gunicorn listens before its workers have loaded the app: wait for /healthz to answer 200."""
    for _ in range(600):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except (OSError, http.client.HTTPException):
            pass
        time.sleep(0.1)
    raise RuntimeError("the app did not come up")


def outage(cluster: Cluster, down: dict[str, float]) -> None:
    """Stop the cluster for OUTAGE_SECONDS (fast: sessions are cut, as in a failover), then start it."""
    started = time.monotonic()
    cluster.stop()
    time.sleep(OUTAGE_SECONDS)
    cluster.start()
    down["seconds"] = time.monotonic() - started


# --- what the ledger says afterwards -----------------------------------------------------------------------------


def pending_jobs(engine: Engine) -> int:
    with engine.connect() as connection:
        query = select(func.count()).select_from(outbox).where(outbox.c.status == "pending")
        return int(connection.execute(query).scalar_one())


def duplicates(connection: Connection, *columns: ColumnElement[Any], where: ColumnElement[bool] | None = None) -> int:
    """How many values of `columns` occur on more than one row."""
    query = select(*columns).where(true() if where is None else where).group_by(*columns).having(func.count() > 1)
    return len(connection.execute(query).all())


def audit(engine: Engine, load: Load) -> dict[str, Any]:
    """Deliveries answered 2xx against orders credited; doubled entries; redemptions' points and codes."""
    answered = [r for r in load.sent if r.kind != "redeem" and r.status is not None and 200 <= r.status < 300]
    with engine.connect() as connection:
        credited = set(connection.execute(select(orders.c.order_ref).where(orders.c.credited > 0)).scalars())
        recorded = connection.execute(select(func.count()).select_from(deliveries)).scalar_one()
        doubled = {
            "idempotency keys": duplicates(connection, entries.c.shop_id, entries.c.idempotency_key),
            "orders earned twice": duplicates(
                connection, entries.c.shop_id, entries.c.order_ref, where=entries.c.kind == "earn"
            ),
            "deliveries recorded twice": duplicates(connection, deliveries.c.shop_id, deliveries.c.delivery_id),
        }
        codes = connection.execute(select(redemptions.c.id, redemptions.c.status, redemptions.c.points)).all()
        releases = select(entries.c.idempotency_key, entries.c.points).where(entries.c.kind == "redeem_release")
        returned = {key: points for key, points in connection.execute(releases)}
    issued = [code for code in codes if code.status in ("issued", "consumed")]
    return {
        "answered": answered,
        "in the ledger": [r for r in answered if r.order_ref in credited],
        "delivery ids recorded": recorded,
        "doubled": doubled,
        "reserved": sum(code.points for code in codes),
        "issued": issued,
        "returned": sum(returned.values()),
        "still reserved": [code for code in codes if code.status == "reserved"],
        "code and points back": [code for code in issued if keys.redeem_release_entry(code.id) in returned],
        "points gone, no code": [
            code for code in codes if code.status == "released" and keys.redeem_release_entry(code.id) not in returned
        ],
    }


def verify(env: dict[str, str]) -> Any:
    """`loyalty verify`: the balances rebuilt from the ledger, every difference."""
    command = [str(ROOT / ".venv" / "bin" / "loyalty"), "verify"]
    done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    return json.loads(done.stdout)["differences"]


# --- the run -----------------------------------------------------------------------------------------------------


def register_shops(url: str, key: rsa.RSAPrivateKey) -> None:
    """Migrate; a Shopify and a Saleor demo shop in USD (the samples' currency), points spendable at once."""
    engine = make_engine(url)
    upgrade(engine)
    program = Settings.load(APP_TOML, environ={}).program.model_copy(update={"currency": "USD", "pending_days": 0})
    uow, clock = SqlUnitOfWork(engine, TokenCipher([BENCH_TOKEN_KEY])), SystemClock()
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwks = {"keys": [{**jwk, "kid": KID, "alg": "RS256"}]}
    # "demo" marks a demo shop (storefront_widget.demo_shop): its platform calls go to the in-memory platform.
    register_shop(uow, clock, "shopify", SHOP, program, currency="USD", credentials={"demo": True})
    register_shop(uow, clock, "saleor", SALEOR_API, program, currency="USD", credentials={"demo": True, "jwks": jwks})
    engine.dispose()


def inflict_faults(load: Load, workers: Workers, cluster: Cluster, markers: Path, seconds: float) -> float:
    """Start the load, and while it lasts kill workers and stop the database; the seconds it was down."""
    threads = load.start(seconds)
    began = time.monotonic()
    # Random kills stop early enough for the jobs they interrupt to outlive their leases before the end.
    kills_until, next_kill, outage_at = began + seconds * 0.75, began + 3, began + seconds / 3
    last_issuing_kill, down = 0.0, {"seconds": 0.0}
    outage_thread = threading.Thread(target=outage, args=(cluster, down))
    while any(thread.is_alive() for thread in threads):
        now = time.monotonic()
        workers.keep_alive()
        if next_kill <= now < kills_until:
            workers.kill(random.randrange(workers.count))
            next_kill = now + KILL_EVERY_SECONDS
        if now < began + seconds and now - last_issuing_kill > 2 and workers.kill_one_issuing(markers):
            last_issuing_kill = now
        if now >= outage_at and outage_thread.ident is None:
            outage_thread.start()
        time.sleep(0.05)
    outage_thread.join()
    return down["seconds"]


def run(seconds: float, worker_count: int) -> bool:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    mail = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    mail.start()
    with own_cluster() as cluster, tempfile.TemporaryDirectory(prefix="loyalty-faults-run-") as scratch:
        home = Path(scratch)
        markers = home / "issuing"
        markers.mkdir()
        register_shops(cluster.url, key)
        env = {
            "DATABASE_URL": cluster.url,
            "SHOPIFY_CLIENT_ID": "faults",
            "SHOPIFY_CLIENT_SECRET": SECRET,
            "LOYALTY_SECRET_KEY": "faults-secret-key",
            "LOYALTY_TOKEN_KEYS": BENCH_TOKEN_KEY,
            "LOYALTY_SMTP__PORT": str(mail.port),
            # Member updates go to the in-memory platform: no API rate to respect, so the queue drains in time.
            "LOYALTY_OUTBOX__RATE_PER_SHOP": "1000",
            MARKERS_ENV: str(markers),
        }
        workers = Workers(worker_count, env, home)
        engine = make_engine(cluster.url)
        with gunicorn("bench.faults:web_app()", env, 3, home) as port:
            workers.start()
            wait_until_serving(port)
            load = Load(port, Orders(key))
            print(f"cluster on port {cluster.port}, app on {port}, {worker_count} workers; load for {seconds:.0f} s")
            down = inflict_faults(load, workers, cluster, markers, seconds)
            print("load done; waiting for the outbox to drain", flush=True)
            # A job a killed worker held waits out its lease before another worker may take it.
            deadline = time.monotonic() + WorkerPolicy().lease_seconds + 90
            while pending_jobs(engine) and time.monotonic() < deadline:
                workers.keep_alive()
                time.sleep(1)
            left = pending_jobs(engine)
            workers.stop()
        differences = verify(env)
        found = audit(engine, load)
        engine.dispose()
    mail.stop()
    return report(load, workers, down, left, differences, found)


def report(load: Load, workers: Workers, down: float, left: int, differences: Any, found: dict[str, Any]) -> bool:
    """Print the figures; True when nothing was lost or doubled and every code and its points add up."""
    sent = [r for r in load.sent if r.kind != "redeem"]
    asked = [r for r in load.sent if r.kind == "redeem"]
    answered, in_ledger = found["answered"], found["in the ledger"]
    lost = len(answered) - len(in_ledger)
    doubled = sum(found["doubled"].values())
    statuses: dict[str, int] = {}
    for request in asked:
        statuses[str(request.status)] = statuses.get(str(request.status), 0) + 1
    wrong_codes = ["still reserved", "code and points back", "points gone, no code"]
    figures = {
        "deliveries sent": f"{len(sent)} (shopify {sum(r.kind == 'shopify' for r in sent)}, "
        f"saleor {sum(r.kind == 'saleor' for r in sent)}) in {sum(r.attempts for r in sent)} attempts; "
        f"refused 4xx {sum(400 <= (r.status or 0) < 500 for r in sent)}; never answered "
        f"{sum(not r.answered for r in sent)}",
        "answered 2xx": len(answered),
        "in the ledger": f"{len(in_ledger)} orders credited, {found['delivery ids recorded']} delivery ids recorded",
        "lost": lost,
        "doubled entries": f"{doubled} {found['doubled']}",
        "verify differences": differences or "none",
        "redemptions": f"{len(asked)} asked, answered {statuses}",
        "points reserved": found["reserved"],
        "codes issued": f"{len(found['issued'])} ({sum(c.points for c in found['issued'])} points)",
        "points returned": found["returned"],
        **{name: len(found[name]) for name in wrong_codes},
        "faults": f"worker SIGKILLed {workers.kills} times ({workers.mid_redemption} mid-redemption), "
        f"{workers.restarts - workers.kills} deaths of its own; database down {down:.1f} s",
        "jobs left pending": left,
    }
    for name, figure in figures.items():
        print(f"{name:22} {figure}")
    return not (lost or doubled or differences or left or any(found[name] for name in wrong_codes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=45, help="how long the load lasts (default 45)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--as-worker", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.as_worker:
        run_worker()
        return
    sys.exit(0 if run(options.seconds, options.workers) else 1)


if __name__ == "__main__":
    main()
