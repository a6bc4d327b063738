"""The signed custom action endpoint: another app (a review app, a headless shop) reports what a member did.

POST /actions/<shop id> with {"action": "review", "customer": "<customer id or e-mail>", "id": "<your id>"}
(optionally "points": fewer than the action gives), or {"action": ..., "id": ..., "reverse": true} to take an
award back. Headers: X-Loyalty-Timestamp (Unix seconds) and X-Loyalty-Signature: sha256=<hex HMAC-SHA256 of
"<timestamp>.<raw body>" with the shop's key>. Answers: 200 (a repeat answers the same), 400 JSON that does not
parse, 401 a bad or stale signature, 409 over the action's cap, 422 an unknown action, customer or id, or a member
whose balance is frozen.
"""

from __future__ import annotations

import orjson
from flask import Blueprint, Response, jsonify, request

from plugin.services import actions
from plugin.services.errors import ServiceError
from webhooks.collaborators import loyalty

blueprint = Blueprint("actions", __name__)

STATUS = {actions.BadSignature: 401, actions.OverCap: 409}


@blueprint.post("/actions/<int:shop_id>")
def report(shop_id: int) -> tuple[Response, int]:
    app = loyalty()
    raw = request.get_data(cache=False)
    try:
        key = actions.signing_key(app.uow, shop_id)
        timestamp, signed = request.headers.get("X-Loyalty-Timestamp"), request.headers.get("X-Loyalty-Signature")
        actions.verify(key, timestamp, signed, raw, app.clock.now())
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return jsonify(error="malformed", message="the body is not valid JSON"), 400
        result = actions.report(app.uow, app.clock, shop_id, actions.ActionReport.parse(body))
    except ServiceError as refused:
        return jsonify(error=refused.code, message=str(refused)), STATUS.get(type(refused), 422)
    return jsonify(points=result.points, member=result.member_id, repeated=result.repeated), 200
