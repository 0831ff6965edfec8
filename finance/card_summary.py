"""What the finance app puts in the customer card's summary header: the balance, the
amount overdue and the oldest due date among it — the same figures as "Rachunek" and the
API's account (``selectors.customer_balance``, ``selectors.overdue_summary``)."""

from django.utils import timezone

from . import selectors


def summary_context(customer, request) -> dict:
    """Queries: two (the cached balance, the open receivables)."""
    balance = selectors.customer_balance(customer=customer)
    overdue, oldest_due = selectors.overdue_summary(
        selectors.open_receivable_list(customer=customer), today=timezone.localdate())
    return {"summary_finance": {
        "balance": balance, "owes": balance < 0, "overdue": overdue,
        "oldest_due": oldest_due,
    }}
