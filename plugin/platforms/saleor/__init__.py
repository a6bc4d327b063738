"""The Saleor adapter: signed webhooks, payloads into order facts, GraphQL client, install handshake."""
