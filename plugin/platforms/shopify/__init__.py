"""The Shopify adapter: the engine's `Platform` on Shopify, and what the HTTP edge needs to read Shopify."""
