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
    userErrors { field code message }
  }
}
"""

# A member without a tier: the balance is written and an old tier removed in one request.
SET_METAFIELDS_DROP_TIER = """
mutation SetLoyaltyMetafieldsWithoutTier($metafields: [MetafieldsSetInput!]!, $tier: [MetafieldIdentifierInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key }
    userErrors { field code message }
  }
  metafieldsDelete(metafields: $tier) {
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
  originalUnitPriceSet {{ {MONEY} }}
  discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}
"""

# Page sizes keep each query's requested cost under Shopify's 1000-point limit for a single query
# (a line costs about 6 points): orders with more lines, and refund details, are fetched per order.
ORDERS_PAGE_SIZE = 5
ORDER_LINES_INLINE = 20
LINES_PAGE_SIZE = 100

ORDERS_UPDATED_SINCE = f"""
query LoyaltyOrdersUpdatedSince($query: String!, $first: Int!, $after: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id
      legacyResourceId
      name
      email
      createdAt
      updatedAt
      cancelledAt
      displayFinancialStatus
      customerLocale
      discountCodes
      customer {{ legacyResourceId email }}
      customAttributes {{ key value }}
      totalTaxSet {{ {MONEY} }}
      totalDiscountsSet {{ {MONEY} }}
      totalTipReceivedSet {{ {MONEY} }}
      lineItems(first: {ORDER_LINES_INLINE}) {{
        pageInfo {{ hasNextPage endCursor }}
        nodes {{ {LINE_FIELDS} }}
      }}
      shippingLines(first: 5) {{
        nodes {{
          isRemoved
          originalPriceSet {{ {MONEY} }}
          discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}
        }}
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
        nodes {{ kind status amountSet {{ {MONEY} }} }}
      }}
    }}
  }}
}}
"""

DOCUMENTS = {
    "CREATE_BASIC_CODE": CREATE_BASIC_CODE,
    "CREATE_FREE_SHIPPING_CODE": CREATE_FREE_SHIPPING_CODE,
    "FIND_CODE": FIND_CODE,
    "CODE_EXISTS": CODE_EXISTS,
    "DELETE_CODE": DELETE_CODE,
    "SHOP_CURRENCY": SHOP_CURRENCY,
    "SET_METAFIELDS": SET_METAFIELDS,
    "SET_METAFIELDS_DROP_TIER": SET_METAFIELDS_DROP_TIER,
    "ORDERS_UPDATED_SINCE": ORDERS_UPDATED_SINCE,
    "ORDER_LINES": ORDER_LINES,
    "ORDER_REFUNDS": ORDER_REFUNDS,
}
