"""The customer list, a new customer, the customer's own data."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import apply_service_errors
from core.search import search_hits
from customers import selectors_ui, services
from customers.forms import CustomerForm, CustomerListFilterForm, FirstAddressForm
from customers.models import Address, Customer

from .base import edit_page, staff_view


def _other_hits(request, query: str) -> dict[int, list[str]]:
    """What the other apps found for ``query`` (a login, an IP, an invoice number...) and
    the user may see: customer id → reasons (``core.search``). The customers app's own
    match is the list's query itself."""
    return search_hits(query=query, user=request.user, exclude={"customers"})


@staff_view("customers.view_customer")
@require_GET
def customer_list(request):
    filters = CustomerListFilterForm(request.GET)
    filters.is_valid()
    data = filters.cleaned_data
    query = data.get("q", "")
    page = selectors_ui.customer_list_page(query=query,
                                           status=data.get("status", ""),
                                           group_id=data.get("group"),
                                           page_number=request.GET.get("page"),
                                           hits=_other_hits(request, query))
    query_string = request.GET.copy()
    query_string.pop("page", None)
    return render(request, "customers/list.html", {
        "page": page, "filters": filters, "query_string": query_string.urlencode(),
        "groups": selectors_ui.group_list(), "statuses": Customer.Status.choices,
    })


@staff_view("customers.view_customer")
@require_GET
def customer_count(request):
    """The number of customers the list's filters match; the list page loads it by htmx."""
    filters = CustomerListFilterForm(request.GET)
    filters.is_valid()
    data = filters.cleaned_data
    query = data.get("q", "")
    count = selectors_ui.customer_count(query=query, status=data.get("status", ""),
                                        group_id=data.get("group"),
                                        also_ids=_other_hits(request, query))
    return render(request, "customers/_count.html", {"count": count})


def _split_errors(error: ValidationError, form, address_form) -> None:
    """The service's errors on the form they belong to: ``address-…`` on the address's."""
    if not hasattr(error, "error_dict"):
        apply_service_errors(form, error)
        return
    prefix = services.FIRST_ADDRESS_PREFIX
    for field, texts in error.message_dict.items():
        if field.startswith(prefix):
            apply_service_errors(address_form, ValidationError({field[len(prefix):]: texts}))
        else:
            apply_service_errors(form, ValidationError({field: texts}))


@staff_view("customers.add_customer")
@require_http_methods(["GET", "POST"])
def customer_create(request):
    """"Nowy klient" in one step, with the first address (residence preset); the card
    after saving. A refused address leaves no customer."""
    data = request.POST or None
    form = CustomerForm(data, initial={"kind": Customer.Kind.PERSON,
                                       "status": Customer.Status.INTERESTED})
    address_form = FirstAddressForm(data, initial={"kind": Address.Kind.RESIDENCE,
                                                   "country": "PL"})
    if request.method == "POST" and form.is_valid() and address_form.is_valid():
        try:
            customer = services.customer_create_with_address(
                actor=request.user, address=address_form.address(), **form.cleaned_data)
        except ValidationError as e:
            _split_errors(e, form, address_form)
        else:
            messages.success(request, _("Customer %(n)s created.") % {"n": customer.number})
            return redirect("customers:card", customer_id=customer.pk)
    return render(request, "customers/create.html", {
        "form": form, "address_form": address_form, "title": _("New customer"),
        "cancel_url": reverse("customers:list"),
    }, status=400 if form.errors or address_form.errors else 200)


@staff_view("customers.change_customer")
@require_http_methods(["GET", "POST"])
def customer_edit(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    initial = {name: getattr(customer, name) for name in services.CUSTOMER_FIELDS}
    return edit_page(
        request, customer=customer, key="data", title=_("Edit customer data"),
        form=CustomerForm(request.POST or None, initial=initial),
        save=lambda data: services.customer_update(actor=request.user, customer=customer,
                                                   **data))
