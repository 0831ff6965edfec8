"""Staff management pages: a tenant admin's list of the tenant's staff, a new user, one
user's page (role, active, password, sessions); the platform's tenants (superusers)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import staff
from .forms import (
    StaffCreateForm,
    StaffPasswordForm,
    StaffRoleForm,
    StaffSessionEndForm,
    TenantCreateForm,
    apply_service_errors,
    form_write,
)
from .services import tenant_create
from .views import staff_view

# Every page here is a tenant administrator's (core.roles.ADMIN_ONLY).
PERMISSION = "core.change_membership"


def _own_session_ended(request) -> bool:
    """The change ended the admin's own session (their own password, deactivation or
    sessions): log out cleanly instead of saving a session that is gone."""
    key = request.session.session_key
    if key is None or Session.objects.filter(session_key=key).exists():
        return False
    logout(request)
    return True


def _membership(request, membership_id):
    membership = staff.staff_get(tenant=request.tenant, pk=membership_id)
    if membership is None:
        raise Http404
    return membership


@staff_view(PERMISSION)
@require_GET
def staff_list(request):
    return render(request, "core/staff_list.html", {
        "memberships": staff.staff_list(tenant=request.tenant)})


@staff_view(PERMISSION)
@never_cache
@require_http_methods(["GET", "POST"])
def staff_add(request):
    form = StaffCreateForm(request.POST or None, initial={"role": "operator"})
    if request.method == "POST":
        membership = form_write(form, lambda data: staff.staff_create(
            actor=request.user, tenant=request.tenant, **data))
        if membership is not None:
            messages.success(request, _("%(user)s can log in now with the password you set.")
                             % {"user": membership.user.get_username()})
            return redirect("staff_detail", membership_id=membership.pk)
    return render(request, "core/staff_add.html", {"form": form},
                  status=400 if form.errors else 200)


def _detail(request, membership, *, role_form=None, password_form=None, generated=None,
            status=200):
    return render(request, "core/staff_detail.html", {
        "membership": membership, "member": membership.user,
        "role_form": role_form or StaffRoleForm(initial={"role": membership.role}),
        "password_form": password_form or StaffPasswordForm(),
        "generated": generated, "is_self": membership.user_id == request.user.pk,
    }, status=status)


@staff_view(PERMISSION)
@never_cache
@require_GET
def staff_detail(request, membership_id):
    return _detail(request, _membership(request, membership_id))


def _refused(request, membership, error: ValidationError, **forms):
    for text in error.messages:
        messages.error(request, text)
    return _detail(request, _membership(request, membership.pk), status=400, **forms)


@staff_view(PERMISSION)
@require_POST
def staff_role(request, membership_id):
    membership = _membership(request, membership_id)
    form = StaffRoleForm(request.POST)
    if not form.is_valid():
        return _detail(request, membership, role_form=form, status=400)
    try:
        staff.staff_role_set(actor=request.user, membership=membership,
                             role=form.cleaned_data["role"])
    except ValidationError as e:
        return _refused(request, membership, e, role_form=form)
    messages.success(request, _("The role was saved; it applies from the user's next click."))
    return redirect("staff_detail", membership_id=membership.pk)


@staff_view(PERMISSION)
@require_POST
def staff_active(request, membership_id):
    membership = _membership(request, membership_id)
    active = request.POST.get("active") == "1"
    try:
        staff.staff_active_set(actor=request.user, membership=membership, active=active)
    except ValidationError as e:
        return _refused(request, membership, e)
    if _own_session_ended(request):
        return redirect("login")
    messages.success(request, _("The user was reactivated.") if active else
                     _("The user was deactivated: they can work here no more."))
    return redirect("staff_detail", membership_id=membership.pk)


@staff_view(PERMISSION)
@never_cache
@require_POST
def staff_password(request, membership_id):
    """A new password: typed, or generated and shown on the page this once."""
    membership = _membership(request, membership_id)
    form = StaffPasswordForm(request.POST)
    own = membership.user_id == request.user.pk
    result = form_write(form, lambda data: staff.staff_password_set(
        actor=request.user, membership=membership, password=data["password"] or None,
        keep_session_key=request.session.session_key if own else None))
    if result is None:
        return _detail(request, membership, password_form=form, status=400)
    if own:
        # One's own new password: this session stays (as Django's password change does).
        update_session_auth_hash(request, result[0].user)
    if form.cleaned_data["password"]:
        messages.success(request, _("The new password is set; the user's sessions ended."))
        return redirect("staff_detail", membership_id=membership.pk)
    # Shown in the page, not in a message: a message would outlive this response.
    return _detail(request, _membership(request, membership.pk), generated=result[1])


@staff_view(PERMISSION)
@require_POST
def staff_sessions_end(request, membership_id):
    membership = _membership(request, membership_id)
    form = StaffSessionEndForm(request.POST)
    if not form.is_valid():
        raise Http404
    ended = staff.staff_sessions_end(actor=request.user, membership=membership,
                                     session_id=form.cleaned_data["session"])
    if form.cleaned_data["session"] is not None and not ended:
        raise Http404
    messages.success(request, ngettext("%(n)d session ended.", "%(n)d sessions ended.", ended)
                     % {"n": ended})
    if _own_session_ended(request):
        return redirect("login")
    return redirect("staff_detail", membership_id=membership.pk)


# --------------------------------------------------------------------------- tenants


def platform_admin_view(view):
    """A page of the platform's administrators (superusers): a tenant's staff get a 403."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@platform_admin_view
@never_cache
@require_http_methods(["GET", "POST"])
def tenant_list(request):
    """The platform's tenants and a new one with its seller data and first admin."""
    form = TenantCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tenant = tenant_create(actor=request.user, **form.service_kwargs())
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("Tenant %(name)s created; its administrator can log "
                                        "in now.") % {"name": tenant.name})
            return redirect("tenant_list")
    return render(request, "core/tenant_list.html", {
        "tenants": staff.tenant_list(), "form": form,
    }, status=400 if form.errors else 200)
