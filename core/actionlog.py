"""The action log ("Akcje Klient System"): every service writes it through ``action_log``."""

from django.utils.translation import gettext as _

from .models import ActionLog
from .rls import copy_rows
from .tenancy import current_tenant


def _jsonable(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def diff_fields(instance, before: dict, fields) -> dict:
    """``{field: [before, after]}`` for each field whose value changed."""
    changes = {}
    for name in fields:
        old, new = before.get(name), getattr(instance, name)
        if old != new:
            changes[name] = [_jsonable(old), _jsonable(new)]
    return changes


def staff_of(actor):
    """The staff user behind an action: None for the system or a customer in the panel."""
    from customers.models import Customer

    return actor if actor is not None and not isinstance(actor, Customer) else None


def action_log(*, actor, kind: str, message: str, customer=None, changes=None) -> ActionLog:
    """Record one change.

    ``actor`` is a staff ``User``, a ``Customer`` (acting in the customer panel) or
    ``None`` for the system itself.
    """
    from customers.models import Customer

    entry = ActionLog(
        tenant=current_tenant(), customer=customer, kind=kind, message=message,
        changes=changes or {},
    )
    if actor is None:
        entry.actor_kind, entry.actor_name = ActionLog.ActorKind.SYSTEM, _("System")
    elif isinstance(actor, Customer):
        entry.actor_kind, entry.actor_customer = ActionLog.ActorKind.CUSTOMER, actor
        entry.actor_name = actor.display_name
    else:
        entry.actor_kind, entry.actor_user = ActionLog.ActorKind.STAFF, actor
        entry.actor_name = actor.get_full_name() or actor.get_username()
    entry.save()
    return entry


def action_log_bulk(*, actor, kind: str, entries) -> int:
    """One entry per ``(customer id, message)`` of ``entries``, for bulk operations such as
    the billing run (100,000 invoices, each logged on its customer): written by one COPY
    on PostgreSQL, by ``bulk_create`` elsewhere. The actor as in ``action_log``."""
    from django.db import connection
    from django.utils import timezone

    from customers.models import Customer

    tenant = current_tenant()
    if actor is None:
        who = {"actor_kind": ActionLog.ActorKind.SYSTEM, "actor_name": str(_("System"))}
    elif isinstance(actor, Customer):
        who = {"actor_kind": ActionLog.ActorKind.CUSTOMER, "actor_customer_id": actor.pk,
               "actor_name": actor.display_name}
    else:
        who = {"actor_kind": ActionLog.ActorKind.STAFF, "actor_user_id": actor.pk,
               "actor_name": actor.get_full_name() or actor.get_username()}
    entries = list(entries)
    if connection.vendor != "postgresql":
        ActionLog.objects.bulk_create([
            ActionLog(tenant=tenant, customer_id=customer_id, kind=kind, message=message,
                      changes={}, **who) for customer_id, message in entries])
        return len(entries)
    now = timezone.now()
    fixed = {"tenant_id": tenant.pk, "at": now, "kind": kind, "changes": "{}", **who}
    columns = [*fixed, "customer_id", "message"]
    head = tuple(fixed.values())
    with connection.cursor() as cursor, copy_rows(
            cursor, f"COPY {ActionLog._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
        for customer_id, message in entries:
            copy.write_row((*head, customer_id, message))
    return len(entries)
