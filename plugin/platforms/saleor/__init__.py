"""The Saleor adapter: the engine's `Platform` on Saleor, and what the HTTP edge needs to read Saleor."""
