"""Forms of the debtors part: the report's filters and the payment-demand action."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, CustomerGroup

from .debtors import SORT_CHOICES, DebtorFilter


class DebtorFilterForm(forms.Form):
    """The report's filters (GET). An invalid value is shown as an error and the report
    falls back to the defaults (``filters()``)."""

    threshold = forms.DecimalField(label=_("Minimum debt (zł)"), required=False, min_value=0,
                                   max_digits=14, decimal_places=2)
    min_days = forms.IntegerField(label=_("Overdue at least (days)"), required=False,
                                  min_value=0, max_value=36500)
    group = forms.ModelChoiceField(label=_("Customer group"), required=False,
                                   queryset=CustomerGroup.all_tenants.none())
    status = forms.ChoiceField(label=_("Status"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = CustomerGroup.objects.order_by("name")
        self.fields["status"].choices = [("", _("any"))] + list(Customer.Status.choices)

    def filters(self) -> DebtorFilter:
        if not self.is_valid():
            return DebtorFilter()
        data = self.cleaned_data
        return DebtorFilter(threshold=data["threshold"] or Decimal("0.00"),
                            min_days=data["min_days"],
                            group_id=data["group"].pk if data["group"] else None,
                            status=data["status"] or "", sort=data["sort"] or "debt")


class DemandStartForm(forms.Form):
    """The customers ticked on the page, or every customer matching the filters."""

    customers = forms.TypedMultipleChoiceField(coerce=int, required=False)
    all_matching = forms.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any id is accepted here; the service refuses another tenant's (one query).
        self.fields["customers"].valid_value = lambda value: str(value).isdigit()

    def clean(self):
        data = super().clean()
        if not data.get("all_matching") and not data.get("customers"):
            raise forms.ValidationError(_("Select at least one customer."))
        return data
