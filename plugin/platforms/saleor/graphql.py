"""Every GraphQL document the app sends to Saleor or subscribes with, as module constants.

DOCUMENTS lists them all, and a test validates each against Saleor 3.23's own schema.
"""

from __future__ import annotations

ORDER_FIELDS = """
fragment LoyaltyOrder on Order {
  id number status chargeStatus isPaid created updatedAt languageCodeEnum
  userEmail user { id email firstName lastName privateMetadata { key value } }
  channel { slug currencyCode }
  metadata { key value }
  total { gross { amount currency } net { amount currency } }
  shippingPrice { gross { amount currency } net { amount currency } }
  totalCharged { amount currency }
  totalRefunded { amount currency }
  voucherCode
  shippingAddress { streetAddress1 streetAddress2 postalCode country { code } }
  giftCards {
    code
    events(filter: {type: USED_IN_ORDER}) { orderId balance { currentBalance { amount } oldCurrentBalance { amount } } }
    refunds: events(filter: {type: REFUNDED_IN_ORDER}) {
      id orderId balance { currentBalance { amount } oldCurrentBalance { amount } }
    }
  }
  lines {
    id productSku productName quantity totalPrice { gross { amount } net { amount } }
    variant { product { id productType { kind } } }
  }
}
"""

ORDER_SUBSCRIPTION = (
    "subscription { event { __typename issuedAt version"
    " ... on OrderCreated { order { ...LoyaltyOrder } }"
    " ... on OrderFullyPaid { order { ...LoyaltyOrder } }"
    " ... on OrderRefunded { order { ...LoyaltyOrder } }"
    " ... on OrderFullyRefunded { order { ...LoyaltyOrder } }"
    " ... on OrderCancelled { order { ...LoyaltyOrder } } } }" + ORDER_FIELDS
)

CUSTOMER_SUBSCRIPTION = (
    "subscription { event { __typename issuedAt"
    " ... on CustomerDeleted { user { id email } }"
    " ... on AccountDeleted { user { id email } } } }"
)

# A member's name and e-mail address follow the customer's; a new account and newsletter consent (public
# metadata, payloads.NEWSLETTER_KEY) earn their bonuses. A metadata write sends only CUSTOMER_METADATA_UPDATED.
CUSTOMER_UPDATED_SUBSCRIPTION = (
    "subscription { event { __typename issuedAt"
    " ... on CustomerCreated { user { ...LoyaltyCustomer } }"
    " ... on CustomerUpdated { user { ...LoyaltyCustomer } }"
    " ... on CustomerMetadataUpdated { user { ...LoyaltyCustomer } } } }"
    " fragment LoyaltyCustomer on User { id email firstName lastName updatedAt isActive isConfirmed"
    " metadata { key value } privateMetadata { key value } }"
)

APP_SUBSCRIPTION = "subscription { event { __typename ... on AppDeleted { app { id } } } }"

# Which collections a product is in: Saleor's collectionAddProducts and collectionRemoveProducts send
# PRODUCT_UPDATED for each product (not COLLECTION_UPDATED), as productUpdate does, and collectionDelete does for
# each product it held; productCreate sends PRODUCT_CREATED. A product event only names the product: the app reads
# its collections when the queued job runs (PRODUCT_COLLECTIONS), so deliveries out of order keep what Saleor
# holds now, as Shopify's products/update does. A deleted collection is forgotten at once (COLLECTION_DELETED).
# Only the collections an owner named are kept (plugin/services/eligibility.py).
COLLECTION_SUBSCRIPTION = (
    "subscription { event { __typename issuedAt"
    " ... on ProductCreated { product { id } }"
    " ... on ProductUpdated { product { id } }"
    " ... on CollectionDeleted { collection { id } } } }"
)

# The products of a collection an owner named, 100 a page (Saleor's most). The app's MANAGE_ORDERS lets it see
# every product of every channel, so no channel is named.
COLLECTION_PRODUCTS = (
    "query LoyaltyCollectionProducts($id: ID!, $after: String) { collection(id: $id) {"
    " products(first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id } } } } }"
)

PRODUCT_COLLECTIONS = "query LoyaltyProductCollections($id: ID!) { product(id: $id) { collections { id } } }"

APP_ID = "{ app { id } }"

# Asked with the customer's own access token, not the app's: who the storefront's customer is.
ME = "{ me { id email } }"

CHANNELS = "{ channels { id slug currencyCode isActive } }"

# The name and address the shop shows its customers: what the app's mails are signed with.
SHOP_PROFILE = "{ shop { name companyAddress { streetAddress1 streetAddress2 postalCode city country { country } } } }"

ORDERS_UPDATED_SINCE = (
    "query LoyaltyOrders($after: String, $since: DateTime!) {"
    " orders(first: 50, after: $after, filter: {updatedAt: {gte: $since}},"
    " sortBy: {field: LAST_MODIFIED_AT, direction: ASC}) {"
    " pageInfo { hasNextPage endCursor } edges { node { ...LoyaltyOrder } } } }" + ORDER_FIELDS
)

CHECKOUT = """
query LoyaltyCheckout($id: ID!) {
  checkout(id: $id) {
    id languageCode metadata { key value } user { id }
    totalPrice { gross { amount currency } net { amount currency } }
    shippingPrice { gross { amount currency } net { amount currency } }
    lines { id quantity totalPrice { gross { amount } net { amount } } variant { product { id productType { kind } } } }
    giftCards { currentBalance { amount } }
  }
}
"""

ERRORS = "errors { field code message }"

GIFT_CARD_CREATE = (
    "mutation($input: GiftCardCreateInput!) { giftCardCreate(input: $input) { giftCard { id } " + ERRORS + " } }"
)
GIFT_CARD_BY_CODE = "query($code: String!) { giftCards(first: 1, filter: {code: $code}) { edges { node { id } } } }"
# Whether a customer used a code, asked before a code handed back is taken off (a used one stays the customer's).
GIFT_CARD_USAGE = (
    "query($id: ID!) { giftCard(id: $id) { id lastUsedOn initialBalance { amount } currentBalance { amount } } }"
)
GIFT_CARD_DEACTIVATE = "mutation($id: ID!) { giftCardDeactivate(id: $id) { giftCard { id } " + ERRORS + " } }"

# Store credit: a member's credits top up one gift card. The adjustment adds (two top-ups at once both count);
# a retried top-up counts the card's adjustments against those it saw before it sent its own.
GIFT_CARD_TOP_UP = (
    "mutation($id: ID!, $amount: Decimal!) { giftCardBalanceAdjust(id: $id, amount: $amount) { giftCard { id } "
    + ERRORS
    + " } }"
)
GIFT_CARD_TOP_UPS = (
    "query($id: ID!) { giftCard(id: $id) { id expiryDate currentBalance { amount }"
    " events(filter: {type: BALANCE_ADJUSTED}) { id balance { currentBalance { amount } oldCurrentBalance { amount } } }"
    " } }"
)
GIFT_CARD_UPDATE = (
    "mutation($id: ID!, $input: GiftCardUpdateInput!) { giftCardUpdate(id: $id, input: $input) { giftCard { id } "
    + ERRORS
    + " } }"
)

VOUCHER_CREATE = "mutation($input: VoucherInput!) { voucherCreate(input: $input) { voucher { id } " + ERRORS + " } }"
VOUCHER_BY_CODE = (
    "query($code: String!) { vouchers(first: 5, filter: {search: $code}) {"
    " edges { node { id channelListings { id } codes(first: 5) { edges { node { code } } } } } } }"
)
VOUCHER_CHANNELS = (
    "mutation($id: ID!, $input: VoucherChannelListingInput!) {"
    " voucherChannelListingUpdate(id: $id, input: $input) { voucher { id } " + ERRORS + " } }"
)
VOUCHER_USAGE = "query($id: ID!) { voucher(id: $id) { id used } }"
VOUCHER_DELETE = "mutation($id: ID!) { voucherDelete(id: $id) { voucher { id } " + ERRORS + " } }"

DELETE_METADATA = "mutation($id: ID!, $keys: [String!]!) { deleteMetadata(id: $id, keys: $keys) { " + ERRORS + " } }"
UPDATE_METADATA = (
    "mutation($id: ID!, $input: [MetadataInput!]!) { updateMetadata(id: $id, input: $input) { " + ERRORS + " } }"
)

DOCUMENTS = {
    "ORDER_SUBSCRIPTION": ORDER_SUBSCRIPTION,
    "CUSTOMER_SUBSCRIPTION": CUSTOMER_SUBSCRIPTION,
    "CUSTOMER_UPDATED_SUBSCRIPTION": CUSTOMER_UPDATED_SUBSCRIPTION,
    "APP_SUBSCRIPTION": APP_SUBSCRIPTION,
    "COLLECTION_SUBSCRIPTION": COLLECTION_SUBSCRIPTION,
    "COLLECTION_PRODUCTS": COLLECTION_PRODUCTS,
    "PRODUCT_COLLECTIONS": PRODUCT_COLLECTIONS,
    "APP_ID": APP_ID,
    "ME": ME,
    "CHANNELS": CHANNELS,
    "SHOP_PROFILE": SHOP_PROFILE,
    "ORDERS_UPDATED_SINCE": ORDERS_UPDATED_SINCE,
    "CHECKOUT": CHECKOUT,
    "GIFT_CARD_CREATE": GIFT_CARD_CREATE,
    "GIFT_CARD_BY_CODE": GIFT_CARD_BY_CODE,
    "GIFT_CARD_USAGE": GIFT_CARD_USAGE,
    "GIFT_CARD_DEACTIVATE": GIFT_CARD_DEACTIVATE,
    "GIFT_CARD_TOP_UP": GIFT_CARD_TOP_UP,
    "GIFT_CARD_TOP_UPS": GIFT_CARD_TOP_UPS,
    "GIFT_CARD_UPDATE": GIFT_CARD_UPDATE,
    "VOUCHER_CREATE": VOUCHER_CREATE,
    "VOUCHER_BY_CODE": VOUCHER_BY_CODE,
    "VOUCHER_CHANNELS": VOUCHER_CHANNELS,
    "VOUCHER_USAGE": VOUCHER_USAGE,
    "VOUCHER_DELETE": VOUCHER_DELETE,
    "DELETE_METADATA": DELETE_METADATA,
    "UPDATE_METADATA": UPDATE_METADATA,
}
