"""Errors a service raises for a request that cannot be carried out; nothing was written."""


class ServiceError(Exception):
    """Base: the request was refused; `code` is stable for API answers."""

    code = "refused"


class UnknownShop(ServiceError):
    code = "unknown_shop"


class UnknownMember(ServiceError):
    code = "not_a_member"


class UnknownReward(ServiceError):
    code = "unknown_reward"


class UnknownTier(ServiceError):
    code = "unknown_tier"


class TierRequired(ServiceError):
    """A reward only members of a higher tier may redeem."""

    code = "tier_required"


class NotEnoughPoints(ServiceError):
    code = "not_enough_points"


class ReasonRequired(ServiceError):
    code = "reason_required"


class TierReasonRequired(ReasonRequired):
    code = "tier_reason_required"


class InvalidReason(ServiceError):
    """A reason the ledger cannot keep: too long, or with a NUL (which PostgreSQL stores nowhere)."""

    code = "invalid_reason"


class InvalidAmount(ServiceError):
    code = "invalid_amount"
