"""The shop owner's pages (Flask blueprint `admin.web.admin_blueprint`, mounted at /admin).

How staff get in:
- Shopify admin (embedded): open /admin/program?id_token=<App Bridge session token>&locale=nl, or send the
  token as `Authorization: Bearer`; the page then keeps a signed session cookie for that shop.
- Saleor dashboard: point the app's dashboard URL at /admin/saleor; its script passes the dashboard's app
  token (a "thirdparty" JWT checked against the shop's JWKS) to /admin/session.
- Development: /admin/login with the shop's platform and domain and LOYALTY_ADMIN_PASSWORD.
"""
