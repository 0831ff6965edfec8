"""What voip does when another app changes something (core.events): the debt evaluation
(radius) says who is a debtor now; their phones go into the blocked context, the others'
debt blocks are lifted — customers with no login too."""

from . import services


def on_debt_block_evaluated(*, debtor_customer_ids, customer_id=None, lift_only=False,
                            **_ignored) -> None:
    services.phones_debt_block_follow(debtor_ids=debtor_customer_ids, customer_id=customer_id,
                                      lift_only=lift_only)
