"""What voip does when another app changes something (core.events): a customer blocked
for debt, or unblocked after paying, has their phones follow (the blocked context)."""

from . import services


def on_debt_block_changed(*, blocked_customer_ids, unblocked_customer_ids, **_ignored) -> None:
    services.phones_debt_block_set(customer_ids=blocked_customer_ids, blocked=True)
    services.phones_debt_block_set(customer_ids=unblocked_customer_ids, blocked=False)
