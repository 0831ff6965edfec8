"""A serial's card: its description and the login (installation) it serves."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log

from ..catalog import text_clean
from ..models import StockItem
from .base import State

DESCRIPTION_MAX = 500


def _item_lock(item: StockItem) -> StockItem:
    """The item as the active tenant sees it, locked: another tenant's is DoesNotExist.
    Its product is joined (it never changes); the customer is read after the lock."""
    return StockItem.objects.select_for_update(of=("self",)).select_related(
        "product").get(pk=item.pk)


def item_description_set(*, actor, item: StockItem, description: str) -> StockItem:
    """The description on the equipment's card (one line, up to 500 characters). Locks the
    item."""
    try:
        description = text_clean(description, max_length=DESCRIPTION_MAX)
    except ValidationError as exc:
        raise ValidationError({"description": exc.messages}) from None
    with transaction.atomic():
        item = _item_lock(item)
        before = item.description
        if before != description:
            item.description = description
            item.save(update_fields=["description"])
            action_log(actor=actor, customer=item.customer, kind="stockitem.change",
                       message=N_("Description of %(p)s S/N %(s)s changed"),
                       params={"p": item.product.name, "s": item.serial},
                       changes={"description": [before, description]})
    return item


def item_login_bind(*, actor, item: StockItem, login) -> StockItem:
    """Bind equipment issued to a customer (an ONT) to one of that customer's logins — its
    installation; ``login`` None unbinds it. Another customer's login, or one of another
    tenant, is refused. Locks the item."""
    from radius.models import Login

    with transaction.atomic():
        item = _item_lock(item)
        if item.state != State.ISSUED:
            raise ValidationError({"login": [_("Only equipment at a customer is bound to a "
                                               "login.")]})
        chosen = None
        if login not in (None, ""):
            pk = login.pk if isinstance(login, Login) else login
            try:
                chosen = Login.objects.get(pk=int(pk))
            except (TypeError, ValueError, Login.DoesNotExist):
                raise ValidationError({"login": [_("No such login.")]}) from None
            if chosen.customer_id != item.customer_id:
                raise ValidationError({"login": [_("The login %(l)s is not this customer's.")
                                                 % {"l": chosen.login}]})
        if item.login_id != (chosen.pk if chosen else None):
            before = item.login.login if item.login_id else ""
            item.login = chosen
            item.save(update_fields=["login"])
            action_log(actor=actor, customer=item.customer, kind="stockitem.login",
                       message=N_("%(p)s S/N %(s)s bound to the login %(l)s"),
                       params={"p": item.product.name, "s": item.serial,
                               "l": chosen.login if chosen else "—"},
                       changes={"login": [before, chosen.login if chosen else ""]})
    return item
