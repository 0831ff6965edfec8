"""The tenant's FreeRADIUS keys (administrators): list, create, rotate, revoke.

A new key is shown once, on the page that answers the POST, and never stored in clear.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.views import staff_view

from .. import selectors, services
from ..models import RadiusKey


def _page(request, *, issued: str = "", issued_for=None, error: str = "", status=200):
    return render(request, "radius/key_list.html", {
        "keys": list(selectors.radius_key_list()), "issued": issued,
        "issued_for": issued_for, "error": error}, status=status)


def _key_or_404(radiuskey_id: int) -> RadiusKey:
    try:
        return selectors.radius_key_list().get(pk=radiuskey_id)
    except RadiusKey.DoesNotExist:
        raise Http404 from None


@staff_view("radius.view_radiuskey")
@require_http_methods(["GET", "POST"])
def key_list(request):
    if request.method == "GET":
        return _page(request)
    if not request.user.has_perm("radius.add_radiuskey"):
        raise PermissionDenied
    try:
        row, key = services.radius_key_create(actor=request.user,
                                              name=request.POST.get("name", ""))
    except ValidationError as e:
        return _page(request, error=" ".join(e.messages), status=400)
    return _page(request, issued=key, issued_for=row)


@staff_view("radius.change_radiuskey")
@require_POST
def key_rotate(request, radiuskey_id):
    key = _key_or_404(radiuskey_id)
    grace = request.POST.get("grace_hours", "").strip()
    try:
        hours = float(grace) if grace else None
    except ValueError:
        return _page(request, error=_("Enter the grace period in hours."), status=400)
    try:
        row, clear = services.radius_key_rotate(actor=request.user, key=key, grace_hours=hours)
    except ValidationError as e:
        return _page(request, error=" ".join(e.messages), status=400)
    return _page(request, issued=clear, issued_for=row)


@staff_view("radius.change_radiuskey")
@require_POST
def key_revoke(request, radiuskey_id):
    services.radius_key_revoke(actor=request.user, key=_key_or_404(radiuskey_id))
    return _page(request)
