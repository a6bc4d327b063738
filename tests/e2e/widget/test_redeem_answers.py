"""The redeem answer shows a code's text only once the platform holds the code: never while it is being made, never refused."""

from __future__ import annotations

from plugin.platforms.fake import Failure
from plugin.services.outbox import run_once
from tests.e2e.widget.widget_kit import MEMBER

CLICK = {"reward_id": "free-shipping", "request_id": "click-0101"}


def test_a_code_still_being_made_is_answered_202_with_the_request_and_no_code_text(proxy, shopify_shop, fake_platform):
    fake_platform.fail_next.append(Failure.UNAVAILABLE)

    response = proxy.post("redeem", MEMBER, CLICK)

    assert response.status_code == 202
    assert response.json["redemption"] == {"request_id": "click-0101", "status": "reserved", "points": 300}
    (being_made,) = response.json["state"]["codes"]
    assert being_made["status"] == "reserved" and being_made["code"] is None


def test_a_code_whose_answer_was_lost_is_not_shown_though_the_platform_made_it(proxy, shopify_shop, fake_platform):
    fake_platform.fail_next.append(Failure.LOST_ANSWER)

    response = proxy.post("redeem", MEMBER, CLICK)

    (made,) = fake_platform.codes
    assert response.status_code == 202
    assert made not in response.get_data(as_text=True)


def test_the_member_card_lists_a_code_being_made_without_its_text(proxy, shopify_shop, fake_platform):
    fake_platform.fail_next.append(Failure.LOST_ANSWER)
    proxy.post("redeem", MEMBER, CLICK)

    response = proxy.get("member", MEMBER)

    (made,) = fake_platform.codes
    assert [code["code"] for code in response.json["codes"]] == [None]
    assert made not in response.get_data(as_text=True)


def test_asking_again_with_the_same_request_answers_what_became_of_it_without_calling_the_platform(
    proxy, shopify_shop, fake_platform, loyalty, clock
):
    fake_platform.fail_next.append(Failure.UNAVAILABLE)
    proxy.post("redeem", MEMBER, CLICK)
    calls = fake_platform.calls

    still_waiting = proxy.post("redeem", MEMBER, CLICK)
    assert still_waiting.status_code == 202 and "code" not in still_waiting.json["redemption"]
    assert fake_platform.calls == calls  # only the worker and the repair job call the platform for it

    for _round in range(10):  # the worker takes one platform job per shop a round, two a second
        clock.advance(seconds=1)
        run_once(loyalty.uow, clock, loyalty.handlers, loyalty.worker_policy)
    issued = proxy.post("redeem", MEMBER, CLICK)

    (made,) = fake_platform.codes
    assert issued.status_code == 200
    assert issued.json["redemption"]["code"] == made and issued.json["redemption"]["status"] == "issued"
    assert issued.json["redemption"]["apply_url"] == f"/discount/{made}"


def test_a_refused_code_is_answered_without_its_text(proxy, shopify_shop, fake_platform):
    fake_platform.fail_next.append(Failure.REJECTED)

    response = proxy.post("redeem", MEMBER, CLICK)

    assert response.status_code == 502
    assert response.json["redemption"] == {"request_id": "click-0101", "status": "released", "points": 300}
    assert response.json["state"]["available"] == 700
