"""The widget's API behind Shopify's app proxy: only a valid signature names a customer."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import func, select

from plugin.platforms.fake import Failure
from plugin.services.members import opt_in
from plugin.services.orders import record_order
from plugin.services.shops import register_shop
from plugin.storage import tables as t
from storefront_widget.demo_shop import DEMO_PROXY_SECRET
from tests.e2e.widget.widget_kit import MEMBER, SHOP_DOMAIN, joined_member, member_row, paid_order, sign_proxy
from webhooks.app import create_app

DESIGN_KEYS = {"member", "available", "pending", "lifetime", "tier", "next_tier", "rewards", "history", "expiring"}


def test_a_signed_request_answers_the_logged_in_customers_state(proxy, shopify_shop, loyalty):
    response = proxy.get("member", MEMBER)

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    state = response.json
    assert state.keys() >= DESIGN_KEYS
    member = joined_member(loyalty.uow, shopify_shop.id, MEMBER)
    assert (state["available"], state["pending"], state["lifetime"]) == (member.available, 0, member.lifetime)
    assert state["available"] == 700
    assert state["member"] is True and state["tier"] == "Silver"
    assert state["next_tier"] == {"name": "Gold", "to_go": 1300}
    assert [entry["reason"] for entry in state["history"]] == ["You reached Silver", "Order #5001", "Welcome bonus"]
    assert {reward["id"]: reward["affordable"] for reward in state["rewards"]} == {
        "five-off": True,
        "ten-percent": False,
        "free-shipping": True,
    }
    assert state["expiring"]["points"] == 700


def test_moments_are_iso_8601_in_utc(proxy, shopify_shop):
    state = proxy.get("member", MEMBER).json

    moments = [entry["date"] for entry in state["history"]] + [state["expiring"]["date"]]
    assert all(datetime.fromisoformat(moment).utcoffset() == timedelta(0) for moment in moments)


def test_the_history_is_in_the_language_asked_for(proxy, shopify_shop):
    state = proxy.get("member", MEMBER, lang="nl").json

    assert state["language"] == "nl"
    assert [entry["reason"] for entry in state["history"]][-1] == "Welkomstbonus"
    assert "Ja, ik doe mee" in state["join"]["consent"]


def test_a_changed_parameter_is_refused(client, proxy, shopify_shop):
    query = sign_proxy(proxy.params(MEMBER)).replace("path_prefix=%2Fapps%2Floyalty", "path_prefix=%2Fapps%2Fother")

    response = client.get(f"/proxy/api/member?{query}")

    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"


def test_another_customer_id_than_the_signed_one_is_refused(client, proxy, shopify_shop):
    query = sign_proxy(proxy.params(MEMBER)).replace(f"logged_in_customer_id={MEMBER}", "logged_in_customer_id=7002")

    assert client.get(f"/proxy/api/member?{query}").status_code == 401


def test_the_requests_log_line_names_the_shop_and_no_customer(proxy, shopify_shop, capfd):
    capfd.readouterr()

    proxy.get("member", MEMBER)

    [line] = [json.loads(line) for line in capfd.readouterr().err.splitlines() if '"http.' in line]
    assert line["kind"].endswith(".proxy_member") and line["shop"] == shopify_shop.id
    assert line.keys() == {"ts", "kind", "outcome", "shop", "duration_ms", "request_id"}  # no customer in it


def test_a_customer_id_added_to_a_logged_out_signature_is_refused(client, proxy, shopify_shop):
    params = proxy.params(None)
    del params["logged_in_customer_id"]
    query = sign_proxy(params) + f"&logged_in_customer_id={MEMBER}"

    assert client.get(f"/proxy/api/member?{query}").status_code == 401


def test_an_old_timestamp_is_refused(client, proxy, shopify_shop):
    params = {**proxy.params(MEMBER), "timestamp": str(int(proxy.now) - 91)}

    assert client.get(f"/proxy/api/member?{sign_proxy(params)}").status_code == 401


def test_a_signature_with_another_secret_is_refused(client, proxy, shopify_shop):
    query = sign_proxy(proxy.params(MEMBER), secret="someone-elses-secret")

    assert client.get(f"/proxy/api/member?{query}").status_code == 401


def test_a_shop_that_did_not_install_the_app_is_refused(client, proxy, shopify_shop):
    params = {**proxy.params(MEMBER), "shop": "other-shop.myshopify.com"}

    assert client.get(f"/proxy/api/member?{sign_proxy(params)}").status_code == 401


def test_a_logged_out_visitor_sees_the_program_but_no_points(proxy, shopify_shop):
    state = proxy.get("member", None).json

    assert state["signed_in"] is False and state["member"] is False
    assert (state["available"], state["pending"], state["lifetime"]) == (0, 0, 0)
    assert state["history"] == [] and state["codes"] == [] and state["expiring"] is None
    assert all(reward["affordable"] is False for reward in state["rewards"])


def test_a_logged_out_visitor_cannot_join_or_redeem(proxy, shopify_shop):
    assert proxy.post("opt-in", None, {"consent": True}).status_code == 401
    assert proxy.post("redeem", None, {"reward_id": "five-off", "request_id": "click-0001"}).status_code == 401


def test_joining_records_consent_with_the_program_terms(proxy, shopify_shop, loyalty):
    before = proxy.get("member", "7002").json
    assert before["signed_in"] is True and before["member"] is False

    response = proxy.post("opt-in", "7002", {"consent": True})

    assert response.status_code == 200
    assert response.json["member"] is True and response.json["available"] == 50
    member = joined_member(loyalty.uow, shopify_shop.id, "7002")
    assert (member.status, member.consent_source, member.terms_version) == ("active", "widget", "1")
    with loyalty.engine.connect() as connection:
        consents = connection.execute(
            select(t.consents.c.action, t.consents.c.source).where(t.consents.c.member_id == member.id)
        ).all()
    assert consents == [("opt_in", "widget")]


def test_joining_without_consent_is_refused_and_writes_nothing(proxy, shopify_shop, loyalty):
    for body in (None, {}, {"consent": "yes"}, ["consent"]):
        response = proxy.post("opt-in", "7003", body)
        assert response.status_code == 400, body
        assert response.json["error"] == "bad_request"
    assert member_row(loyalty.uow, shopify_shop.id, "7003") is None


def test_a_redeem_makes_a_code_and_lowers_the_balance(proxy, shopify_shop, fake_platform):
    response = proxy.post("redeem", MEMBER, {"reward_id": "five-off", "request_id": "click-0001"})

    assert response.status_code == 200
    code = response.json["redemption"]
    assert code["status"] == "issued" and code["apply_url"] == f"/discount/{code['code']}"
    assert response.json["state"]["available"] == 200
    assert [c["code"] for c in response.json["state"]["codes"]] == [code["code"]]
    assert list(fake_platform.codes) == [code["code"]]


def test_a_double_click_makes_one_code(proxy, shopify_shop, fake_platform):
    first = proxy.post("redeem", MEMBER, {"reward_id": "free-shipping", "request_id": "click-0002"})
    second = proxy.post("redeem", MEMBER, {"reward_id": "free-shipping", "request_id": "click-0002"})

    assert first.json["redemption"]["code"] == second.json["redemption"]["code"]
    assert second.json["state"]["available"] == 400
    assert len(fake_platform.codes) == 1


def test_another_customer_sending_the_same_request_id_gets_their_own_code(proxy, shopify_shop, loyalty, clock):
    record_order(loyalty.uow, clock, shopify_shop.id, paid_order("5002", "7004", "400.00"))
    opt_in(loyalty.uow, clock, shopify_shop.id, "7004", None, "widget")
    record_order(loyalty.uow, clock, shopify_shop.id, paid_order("5003", "7004", "400.00"))

    mine = proxy.post("redeem", MEMBER, {"reward_id": "free-shipping", "request_id": "click-0003"})
    theirs = proxy.post("redeem", "7004", {"reward_id": "free-shipping", "request_id": "click-0003"})

    assert mine.status_code == theirs.status_code == 200
    assert mine.json["redemption"]["code"] != theirs.json["redemption"]["code"]
    assert [c["code"] for c in theirs.json["state"]["codes"]] == [theirs.json["redemption"]["code"]]


def test_bad_redeem_input_is_refused_and_writes_nothing(proxy, shopify_shop, loyalty):
    bodies = [
        None,
        {"reward_id": "five-off"},
        {"reward_id": "five-off", "request_id": "short"},
        {"reward_id": "five-off", "request_id": "has spaces in it"},
        {"reward_id": "Five Off!", "request_id": "click-0004"},
        {"reward_id": "no-such-reward", "request_id": "click-0004"},
        {"reward_id": 5, "request_id": "click-0004"},
    ]
    for body in bodies:
        response = proxy.post("redeem", MEMBER, body)
        assert response.status_code == 400, body
    assert proxy.post("redeem", MEMBER, {"reward_id": "ten-percent", "request_id": "click-0005"}).status_code == 409
    with loyalty.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(t.redemptions)).scalar_one() == 0
    assert joined_member(loyalty.uow, shopify_shop.id, MEMBER).available == 700


def test_a_non_member_cannot_redeem(proxy, shopify_shop):
    response = proxy.post("redeem", "7005", {"reward_id": "free-shipping", "request_id": "click-0006"})

    assert response.status_code == 409 and response.json["error"] == "not_a_member"


def test_when_the_platform_is_down_the_code_is_reserved_for_the_worker(proxy, shopify_shop, fake_platform):
    fake_platform.fail_next.append(Failure.UNAVAILABLE)

    response = proxy.post("redeem", MEMBER, {"reward_id": "free-shipping", "request_id": "click-0007"})

    assert response.status_code == 202
    assert response.json["redemption"]["status"] == "reserved"
    assert response.json["state"]["available"] == 400
    assert response.json["state"]["codes"][0]["status"] == "reserved"


def test_a_code_the_platform_refuses_gives_the_points_back(proxy, shopify_shop, fake_platform):
    fake_platform.fail_next.append(Failure.REJECTED)

    response = proxy.post("redeem", MEMBER, {"reward_id": "free-shipping", "request_id": "click-0008"})

    assert response.status_code == 502
    assert response.json["redemption"]["status"] == "released"
    assert response.json["state"]["available"] == 700
    assert response.json["state"]["codes"] == []


def test_the_member_call_also_answers_post(client, proxy, shopify_shop):
    assert proxy.post("member", MEMBER).json["available"] == 700


def test_the_demo_secret_serves_only_the_demo_shop(client, settings, clock):
    app = create_app(settings, clock=clock)  # no Shopify client secret configured
    loyalty = app.extensions["loyalty"]
    register_shop(loyalty.uow, clock, "shopify", SHOP_DOMAIN, settings.program)
    params = {
        "shop": SHOP_DOMAIN,
        "logged_in_customer_id": MEMBER,
        "path_prefix": "/apps/loyalty",
        "timestamp": str(int(clock.now().timestamp())),
    }
    demo_signed = sign_proxy(params, secret=DEMO_PROXY_SECRET)

    assert app.test_client().get(f"/proxy/api/member?{demo_signed}").status_code == 401
