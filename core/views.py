"""Staff pages of the platform: login, tenant switch, tenant settings, login locks, API
tokens."""

from functools import wraps
from itertools import groupby

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import access, selectors, services
from .forms import (
    ApiTokenCreateForm,
    LoginLockReleaseForm,
    TenantSettingForm,
    TenantSwitchForm,
    apply_service_errors,
    form_write,
)
from .middleware import SESSION_KEY
from .tenant_settings import Category, settings_list


def staff_view(permission: str | None = None):
    """A logged-in staff page within the active tenant, guarded by ``permission``.

    A user who belongs to no tenant gets a page saying so; a missing permission within
    one's own tenant is a 403 (another tenant's objects are 404s further on).
    """

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if request.tenant is None:
                return render(request, "core/no_tenant.html", status=403)
            if permission and not request.user.has_perm(permission):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def login_locked_page(request, *, until) -> HttpResponse:
    """The login page saying the account or the address is locked, and until when (a 429:
    too many attempts). Rendered for /login/ and /admin/login/ alike (core.access)."""
    return render(request, "registration/login.html", {
        "form": AuthenticationForm(request), "next": request.POST.get("next", ""),
        "locked_until": until,
    }, status=429)


@staff_view("core.unlock_login")
@require_http_methods(["GET", "POST"])
def login_locks(request):
    """Locked logins of the tenant's users and the addresses that tried them; "Unlock"
    lifts one (a tenant administrator's, logged)."""
    if request.method == "POST":
        form = LoginLockReleaseForm(request.POST)
        if not form.is_valid():
            return HttpResponseBadRequest(_("Choose a lock to lift."))
        free = access.login_lock_release(actor=request.user, tenant=request.tenant,
                                         **form.cleaned_data)
        if free is None:
            raise Http404
        if free:
            messages.success(request, _("%(value)s may log in again.")
                             % {"value": form.cleaned_data["value"]})
        else:
            messages.warning(request, _("The failed logins on your users from %(value)s are "
                                        "forgotten, but the address stays locked by attempts "
                                        "on other accounts until the lock ends.")
                             % {"value": form.cleaned_data["value"]})
        return redirect("login_locks")
    return render(request, "core/login_locks.html", {
        "locks": access.login_lock_list(tenant=request.tenant)})


@staff_view()
@require_GET
def home(request):
    """The day's work: a tile per thing waiting (``core.dashboard``: each app's tiles the
    user may see), each a count — and an amount where it is money — linking to its list.
    Queries: one per tile."""
    from .dashboard import dashboard

    return render(request, "core/home.html", {"tiles": dashboard(request)})


@login_required
@require_http_methods(["GET", "POST"])
def tenant_switch(request):
    """GET: the switcher's menu (loaded by htmx); POST: make a tenant one is a member of active."""
    if request.method == "GET":
        return render(request, "core/_tenant_menu.html",
                      {"memberships": selectors.membership_list(user=request.user)})
    form = TenantSwitchForm(request.POST)
    tenant = None
    if form.is_valid():
        tenant = selectors.membership_tenant_for(user=request.user,
                                                 tenant_id=form.cleaned_data["tenant_id"])
    if tenant is None or tenant.pk != form.cleaned_data.get("tenant_id"):
        messages.error(request, _("You are not a member of that tenant."))
    else:
        request.session[SESSION_KEY] = tenant.pk
        messages.success(request, _("You now work in %(tenant)s.") % {"tenant": tenant.name})
    # The page one came from shows the previous tenant's objects: start from the list.
    return redirect("customers:list")


_INPUT_TYPES = {int: "number", bool: "bool", str: "text"}


@staff_view("core.view_tenantsetting")
@require_http_methods(["GET", "POST"])
def tenant_settings(request):
    bound = None
    if request.method == "POST":
        if not request.user.has_perm("core.change_tenantsetting"):
            raise PermissionDenied
        bound = TenantSettingForm(request.POST)
        if bound.is_valid():
            try:
                services.tenant_setting_set(actor=request.user, key=bound.cleaned_data["key"],
                                            raw_value=bound.cleaned_data["value"])
            except ValidationError as e:
                apply_service_errors(bound, e)
            else:
                messages.success(request, _("The setting was saved."))
                return redirect("tenant_settings")
    rows = []
    for definition, value, changed in settings_list(tenant=request.tenant):
        form = bound if bound is not None and bound.data.get("key") == definition.key else \
            TenantSettingForm(initial={"key": definition.key, "value": value},
                              auto_id=f"setting_{definition.key.replace('.', '_')}_%s")
        rows.append({"definition": definition, "value": value, "changed": changed,
                     "form": form, "input": _INPUT_TYPES.get(definition.type, "text")})
    categories = [
        {"label": Category.LABELS.get(category, category), "rows": list(items)}
        for category, items in groupby(rows, key=lambda r: r["definition"].category)
    ]
    return render(request, "core/tenant_settings.html", {
        "categories": categories,
        "can_change": request.user.has_perm("core.change_tenantsetting"),
    }, status=400 if bound is not None else 200)


@staff_view("core.view_apitoken")
@never_cache
@require_http_methods(["GET", "POST"])
def api_tokens(request):
    """The tenant's API tokens; POST creates one and shows its key this once."""
    users = selectors.member_users(tenant=request.tenant)
    form = ApiTokenCreateForm(users=users, initial={"user": request.user.pk})
    created = None
    status = 200
    if request.method == "POST":
        if not request.user.has_perm("core.add_apitoken"):
            raise PermissionDenied
        form = ApiTokenCreateForm(request.POST, users=users)
        created = form_write(form, lambda data: services.api_token_create(
            actor=request.user, tenant=request.tenant, **data))
        if created is None:
            status = 400
        else:
            form = ApiTokenCreateForm(users=users, initial={"user": request.user.pk})
    return render(request, "core/api_tokens.html", {
        "tokens": selectors.api_token_list(tenant=request.tenant), "form": form,
        "created": created and {"token": created[0], "key": created[1]},
        "can_change": request.user.has_perm("core.change_apitoken"),
    }, status=status)


@staff_view("core.change_apitoken")
@require_POST
def api_token_revoke(request, apitoken_id: int):
    token = selectors.api_token_get(tenant=request.tenant, pk=apitoken_id)
    if token is None:
        raise Http404
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, _("The token %(prefix)s… was revoked: it works no more.")
                     % {"prefix": token.prefix})
    return redirect("api_tokens")
