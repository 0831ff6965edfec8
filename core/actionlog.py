"""The action log ("Akcje Klient System"): every service writes it through ``action_log``."""

from django.utils.translation import gettext as _

from .models import ActionLog
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
