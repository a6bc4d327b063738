"""The shop owner's pages: the Flask blueprint `admin.blueprint`, mounted at /admin (and /email for unsubscribing).

How staff get in:
- Shopify admin (embedded): open /admin/program?id_token=<App Bridge session token>&locale=nl, or send the
  token as `Authorization: Bearer`; the page then keeps a signed session cookie for that shop.
- Saleor dashboard: point the app's dashboard URL at /admin/saleor; its script passes the dashboard's app
  token (a "thirdparty" JWT checked against the shop's JWKS) to /admin/session.
- Development: /admin/login with the shop's platform and domain and the configured admin password
  (LOYALTY_ADMIN_PASSWORD).

One module per page group; each registers its routes on the blueprint. Views call plugin.services only
and reach the app's collaborators through `webhooks.collaborators.loyalty()`.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint

from admin import analytics, dead_letters, imports, members, pages, privacy, program, setup, staff, unsubscribe

blueprint = Blueprint("admin", __name__, template_folder=str(Path(__file__).resolve().parent / "templates"))
blueprint.context_processor(pages.words)
# The session check registers first: it runs before every page.
for group in (staff, program, members, privacy, analytics, imports, setup, dead_letters, unsubscribe):
    group.register(blueprint)
