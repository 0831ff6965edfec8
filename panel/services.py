"""Writes of the customer panel's own: staff viewing the panel as the customer
("Zaloguj do panelu jako klient"), recorded in the customer's action log."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from core.actionlog import action_log
from core.tenancy import tenant_context
from customers.models import Customer, PanelAccount

from . import selectors
from .session import CHANGE_AS_CUSTOMER, VIEW_AS_CUSTOMER, panel_impersonation, panel_logout


def panel_as_customer_start(*, actor, customer: Customer,
                            allow_changes: bool = False) -> PanelAccount:
    """Check that ``actor`` may open the panel as ``customer`` (read-only: the
    ``VIEW_AS_CUSTOMER`` permission; with changes also ``CHANGE_AS_CUSTOMER``) and that the
    customer has a panel account; log who and when. Returns the account to open the panel
    session with (``panel.session.panel_impersonate``). Run in the customer's tenant."""
    if not actor.has_perm(VIEW_AS_CUSTOMER) or (
            allow_changes and not actor.has_perm(CHANGE_AS_CUSTOMER)):
        raise PermissionDenied
    account = PanelAccount.objects.filter(customer=customer).first()
    if account is None:
        raise ValidationError(_("Set the panel login first."))
    action_log(actor=actor, customer=customer, kind="panel.as_customer_start",
               message=N_("%(user)s opened the customer panel as the customer, with changes "
                          "allowed") if allow_changes else
               N_("%(user)s opened the customer panel as the customer, read-only"),
               params={"user": actor.get_full_name() or actor.get_username()})
    return account


def panel_as_customer_end(*, actor, customer: Customer) -> None:
    """Log that ``actor`` stopped viewing the panel as ``customer`` (the banner's "End",
    the panel's logout or the staff user's logout). Run in the customer's tenant."""
    action_log(actor=actor, customer=customer, kind="panel.as_customer_end",
               message=N_("%(user)s stopped viewing the customer panel as the customer"),
               params={"user": actor.get_full_name() or actor.get_username()})


def impersonation_end(request, user, *, clear: bool = True):
    """End a staff user's view of the panel as a customer, if one is open: log it (for
    ``user``, the staff user) and, with ``clear``, drop the panel keys (the staff login
    stays). Returns the customer, or None when no such view was open."""
    found = panel_impersonation(request)
    if found is None:
        return None
    tenant_id, account_id = found
    tenant = selectors.tenant_get(pk=tenant_id)
    customer = None
    if tenant is not None and user is not None and user.is_authenticated:
        with tenant_context(tenant):
            account = selectors.panel_account_get(pk=account_id)
            if account is not None:
                customer = account.customer
                panel_as_customer_end(actor=user, customer=customer)
    if clear:
        panel_logout(request)
    return customer
