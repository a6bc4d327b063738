"""The shop platforms, as mirror images: shopify/ and saleor/ hold the same modules in the same roles.

signatures.py (webhook and request signatures), payloads.py (what the platform sends, as order facts),
graphql.py (every GraphQL document), client.py (the adapter's one HTTP client), platform.py (the
engine's `Platform`), install.py (what installing means there), snippets.py (order-confirmation
e-mail snippets), access_tokens.py (the app's API token, where it has logic: Shopify) and
customer_tokens.py (how a storefront customer is identified, where the app checks it: Saleor).
fake.py is the in-memory `Platform` for tests and the demo shop. No SQL here: state goes through
the unit of work.
"""
