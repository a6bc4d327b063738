"""The Shopify adapter: signature checks, webhook payloads, the Admin GraphQL client and the `Platform`."""
