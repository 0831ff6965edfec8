"""The customer's panel session, kept apart from staff authentication.

A panel login stores the ``PanelAccount`` id, its tenant and a keyed hash of its password
hash under ``panel_*`` session keys. ``django.contrib.auth`` never sees the customer: a
customer is never a staff user, and a staff login in the same browser neither opens the
panel nor is ended by the panel's logout. Changing the password changes the hash, so
every other panel session of the account ends (as Django does for staff).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from core.tenancy import tenant_context

from . import selectors

ACCOUNT_KEY = "panel_account_id"
TENANT_KEY = "panel_tenant_id"
HASH_KEY = "panel_auth_hash"
_KEYS = (ACCOUNT_KEY, TENANT_KEY, HASH_KEY)


def _auth_hash(account) -> str:
    return salted_hmac("abonent.panel.session", account.password_hash).hexdigest()


def panel_login(request, account) -> None:
    # A new session key: an id planted before login must not become a logged-in one.
    request.session.cycle_key()
    request.session[ACCOUNT_KEY] = account.pk
    request.session[TENANT_KEY] = account.tenant_id
    request.session[HASH_KEY] = _auth_hash(account)


def panel_session_refresh(request, account) -> None:
    """Keep this session after the account's password changed (others end)."""
    request.session[HASH_KEY] = _auth_hash(account)


def panel_logout(request) -> None:
    """End the panel session only: a staff login in the same browser stays."""
    if any(key in request.session for key in _KEYS):
        for key in _KEYS:
            request.session.pop(key, None)
        request.session.cycle_key()


def panel_tenant_slug(request) -> str:
    tenant = selectors.tenant_get(pk=request.session.get(TENANT_KEY))
    return tenant.slug if tenant else ""


def panel_view(view=None, *, password_pending_ok: bool = False):
    """A page of the logged-in customer, run within the customer's tenant.

    Sets ``request.tenant``, ``request.panel_account`` and ``request.panel_customer``. No
    panel login (or a session the password change ended): to the login page. An account
    that must change its password (after a one-time PIN) sees the password page before
    anything else, unless ``password_pending_ok``. Queries: the tenant and the account
    with its customer (two).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            tenant = selectors.tenant_get(pk=request.session.get(TENANT_KEY))
            account = None
            if tenant is not None:
                with tenant_context(tenant):
                    account = selectors.panel_account_get(pk=request.session.get(ACCOUNT_KEY))
            if account is None or not constant_time_compare(
                    request.session.get(HASH_KEY, ""), _auth_hash(account)):
                panel_logout(request)
                return redirect_to_login(request.get_full_path(), reverse("panel:login"))
            # The customer's tenant, whatever a staff login in the same browser chose.
            request.tenant = tenant
            request.panel_account = account
            request.panel_customer = account.customer
            with tenant_context(tenant):
                if account.must_change_password and not password_pending_ok:
                    return redirect("panel:password_change")
                return view(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
