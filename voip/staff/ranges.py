"""Number ranges ("zakresy numeracji") and their numbers."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import form_write
from core.views import staff_view

from .. import catalog, services
from ..forms_staff import NumberFilterForm, NumberRangeForm
from ..models import NumberRange
from . import selectors
from .common import delete_page, query_rest


@staff_view("voip.view_numberrange")
@require_http_methods(["GET", "POST"])
def range_list(request):
    """The tenant's ranges with their free, assigned and quarantined numbers; the form
    that adds one (all its numbers, free)."""
    form = NumberRangeForm(request.POST or None, auto_id="range_%s")
    if request.method == "POST":
        if not request.user.has_perm("voip.add_numberrange"):
            raise PermissionDenied
        created = form_write(form, lambda data: services.number_range_create(
            actor=request.user, **data))
        if created is not None:
            messages.success(request, _("Number range %(r)s added.") % {"r": created})
            return redirect("voip:range_numbers", numberrange_id=created.pk)
    return render(request, "voip/staff/ranges.html", {
        "form": form, "ranges": list(selectors.range_list()),
    }, status=400 if form.errors else 200)


@staff_view("voip.view_phonenumber")
@require_GET
def range_numbers(request, numberrange_id):
    """A range's numbers, paged in the database, filtered by state or from a number on."""
    numbers_range = get_object_or_404(selectors.range_list(), pk=numberrange_id)
    form = NumberFilterForm(request.GET or None, auto_id="numbers_%s")
    state, start = "", None
    if form.is_valid():
        state = form.cleaned_data["state"]
        if form.cleaned_data["start"]:
            try:
                start = services.number_parse(form.cleaned_data["start"])
            except ValidationError as error:
                form.add_error("start", error)
    page = selectors.range_numbers_page(numbers_range=numbers_range, state=state, start=start,
                                        page=selectors.page_number(request.GET.get("page")))
    return render(request, "voip/staff/range_numbers.html", {
        "range": numbers_range, "form": form, "page": page,
        "extra": query_rest(state=state, start=request.GET.get("start", "") if start else ""),
    })


@staff_view("voip.delete_numberrange")
@require_http_methods(["GET", "POST"])
def range_delete(request, numberrange_id):
    numbers_range = get_object_or_404(NumberRange, pk=numberrange_id)
    return delete_page(
        request, title=_("Delete number range %(r)s") % {"r": numbers_range.name},
        question=_("Delete the number range %(r)s and its %(n)s numbers?")
        % {"r": numbers_range, "n": numbers_range.size},
        refusal=catalog.number_range_delete_refusal(numbers_range),
        delete=lambda: catalog.number_range_delete(actor=request.user,
                                                   numbers_range=numbers_range),
        done_message=_("Number range %(r)s deleted.") % {"r": numbers_range.name},
        done_url=reverse("voip:ranges"),
        cancel_url=reverse("voip:range_numbers", args=[numbers_range.pk]))
