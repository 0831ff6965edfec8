"""The customer list, a new customer, the customer's own data."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import apply_service_errors
from customers import selectors_ui, services
from customers.forms import CustomerForm, CustomerListFilterForm
from customers.models import Customer

from .base import edit_page, staff_view


@staff_view("customers.view_customer")
@require_GET
def customer_list(request):
    filters = CustomerListFilterForm(request.GET)
    filters.is_valid()
    data = filters.cleaned_data
    page = selectors_ui.customer_list_page(query=data.get("q", ""),
                                           status=data.get("status", ""),
                                           group_id=data.get("group"),
                                           page_number=request.GET.get("page"))
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
    count = selectors_ui.customer_count(query=data.get("q", ""), status=data.get("status", ""),
                                        group_id=data.get("group"))
    return render(request, "customers/_count.html", {"count": count})


@staff_view("customers.add_customer")
@require_http_methods(["GET", "POST"])
def customer_create(request):
    form = CustomerForm(request.POST or None, initial={"kind": Customer.Kind.PERSON,
                                                       "status": Customer.Status.INTERESTED})
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(actor=request.user, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("Customer %(n)s created.") % {"n": customer.number})
            return redirect("customers:card", customer_id=customer.pk)
    return render(request, "customers/edit.html", {
        "form": form, "title": _("New customer"), "cancel_url": reverse("customers:list"),
    })


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
