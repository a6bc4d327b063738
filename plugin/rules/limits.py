"""How large the values the app keeps may be: the widths of the columns that hold them, the largest amounts.

plugin/storage/tables.py declares its columns with these, and every edge (platform payloads, the widget
API, the admin's forms, the CLI) refuses a larger value, so whatever is accepted can be stored and
settled: nothing reaches the worker only to fail there until it is a dead letter.
"""

from __future__ import annotations

from decimal import Decimal

# Amounts up to 10^15 in any currency (IDR and VND orders pass 10^10), to a ten-thousandth.
MAX_AMOUNT = Decimal(10) ** 15
MONEY_DECIMALS = 4
# The digits of a money column: 10^15 itself is 16 digits before the point.
MONEY_DIGITS = len(str(int(MAX_AMOUNT))) + MONEY_DECIMALS

# Points one step may add or take (a staff adjustment, a program's bonus or reward): far above any real
# balance, far below BIGINT.
MAX_ADJUSTMENT = 10**12

# Column widths of what platforms send.
REF_LENGTH = 255  # a platform's id for an order, a customer or a line
EMAIL_LENGTH = 320  # the longest address RFC 5321 allows: 64 + "@" + 255
NAME_LENGTH = 255  # a display name: members' names, order names, line titles
LANGUAGE_LENGTH = 8  # a language as stored: the first part of a locale ("pt" of "pt-BR")
TIME_ZONE_LENGTH = 64  # an IANA time zone name: "America/Argentina/ComodRivadavia" is among the longest
CURRENCY_LENGTH = 3  # ISO 4217
DOMAIN_LENGTH = 255  # a shop's domain or Saleor API URL
TOPIC_LENGTH = 64  # a webhook topic or event name
ACTION_ID_LENGTH = 100  # the id another app gives a custom action it reports (webhooks/actions.py)
