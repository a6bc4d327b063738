"""Every GraphQL document the app sends to Shopify's Admin API, as module constants.

DOCUMENTS lists them all, and a test validates each against Shopify's real Admin schema. Names and
page sizes live here so that a document and the cost reasoning behind it are read together.
"""

from __future__ import annotations

CREATE_BASIC_CODE = """
mutation CreateLoyaltyCode($input: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $input) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}
"""

CREATE_FREE_SHIPPING_CODE = """
mutation CreateLoyaltyFreeShippingCode($input: DiscountCodeFreeShippingInput!) {
  discountCodeFreeShippingCreate(freeShippingCodeDiscount: $input) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}
"""

FIND_CODE = """
query FindLoyaltyCode($code: String!) {
  codeDiscountNodeByCode(code: $code) { id }
}
"""

CODE_EXISTS = """
query LoyaltyCodeExists($id: ID!) {
  codeDiscountNode(id: $id) { id }
}
"""

SHOP_CURRENCY = """
query LoyaltyShopCurrency {
  shop { currencyCode }
}
"""

# The name and address the shop shows its customers: what the app's mails are signed with; and the time zone
# whose days the member card writes.
SHOP_PROFILE = """
query LoyaltyShopProfile {
  shop { name ianaTimezone shopAddress { address1 address2 zip city country } }
}
"""

# The shop's own id: the owner of its app-owned metafields (the rewards catalogue).
SHOP_ID = """
query LoyaltyShopId {
  shop { id }
}
"""

# Whether a customer used a code, asked before a code handed back is deleted (a used one stays the customer's).
CODE_USAGE = """
query LoyaltyCodeUsage($id: ID!) {
  codeDiscountNode(id: $id) {
    id
    codeDiscount {
      ... on DiscountCodeBasic { asyncUsageCount }
      ... on DiscountCodeFreeShipping { asyncUsageCount }
    }
  }
}
"""

DELETE_CODE = """
mutation DeleteLoyaltyCode($id: ID!) {
  discountCodeDelete(id: $id) {
    deletedCodeDiscountId
    userErrors { field code message }
  }
}
"""

SET_METAFIELDS = """
mutation SetLoyaltyMetafields($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key }
    userErrors { field code message elementIndex }
  }
}
"""

# Members' balances written and what no longer holds removed (a lost tier, the metafields of a customer who
# left the program) in one request.
SET_AND_DELETE_METAFIELDS = """
mutation SetAndDeleteLoyaltyMetafields($metafields: [MetafieldsSetInput!]!, $gone: [MetafieldIdentifierInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key }
    userErrors { field code message elementIndex }
  }
  metafieldsDelete(metafields: $gone) {
    userErrors { field message }
  }
}
"""

# Only customers who left the program in the call: their metafields removed, nothing written.
DELETE_METAFIELDS = """
mutation DeleteLoyaltyMetafields($gone: [MetafieldIdentifierInput!]!) {
  metafieldsDelete(metafields: $gone) {
    userErrors { field message }
  }
}
"""

MONEY = "shopMoney { amount currencyCode }"
LINE_FIELDS = f"""
  id
  name
  quantity
  isGiftCard
  product {{ id }}
  originalUnitPriceSet {{ {MONEY} }}
  discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}
  taxLines {{ priceSet {{ {MONEY} }} }}
"""

# Page sizes keep each query's requested cost under Shopify's 1000-point limit for a single query
# (a line costs about 10 points): orders with more lines, and refund details, are fetched per order.
ORDERS_PAGE_SIZE = 4
ORDER_LINES_INLINE = 18
LINES_PAGE_SIZE = 90

# What both order reads (the paged one and the bulk one) ask of an order and of a shipping line.
ORDER_FIELDS = f"""
  id legacyResourceId name email createdAt updatedAt cancelledAt displayFinancialStatus taxesIncluded
  customerLocale discountCodes
  customer {{ legacyResourceId email tags }}
  purchasingEntity {{ ... on PurchasingCompany {{ company {{ id }} }} }}
  customAttributes {{ key value }}
  totalTaxSet {{ {MONEY} }}
  totalDiscountsSet {{ {MONEY} }}
  totalTipReceivedSet {{ {MONEY} }}
"""
SHIPPING_FIELDS = f"""
  isRemoved
  originalPriceSet {{ {MONEY} }}
  discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}
  taxLines {{ priceSet {{ {MONEY} }} }}
"""

ORDERS_UPDATED_SINCE = f"""
query LoyaltyOrdersUpdatedSince($query: String!, $first: Int!, $after: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      {ORDER_FIELDS}
      lineItems(first: {ORDER_LINES_INLINE}) {{
        pageInfo {{ hasNextPage endCursor }}
        nodes {{ {LINE_FIELDS} }}
      }}
      shippingLines(first: 5) {{
        nodes {{ {SHIPPING_FIELDS} }}
      }}
      refunds {{ legacyResourceId }}
    }}
  }}
}}
"""

ORDER_LINES = f"""
query LoyaltyOrderLines($id: ID!, $after: String) {{
  order(id: $id) {{
    lineItems(first: {LINES_PAGE_SIZE}, after: $after) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ {LINE_FIELDS} }}
    }}
  }}
}}
"""

# Refund lines beyond the first 25 are not listed; their money then counts as unitemised (a share
# of the whole order), which is what the engine does with any refund it cannot itemise.
ORDER_REFUNDS = f"""
query LoyaltyOrderRefunds($id: ID!) {{
  order(id: $id) {{
    refunds(first: 5) {{
      legacyResourceId
      refundLineItems(first: 25) {{
        nodes {{ lineItem {{ id }} subtotalSet {{ {MONEY} }} totalTaxSet {{ {MONEY} }} }}
      }}
      refundShippingLines(first: 3) {{
        nodes {{ subtotalAmountSet {{ {MONEY} }} taxAmountSet {{ {MONEY} }} }}
      }}
      transactions(first: 5) {{
        nodes {{ kind status gateway amountSet {{ {MONEY} }} }}
      }}
    }}
  }}
}}
"""

# The history import: one bulk operation reads every order since a date into a JSONL file, instead of
# pages of 4 (needs `read_all_orders` for orders older than 60 days). Bulk queries take no variables, so
# the date is written into the query; the connections' nodes become rows of their own carrying
# `__parentId`, told apart by `__typename`. Refund details are read per refunded order, as the paged query does.
BULK_ORDER_FIELDS = f"""
      {ORDER_FIELDS}
      lineItems {{ edges {{ node {{ __typename {LINE_FIELDS} }} }} }}
      shippingLines {{
        edges {{
          node {{ __typename {SHIPPING_FIELDS} }}
        }}
      }}
      refunds {{ legacyResourceId }}
"""


def past_orders_query(created_since: str) -> str:
    """The bulk query of every order created since `created_since` (ISO 8601, UTC), oldest first."""
    return f"""
{{
  orders(query: "created_at:>='{created_since}'", sortKey: CREATED_AT) {{
    edges {{ node {{ {BULK_ORDER_FIELDS} }} }}
  }}
}}
"""


# Grouped: each order's lines follow it directly, so the file can be read one order at a time.
RUN_BULK_QUERY = """
mutation LoyaltyRunBulkQuery($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: true) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

BULK_OPERATION = """
query LoyaltyBulkOperation($id: ID!) {
  bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount url }
}
"""

# Store credit as a reward: added to the customer's account in the reward's currency (Shopify opens the account).
CREDIT_STORE = """
mutation LoyaltyStoreCredit($id: ID!, $credit: StoreCreditAccountCreditInput!) {
  storeCreditAccountCredit(id: $id, creditInput: $credit) {
    storeCreditAccountTransaction { id }
    userErrors { field code message }
  }
}
"""

# A retried credit looks for itself before adding: the customer's newest credits in that currency, each with its
# amount and expiry (to the second: the redemption's own moment).
STORE_CREDITS = """
query LoyaltyStoreCredits($id: ID!, $currency: String!) {
  customer(id: $id) {
    storeCreditAccounts(first: 1, query: $currency) {
      nodes {
        transactions(first: 25, reverse: true, query: "type:credit") {
          nodes { ... on StoreCreditAccountCreditTransaction { id amount { amount currencyCode } expiresAt } }
        }
      }
    }
  }
}
"""

# What an expired credit left unused ("the amount that remained as the expiry occurred").
STORE_CREDIT_LEFT = """
query LoyaltyStoreCreditLeft($id: ID!) {
  node(id: $id) { ... on StoreCreditAccountCreditTransaction { id remainingAmount { amount } expiresAt } }
}
"""

# The products of a collection an owner named (collection ids are gids: the admin takes them as Shopify shows them).
COLLECTION_PAGE_SIZE = 250
COLLECTION_PRODUCTS = f"""
query LoyaltyCollectionProducts($id: ID!, $after: String) {{
  collection(id: $id) {{
    products(first: {COLLECTION_PAGE_SIZE}, after: $after) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ legacyResourceId }}
    }}
  }}
}}
"""

# The collections a product is in, read after products/update: Shopify sends no collections/update when a product
# joins a collection from its own page or a smart collection picks it up.
PRODUCT_COLLECTIONS = f"""
query LoyaltyProductCollections($id: ID!, $after: String) {{
  product(id: $id) {{
    collections(first: {COLLECTION_PAGE_SIZE}, after: $after) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ id }}
    }}
  }}
}}
"""

DOCUMENTS = {
    "CREDIT_STORE": CREDIT_STORE,
    "STORE_CREDITS": STORE_CREDITS,
    "STORE_CREDIT_LEFT": STORE_CREDIT_LEFT,
    "CREATE_BASIC_CODE": CREATE_BASIC_CODE,
    "CREATE_FREE_SHIPPING_CODE": CREATE_FREE_SHIPPING_CODE,
    "FIND_CODE": FIND_CODE,
    "CODE_EXISTS": CODE_EXISTS,
    "DELETE_CODE": DELETE_CODE,
    "CODE_USAGE": CODE_USAGE,
    "SHOP_CURRENCY": SHOP_CURRENCY,
    "SHOP_PROFILE": SHOP_PROFILE,
    "SHOP_ID": SHOP_ID,
    "SET_METAFIELDS": SET_METAFIELDS,
    "SET_AND_DELETE_METAFIELDS": SET_AND_DELETE_METAFIELDS,
    "DELETE_METAFIELDS": DELETE_METAFIELDS,
    "ORDERS_UPDATED_SINCE": ORDERS_UPDATED_SINCE,
    "ORDER_LINES": ORDER_LINES,
    "ORDER_REFUNDS": ORDER_REFUNDS,
    "PAST_ORDERS": past_orders_query("2020-01-01T00:00:00Z"),
    "RUN_BULK_QUERY": RUN_BULK_QUERY,
    "BULK_OPERATION": BULK_OPERATION,
    "COLLECTION_PRODUCTS": COLLECTION_PRODUCTS,
    "PRODUCT_COLLECTIONS": PRODUCT_COLLECTIONS,
}
