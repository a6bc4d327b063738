"""The shop owner's pages: the Flask blueprint `admin.blueprint`, mounted at /admin (and /email for unsubscribing).

How staff get in:
- Shopify admin (embedded): the app home /shopify opens the dashboard (/admin/dashboard) with Shopify's
  `id_token`, `host`, `shop` and `locale`; every request proves itself with a session token (in the URL, a
  POSTed form or `Authorization: Bearer`), no cookie is set, and a page load without a valid token gets
  App Bridge's bounce page for a fresh one (admin/staff.py).
- Saleor dashboard: point the app's dashboard URL at /admin/saleor; its script passes the dashboard's app
  token (a "thirdparty" JWT checked against the shop's JWKS) to /admin/session.
  Its navigation opens /admin/saleor/members; its customer and order widgets POST the same kind of
  token to /admin/saleor/widgets/* (admin/saleor_widgets.py), which check it on every request.
- Development: /admin/login with the shop's platform and domain and the configured admin password
  (LOYALTY_ADMIN_PASSWORD).

One module per page group; each registers its routes on the blueprint. Views call plugin.services only
and reach the app's collaborators through `webhooks.collaborators.loyalty()`.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

from admin import (
    analytics,
    campaigns,
    dashboard,
    dead_letters,
    imports,
    members,
    pages,
    privacy,
    program,
    referrals,
    saleor_widgets,
    setup,
    staff,
    unsubscribe,
)

HERE = Path(__file__).resolve().parent
# static/: the pages' stylesheets (polaris-tokens.css is written by `make admin-styles`).
blueprint = Blueprint(
    "admin",
    __name__,
    template_folder=str(HERE / "templates"),
    static_folder=str(HERE / "static"),
    static_url_path="/admin/static",
)
blueprint.context_processor(pages.words)
# The session check registers first: it runs before every page.
for group in (
    staff,
    dashboard,
    program,
    campaigns,
    members,
    privacy,
    analytics,
    imports,
    setup,
    dead_letters,
    referrals,
    unsubscribe,
    saleor_widgets,
):
    group.register(blueprint)
