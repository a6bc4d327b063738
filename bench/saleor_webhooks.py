"""JWS-verified Saleor ORDER_FULLY_PAID deliveries per second and p99 under gunicorn, next to a bare Flask endpoint.

    .venv/bin/python bench/saleor_webhooks.py [--runs 5] [--requests 1500] [--databases sqlite,postgresql]

Each run starts gunicorn on 127.0.0.1 twice with the same settings, once for a bare Flask endpoint that
answers {"ok": true} and once for the real app, and drives them in alternating slices (so both see the
same background load) with 8 concurrent connections posting distinct subscription payloads (the recorded
Saleor 3.23.28 ORDER_FULLY_PAID, a new order id per request, opted in, 500 customers), each signed like
Saleor signs (RS256, detached payload) with a bench key whose JWKS the shop stored at install: no network
per request. Prints every run, then medians and app / bare. Loopback only; every loop is bounded by the
request count.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from bench.http_load import Call, against_bare, scratch_url, summary  # noqa: E402
from plugin.clock import SystemClock  # noqa: E402
from plugin.services.shops import register_shop  # noqa: E402
from plugin.settings import APP_TOML, Settings  # noqa: E402
from plugin.storage.database import make_engine  # noqa: E402
from plugin.storage.migrate import upgrade  # noqa: E402
from plugin.storage.unit_of_work import SqlUnitOfWork  # noqa: E402

API_URL = "http://127.0.0.1:8000/graphql/"
KID = "bench-key"
PATH = "/webhooks/saleor"
CONNECTIONS = 8
SLICE = 250  # requests per alternation between the bare endpoint and the app
PAID = ROOT / ".." / "shared" / "fixtures" / "saleor" / "webhooks" / "subscription-order_fully_paid-1.json"
BARE_APP = f"""
from flask import Flask, jsonify

app = Flask(__name__)


@app.post("{PATH}")
def bare():
    return jsonify(ok=True)
"""


def bodies(key: rsa.RSAPrivateKey, count: int, first_id: int) -> list[Call]:
    """Distinct signed ORDER_FULLY_PAID deliveries, built before the clock starts."""
    recorded = json.loads(PAID.read_text())
    payload = json.loads(base64.b64decode(recorded["body_b64"]))
    deliveries = []
    for number in range(first_id, first_id + count):
        order = payload["order"]
        order["id"] = base64.b64encode(f"Order:{uuid.UUID(int=number)}".encode()).decode()
        order["number"] = str(number)
        order["user"] = {**order["user"], "id": base64.b64encode(f"User:{number % 500}".encode()).decode()}
        raw = json.dumps(payload).encode()
        signature = jwt.api_jws.encode(
            raw, key=key, algorithm="RS256", headers={"kid": KID, "crit": ["b64"]}, is_payload_detached=True
        )
        headers = {
            "Content-Type": "application/json",
            "Saleor-Event": "order_fully_paid",
            "Saleor-Domain": "127.0.0.1:8000",
            "Saleor-Api-Url": API_URL,
            "Saleor-Signature": signature,
        }
        deliveries.append(Call("POST", PATH, raw, headers))
    return deliveries


@contextmanager
def database(kind: str, workdir: Path, key: rsa.RSAPrivateKey) -> Iterator[str]:
    """A fresh migrated database with the bench Saleor shop installed (token and JWKS stored)."""
    with scratch_url(kind, workdir) as url:
        engine = make_engine(url)
        upgrade(engine)
        program = Settings.load(APP_TOML, environ={}).program
        jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        jwks = {"keys": [{**jwk, "kid": KID, "alg": "RS256"}]}
        credentials = {"token": "bench", "app_id": "QXBwOjE=", "jwks": jwks}
        register_shop(SqlUnitOfWork(engine), SystemClock(), "saleor", API_URL, program, credentials=credentials)
        engine.dispose()
        yield url


def measure(kind: str, runs: int, requests: int, workers: int) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bare_runs, app_runs = [], []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "bench_bare_app.py").write_text(BARE_APP)
        with database(kind, workdir, key) as url:
            env = {"DATABASE_URL": url}
            next_id = 1
            for run in range(1, runs + 1):
                warmup = bodies(key, 100, next_id)
                timed = bodies(key, requests, next_id + 100)
                next_id += 100 + requests
                bare, app = against_bare(env, workers, workdir, warmup, timed, SLICE, CONNECTIONS)
                bare_runs.append(bare)
                app_runs.append(app)
                print(
                    f"{kind:10} run {run}: bare {bare.rate:7.0f}/s p99 {bare.p99_ms:5.1f} ms | "
                    f"app {app.rate:6.0f}/s p99 {app.p99_ms:5.1f} ms | ratio {app.rate / bare.rate:.2f}"
                    f" | failures {bare.failures + app.failures}",
                    flush=True,
                )
    print(summary(kind, f"median of {runs}", bare_runs, app_runs), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--databases", default="sqlite,postgresql")
    options = parser.parse_args()
    print(f"{CONNECTIONS} connections, {options.workers} gunicorn sync workers, {options.requests} requests per run")
    for kind in options.databases.split(","):
        measure(kind, options.runs, options.requests, options.workers)


if __name__ == "__main__":
    main()
