"""The customer's panel session, kept apart from staff authentication.

A panel login stores the ``PanelAccount`` id, its tenant and a keyed hash of its password
hash under ``panel_*`` session keys. ``django.contrib.auth`` never sees the customer: a
customer is never a staff user, and a staff login in the same browser neither opens the
panel nor is ended by the panel's logout. Changing the password changes the hash, so
every other panel session of the account ends (as Django does for staff).

Staff may open the panel *as the customer* ("Zaloguj do panelu jako klient",
``panel_impersonate``): the same panel keys plus the staff user's id, in the staff user's
own session, which stays logged in. While it lasts every panel page checks that this staff
user is still logged in and may do it; every change (a POST) is refused unless the staff
user asked for changes and holds ``panel.change_as_customer``. It ends with the banner's
"End", the panel's logout, or the staff user's logout (``panel.apps``); start and end are
in the customer's action log (``panel.services``).
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from core.staff import staff_session_rekey
from core.tenancy import tenant_context

from . import selectors

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
ACCOUNT_KEY = "panel_account_id"
TENANT_KEY = "panel_tenant_id"
HASH_KEY = "panel_auth_hash"
# Set while a staff user views the panel as the customer: their id, and whether they asked
# to be allowed changes.
STAFF_KEY = "panel_staff_id"
STAFF_CHANGES_KEY = "panel_staff_changes"
_KEYS = (ACCOUNT_KEY, TENANT_KEY, HASH_KEY, STAFF_KEY, STAFF_CHANGES_KEY)

# Staff viewing the panel as the customer: the permission to do it, and to change things.
VIEW_AS_CUSTOMER = "customers.change_panelaccount"
CHANGE_AS_CUSTOMER = "panel.change_as_customer"


def _auth_hash(account) -> str:
    return salted_hmac("abonent.panel.session", account.password_hash).hexdigest()


def _cycle_key(request) -> None:
    """A new session key; a staff login in the same session follows it (core.staff)."""
    old_key = request.session.session_key
    request.session.cycle_key()
    staff_session_rekey(old_key=old_key, new_key=request.session.session_key)


def panel_login(request, account) -> None:
    # A new session key: an id planted before login must not become a logged-in one.
    _cycle_key(request)
    for key in (STAFF_KEY, STAFF_CHANGES_KEY):
        request.session.pop(key, None)
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
        _cycle_key(request)


def panel_impersonate(request, account, *, allow_changes: bool) -> None:
    """Open the panel as ``account``'s customer for the logged-in staff user, in their own
    session (no new key: it is an authenticated one already). A customer's panel login in
    the same browser is replaced."""
    request.session[ACCOUNT_KEY] = account.pk
    request.session[TENANT_KEY] = account.tenant_id
    request.session[HASH_KEY] = _auth_hash(account)
    request.session[STAFF_KEY] = request.user.pk
    request.session[STAFF_CHANGES_KEY] = bool(allow_changes)


def panel_impersonation(request) -> tuple[int, int] | None:
    """``(tenant id, account id)`` while staff view the panel as a customer, else None."""
    if request.session.get(STAFF_KEY) is None:
        return None
    return request.session.get(TENANT_KEY), request.session.get(ACCOUNT_KEY)


def _staff_check(request, tenant) -> tuple[bool, bool]:
    """Whether the staff user of the session may still view the panel as the customer in
    ``tenant``, and whether changes are allowed. Queries: the role in ``tenant`` (one)."""
    user = request.user
    if not user.is_authenticated or user.pk != request.session.get(STAFF_KEY):
        return False, False
    with tenant_context(tenant):
        if not user.has_perm(VIEW_AS_CUSTOMER):
            return False, False
        return True, bool(request.session.get(STAFF_CHANGES_KEY)) \
            and user.has_perm(CHANGE_AS_CUSTOMER)


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
            staff_ok, changes_ok = (_staff_check(request, tenant)
                                    if account is not None and STAFF_KEY in request.session
                                    else (None, False))
            if account is None or staff_ok is False or not constant_time_compare(
                    request.session.get(HASH_KEY, ""), _auth_hash(account)):
                panel_logout(request)
                return redirect_to_login(request.get_full_path(), reverse("panel:login"))
            # The customer's tenant, whatever a staff login in the same browser chose.
            request.tenant = tenant
            request.panel_account = account
            request.panel_customer = account.customer
            request.panel_staff = request.user if staff_ok else None
            request.panel_staff_changes = changes_ok
            with tenant_context(tenant):
                if staff_ok and not changes_ok and request.method not in SAFE_METHODS:
                    return render(request, "panel/read_only.html", status=403)
                if account.must_change_password and not password_pending_ok and not staff_ok:
                    return redirect("panel:password_change")
                return view(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view is not None else decorator
