"""Domain events: how one app reacts to another's change without importing its services.

A service publishes a named event with plain data (ids, amounts as strings, dates as ISO
text), e.g. ``publish("invoice.issued", invoice_id=7, customer_id=3)``. The event is
delivered after the surrounding transaction commits (``transaction.on_commit``): a
rolled-back change publishes nothing. Each app subscribes its handlers in its
``AppConfig.ready()`` with ``subscribe``. A handler runs in the publisher's process, under
the tenant that was active when the event was published; a handler that talks to the
network (SMTP, SMS, CoA) queues a Celery task instead of doing it there.

Names are ``<thing>.<past verb>`` and listed in ``EVENTS`` with the keys they carry, so a
typo in a name fails at once instead of reaching nobody.

A failing handler does not stop the others: it is logged (the change it reacts to has
already been committed; the handler's own work is what failed).
"""

import logging
from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

from .tenancy import current_tenant_or_none, tenant_context

log = logging.getLogger(__name__)

# name -> the keys its data carries (documentation and a check on publish).
EVENTS: dict[str, tuple[str, ...]] = {
    # finance
    "invoice.issued": ("invoice_id", "customer_id"),
    "correction.issued": ("correction_id", "invoice_id", "customer_id"),
    "billing.finished": ("run_id", "invoice_ids"),
    # one batch of a billing run committed (a run of 100,000 invoices: one per batch)
    "billing.invoices_issued": ("run_id", "invoice_ids"),
    "payment.booked": ("customer_id", "amount"),
    # any app: e-mail this document (a PDF) to the customer (messaging sends it, once per
    # kind and object, to the customer's address for notifications)
    "document.mail_requested": ("customer_id", "kind", "object_id", "subject", "body",
                                "filename", "content"),
    # what a login gets from its tariff changed: the tariff's speeds, a subscription's
    # dates or suspensions (radius refreshes the logins and reloads the online ones)
    "tariff.speeds_changed": ("tariff_id", "actor_id"),
    "subscription.changed": ("subscription_id", "customer_id", "actor_id"),
    # radius: the debt evaluation's answer (every debtor now; of one customer after a
    # payment: ``customer_id``; ``lift_only``: the frequent pass only lifts) — voip's
    # phones follow it into the blocked context and back
    "debt_block.evaluated": ("debtor_customer_ids", "customer_id", "lift_only"),
    # customers
    "panel_pin.generated": ("customer_id", "pin", "actor_id", "phone"),
    # messaging
    "message.status_changed": ("message_id", "customer_id", "status"),
    "notice.read": ("message_id", "customer_id"),
    "notice.changed": ("customer_id",),
    # helpdesk
    "case.created": ("case_id", "number", "customer_id", "source"),
    "case.changed": ("case_id", "number", "status", "queue_id", "owner_id"),
    "case.comment_added": ("case_id", "number", "comment_id", "is_public", "by_customer",
                           "source"),
    # voip: a phone's calls of the period under way reached its notification threshold
    # (amounts as text, to the grosz; ``number`` in E.164 digits)
    "voip.threshold_crossed": ("phone_id", "customer_id", "number", "amount", "threshold"),
}

_handlers: dict[str, list[Callable]] = defaultdict(list)


class UnknownEvent(LookupError):
    pass


def register_event(name: str, keys: tuple[str, ...]) -> None:
    """An app's own event name (apps may also add theirs to ``EVENTS`` here)."""
    EVENTS.setdefault(name, keys)


def subscribe(name: str, handler: Callable) -> None:
    """Call ``handler(**data)`` after each commit that published ``name``. Idempotent: the
    same handler subscribed twice (``ready()`` run again in tests) is called once."""
    if name not in EVENTS:
        raise UnknownEvent(name)
    if handler not in _handlers[name]:
        _handlers[name].append(handler)


def unsubscribe(name: str, handler: Callable) -> None:
    if handler in _handlers.get(name, []):
        _handlers[name].remove(handler)


def handlers(name: str) -> list[Callable]:
    return list(_handlers.get(name, []))


def _deliver(name: str, tenant, data: dict) -> None:
    for handler in handlers(name):
        try:
            if tenant is not None:
                with tenant_context(tenant):
                    handler(**data)
            else:
                handler(**data)
        except Exception:  # a reaction failed; the change it reacts to stands
            log.exception("event %s: handler %s failed", name,
                          getattr(handler, "__name__", handler))


def publish(name: str, **data) -> None:
    """Deliver ``name`` with ``data`` to its subscribers after the current transaction
    commits (at once outside a transaction). ``data`` must carry the event's keys."""
    keys = EVENTS.get(name)
    if keys is None:
        raise UnknownEvent(name)
    missing = [k for k in keys if k not in data]
    if missing:
        raise TypeError(f"event {name} lacks {', '.join(missing)}")
    tenant = current_tenant_or_none()
    transaction.on_commit(lambda: _deliver(name, tenant, data))
