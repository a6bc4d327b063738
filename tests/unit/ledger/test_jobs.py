"""Outbox jobs outlive a deploy: the worker of the next release reads payloads and keys written by this one."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from plugin.ledger import jobs
from plugin.ledger.postings import JobKind, OutboxJob

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("build", "kind", "payload", "dedupe_key"),
    [
        (lambda: jobs.publish_member(7), JobKind.PUBLISH_MEMBER, {"member_id": 7}, "member:7"),
        (
            lambda: jobs.publish_order_points("o1", 80),
            JobKind.PUBLISH_ORDER_POINTS,
            {"order_ref": "o1", "points": 80},
            "order_points:o1:80",
        ),
        (
            lambda: jobs.points_earned(7, "o1", "#1001", 80),
            JobKind.POINTS_EARNED,
            {"member_id": 7, "order_ref": "o1", "order": "#1001", "points": 80},
            "points_earned:o1",
        ),
        (
            lambda: jobs.tier_changed(7, "Silver", "tier_reached", NOW),
            JobKind.TIER_CHANGED,
            {"member_id": 7, "tier": "Silver", "code": "tier_reached"},
            "tier:7:2026-03-02T09:00:00+00:00",
        ),
        (lambda: jobs.issue_code(5), JobKind.ISSUE_CODE, {"redemption_id": 5}, "issue:5"),
        (lambda: jobs.code_issued(5, 7), JobKind.CODE_ISSUED, {"redemption_id": 5, "member_id": 7}, "code_issued:5"),
        (lambda: jobs.withdraw_code(5), JobKind.WITHDRAW_CODE, {"redemption_id": 5}, "withdraw:5"),
        (
            lambda: jobs.points_expiring(7, [(4, NOW), (3, NOW)]),
            JobKind.POINTS_EXPIRING,
            {
                "member_id": 7,
                "lots": [
                    {"id": 4, "expires_at": "2026-03-02T09:00:00+00:00"},
                    {"id": 3, "expires_at": "2026-03-02T09:00:00+00:00"},
                ],
            },
            "expiring:7:3",
        ),
        (
            lambda: jobs.points_expiring(7, [(3, NOW)], last_chance=True),
            JobKind.POINTS_EXPIRING,
            {"member_id": 7, "lots": [{"id": 3, "expires_at": "2026-03-02T09:00:00+00:00"}], "last_chance": True},
            "expiring:7:3:last",
        ),
        (
            lambda: jobs.balance_expiring(7, NOW, last_chance=False),
            JobKind.POINTS_EXPIRING,
            {"member_id": 7, "balance_expires_at": "2026-03-02T09:00:00+00:00"},
            "expiring:7:balance:2026-03-02T09:00:00+00:00",
        ),
        (
            lambda: jobs.delivery(JobKind.SHOPIFY_DELIVERY, "shopify", "orders/paid", "d1", {"id": 1}),
            JobKind.SHOPIFY_DELIVERY,
            {"topic": "orders/paid", "delivery": "d1", "facts": {"id": 1}},
            "shopify:d1",
        ),
        (
            lambda: jobs.scheduled(JobKind.EXPIRE_POINTS, NOW),
            JobKind.EXPIRE_POINTS,
            {"period": "2026-03-02T09:00:00+00:00"},
            "scheduled:expire_points:2026-03-02T09:00:00+00:00",
        ),
    ],
)
def test_each_job_keeps_the_payload_and_dedupe_key_that_queued_jobs_were_written_with(
    build: Callable[[], OutboxJob], kind: JobKind, payload: dict[str, object], dedupe_key: str
) -> None:
    job = build()  # built in the test, not at collection, so a mutation tool sees which test reads it
    assert (job.kind, job.payload, job.dedupe_key) == (kind, payload, dedupe_key)
