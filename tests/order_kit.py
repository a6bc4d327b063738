"""Orders as a platform reports them, for the engine's tests on either unit of work."""

from decimal import Decimal

from plugin.rules.orders import Line, OrderFacts


def paid_order(order_ref: str, amount: str, customer: str | None = "c1", **facts: object) -> OrderFacts:
    """A paid order of one line, from a customer who opted in at checkout (a guest when customer is None)."""
    defaults: dict[str, object] = {
        "name": f"#{order_ref}",
        "email": f"{customer or 'guest'}@example.com",
        "opted_in": customer is not None,
    }
    return OrderFacts(
        order_ref=order_ref,
        customer_ref=customer,
        lines=(Line("l1", Decimal(amount)),),
        paid=True,
        **{**defaults, **facts},  # type: ignore[arg-type]
    )
