"""Staff of a tenant, managed by the tenant's administrators (not through Django admin).

A staff user works in a tenant through a ``Membership`` (its role). Here a tenant admin
adds a user with a first password, changes a role, deactivates and reactivates a
membership, sets a new password (typed, or generated and shown once) and ends the user's
sessions; every change goes to the tenant's action log.

Effects are immediate: permissions are read from the membership on every request
(``core.backends``: the role is cached on the request's user object only), a deactivated
membership opens its tenant no more (``core.selectors.membership_tenant_for``), a user
left without an active membership is deactivated (Django then refuses their session on
the next request), and a new password ends every other session (Django's session hash).

Sessions: ``StaffSession`` rows are written on ``user_logged_in`` and deleted on
``user_logged_out`` (signals connected in ``core.apps``); ending one deletes the Django
session itself, so its next request is anonymous.

One rule guards all of this: a tenant always keeps an active administrator
(``_admin_kept``); a change that would leave none is refused.

Invitations by e-mail arrive with messaging (issue 14); until then the admin sets a first
password and passes it on.
"""

import ipaddress

from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from .actionlog import action_log
from .backends import role_forget
from .http import client_ip
from .models import Membership, StaffSession, Tenant, User
from .roles import Role
from .tenancy import tenant_context

# Letters and digits that cannot be mistaken for each other when read aloud or copied.
PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_PASSWORD_LENGTH = 14


def password_generate() -> str:
    """A random password for a user to change later (shown once, never stored in clear)."""
    return get_random_string(GENERATED_PASSWORD_LENGTH, PASSWORD_ALPHABET)


def _who(user) -> str:
    return user.get_full_name() or user.get_username()


def _live_sessions(now=None):
    """Sessions whose Django session still exists and has not expired."""
    return StaffSession.objects.filter(Exists(Session.objects.filter(
        session_key=OuterRef("session_key"), expire_date__gt=now or timezone.now())))


# --------------------------------------------------------------------------- reads


def staff_list(*, tenant: Tenant) -> list[Membership]:
    """The tenant's memberships with their users and the number of open sessions each user
    has (``open_sessions``), active ones first, by name. Queries: one."""
    live = (_live_sessions().filter(user=OuterRef("user_id")).order_by()
            .values("user").annotate(n=Count("pk")).values("n"))
    return list(
        Membership.objects.filter(tenant=tenant).select_related("user")
        .annotate(open_sessions=Coalesce(Subquery(live), 0))
        .order_by("-is_active", "user__last_name", "user__first_name", "user__username"))


def staff_get(*, tenant: Tenant, pk) -> Membership | None:
    """One membership of ``tenant`` with its user and the user's open sessions
    (``sessions``); another tenant's is None (a 404). Queries: two."""
    return (Membership.objects.filter(tenant=tenant, pk=pk).select_related("user", "tenant")
            .prefetch_related(Prefetch("user__staff_sessions", queryset=_live_sessions(),
                                       to_attr="sessions"))
            .first())


# --------------------------------------------------------------------------- the rule


def _admin_kept(*, tenant: Tenant, membership: Membership, role: str, active: bool) -> None:
    """Refuse a change of ``membership`` to ``role``/``active`` that would leave ``tenant``
    with no active administrator. The caller holds the tenant's admin memberships locked
    (``_lock_admins``), so two admins demoting each other at once cannot both pass."""
    if role == Role.ADMIN and active:
        return
    others = Membership.objects.filter(tenant=tenant, role=Role.ADMIN, is_active=True,
                                       user__is_active=True).exclude(pk=membership.pk)
    if not others.exists():
        raise ValidationError(_("The company would have no active administrator: make "
                                "someone else an administrator first."), code="last_admin")


def _lock_admins(tenant: Tenant) -> None:
    """Lock the tenant's admin memberships in primary-key order (see ``_admin_kept``)."""
    list(Membership.objects.select_for_update().filter(tenant=tenant, role=Role.ADMIN)
         .order_by("pk").values_list("pk", flat=True))


def _locked(membership: Membership) -> Membership:
    return Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)


# --------------------------------------------------------------------------- writes


def staff_create(*, actor, tenant: Tenant, username: str, password: str, role: str,
                 first_name: str = "", last_name: str = "", email: str = "") -> Membership:
    """A new staff user of ``tenant`` with a first password (Django's password validators)
    and a role. A user name taken on the platform is refused: a person who already works
    for another tenant is added there by the platform operator. Logged."""
    username = (username or "").strip()
    errors = {}
    if role not in Role.values:
        errors["role"] = [_("Unknown role.")]
    if not username:
        errors["username"] = [_("Enter a user name.")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This user name is taken.")]
    candidate = User(username=username, first_name=first_name.strip(),
                     last_name=last_name.strip(), email=(email or "").strip())
    try:
        validate_password(password, candidate)
    except ValidationError as e:
        errors["password"] = e.messages
    if errors:
        raise ValidationError(errors)
    with tenant_context(tenant), transaction.atomic():
        candidate.set_password(password)
        candidate.save()
        membership = Membership.objects.create(user=candidate, tenant=tenant, role=role)
        action_log(actor=actor, kind="staff.create",
                   message=N_("Staff user %(user)s (%(username)s) created as %(role)s"),
                   params={"user": _who(candidate), "username": username,
                           "role": Role(role).label},
                   changes={"user": username, "role": [None, role]})
    return membership


def staff_role_set(*, actor, membership: Membership, role: str) -> Membership:
    """Change the role of ``membership``; in force from the user's next request. Refused
    if the tenant would be left without an active admin. Locks the tenant's admin rows and
    the membership. Logged when the role changed."""
    if role not in Role.values:
        raise ValidationError({"role": [_("Unknown role.")]})
    tenant = membership.tenant
    with tenant_context(tenant), transaction.atomic():
        _lock_admins(tenant)
        locked = _locked(membership)
        if locked.role == role:
            return locked
        _admin_kept(tenant=tenant, membership=locked, role=role, active=locked.is_active)
        before = locked.role
        locked.role = role
        locked.save(update_fields=["role"])
        action_log(actor=actor, kind="membership.change",
                   message=N_("Role of %(user)s changed from %(old)s to %(new)s"),
                   params={"user": _who(locked.user), "old": Role(before).label,
                           "new": Role(role).label},
                   changes={"user": locked.user.get_username(), "role": [before, role]})
    # The actor's own permissions of this request were read under the old role.
    if actor is not None:
        role_forget(actor)
    return locked


def staff_active_set(*, actor, membership: Membership, active: bool) -> Membership:
    """Deactivate or reactivate ``membership``. Deactivated, the user works in this tenant
    no more from the next request; a user left with no active membership anywhere (and no
    platform rights) is deactivated and their sessions end at once. Reactivating makes the
    user active again. Refused if the tenant would be left without an active admin.
    Locks the tenant's admin rows and the membership. Logged."""
    tenant = membership.tenant
    with tenant_context(tenant), transaction.atomic():
        _lock_admins(tenant)
        locked = _locked(membership)
        user = locked.user
        if locked.is_active == active and (user.is_active or not active):
            return locked
        if not active:
            _admin_kept(tenant=tenant, membership=locked, role=locked.role, active=False)
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        ended = 0
        if active and not user.is_active:
            user.is_active = True
            user.save(update_fields=["is_active"])
        elif not active and not user.is_superuser and not user.memberships.filter(
                is_active=True).exists():
            user.is_active = False
            user.save(update_fields=["is_active"])
            ended = _sessions_end(user=user)
        action_log(actor=actor, kind="staff.activate" if active else "staff.deactivate",
                   message=N_("%(user)s reactivated") if active
                   else N_("%(user)s deactivated"),
                   params={"user": _who(user)},
                   changes={"user": user.get_username(), "is_active": [not active, active],
                            **({"sessions": [ended, 0]} if ended else {})})
    return locked


def staff_password_set(*, actor, membership: Membership, password: str | None = None,
                       keep_session_key: str | None = None) -> tuple[Membership, str]:
    """Set a new password of ``membership``'s user: ``password`` as typed, or a generated
    one (returned, to be shown once). Django's validators apply. Every session of the user
    ends (the new password changes the session hash; the rows go too) but
    ``keep_session_key``'s (an admin's own password: the caller updates that session's
    hash). Logged, never the password."""
    generated = not password
    password = password or password_generate()
    user = membership.user
    if not generated:
        try:
            validate_password(password, user)
        except ValidationError as e:
            raise ValidationError({"password": e.messages}) from None
    with tenant_context(membership.tenant), transaction.atomic():
        locked = _locked(membership)
        locked.user.set_password(password)
        locked.user.save(update_fields=["password"])
        ended = _sessions_end(user=locked.user, keep=keep_session_key)
        action_log(actor=actor, kind="staff.password",
                   message=N_("New password generated for %(user)s") if generated
                   else N_("New password set for %(user)s"),
                   params={"user": _who(locked.user)},
                   changes={"user": locked.user.get_username(), "password": ["***", "***"],
                            **({"sessions": [ended, 0]} if ended else {})})
    return locked, password


def _sessions_end(*, user, pk=None, keep: str | None = None) -> int:
    """Delete ``user``'s sessions (one, with ``pk``; all but ``keep``'s key): the Django
    sessions and the rows."""
    rows = StaffSession.objects.filter(user=user)
    if pk is not None:
        rows = rows.filter(pk=pk)
    if keep:
        rows = rows.exclude(session_key=keep)
    keys = list(rows.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    deleted, _by_model = rows.delete()
    return deleted


def staff_sessions_end(*, actor, membership: Membership, session_id=None) -> int:
    """End one session (``session_id``) or all sessions of ``membership``'s user: their
    next request is anonymous. Returns how many ended; another user's session id ends
    nothing. Logged when something ended."""
    user = membership.user
    with tenant_context(membership.tenant), transaction.atomic():
        ended = _sessions_end(user=user, pk=session_id)
        if ended:
            action_log(actor=actor, kind="staff.sessions_end",
                       message=N_("Sessions of %(user)s ended: %(count)s"),
                       params={"user": _who(user), "count": ended},
                       changes={"user": user.get_username(), "sessions": [ended, 0]})
    return ended


# --------------------------------------------------------------------------- sessions


def staff_session_started(sender, request, user, **kwargs) -> None:
    """``user_logged_in``: remember the session so admins see and may end it."""
    if request is None or not hasattr(request, "session"):
        return
    if request.session.session_key is None:
        request.session.save()
    StaffSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={"user": user, "ip": _address(client_ip(request)),
                  "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300]})


def _address(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def staff_session_ended(sender, request, user, **kwargs) -> None:
    """``user_logged_out``: the session is gone."""
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        StaffSession.objects.filter(session_key=key).delete()


def staff_session_rekey(*, old_key: str | None, new_key: str | None) -> None:
    """The Django session's key changed (the customer panel cycles it): follow it."""
    if old_key and new_key and old_key != new_key:
        StaffSession.objects.filter(session_key=old_key).update(session_key=new_key)


def tenant_list() -> list[Tenant]:
    """Every tenant of the platform with its number of active staff (``staff_count``), by
    name. Queries: one."""
    return list(Tenant.objects.annotate(
        staff_count=Count("memberships", filter=Q(memberships__is_active=True)))
        .order_by("name"))
