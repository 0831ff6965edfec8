"""Staff pages of billing: tariffs, the billing run (preview, start, progress, past runs)
and the card's "Tariffs and payment schedule" section."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import BootstrapForm, DateInput, apply_service_errors, form_write
from core.views import staff_view
from customers.models import Customer
from customers.views.base import section_done
from documents.models import DocumentTemplate

from .. import billing
from ..models import BillingItem, BillingRun, Subscription, Suspension, Tariff
from ..money import VAT_RATES

SECTION = "subscriptions"
DATE = DateInput()


# --------------------------------------------------------------------------- forms

class TariffForm(BootstrapForm):
    name = forms.CharField(label=gettext_lazy("name"), max_length=200)
    net_price = forms.DecimalField(label=gettext_lazy("net price"), max_digits=14,
                                   decimal_places=2, required=False)
    gross_price = forms.DecimalField(
        label=gettext_lazy("gross price"), max_digits=14, decimal_places=2, required=False,
        help_text=gettext_lazy("With VAT: invoices keep this price to the grosz (computed "
                               "from gross). Empty: the tariff is priced net."))
    vat_rate = forms.ChoiceField(label=gettext_lazy("VAT rate"),
                                 choices=[(r, r if not r[0].isdigit() else f"{r} %")
                                          for r in VAT_RATES])
    period = forms.ChoiceField(label=gettext_lazy("period"), choices=Tariff.Period.choices)
    billing = forms.ChoiceField(label=gettext_lazy("billing mode"), choices=Tariff.Billing.choices)
    gtu = forms.CharField(label="GTU", max_length=6, required=False)
    download_kbps = forms.IntegerField(label=gettext_lazy("download (kbit/s)"), required=False)
    upload_kbps = forms.IntegerField(label=gettext_lazy("upload (kbit/s)"), required=False)
    # "Dokumenty do taryf": offered when a subscription of the tariff is added or ended.
    contract_template = forms.ModelChoiceField(
        label=gettext_lazy("contract template"), required=False,
        queryset=DocumentTemplate.all_tenants.none(),
        help_text=gettext_lazy("Empty: the customer's group default, else the default."))
    annex_template = forms.ModelChoiceField(label=gettext_lazy("annex template"),
                                            required=False,
                                            queryset=DocumentTemplate.all_tenants.none())
    termination_template = forms.ModelChoiceField(label=gettext_lazy("termination template"),
                                                  required=False,
                                                  queryset=DocumentTemplate.all_tenants.none())
    termination_fee = forms.DecimalField(
        label=gettext_lazy("termination fee"), max_digits=14, decimal_places=2, required=False,
        help_text=gettext_lazy("The debit note of a termination by the customer's fault."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The active tenant's templates of each type, read when the form is made.
        for name, document_type in billing.TARIFF_TEMPLATES.items():
            self.fields[name].queryset = DocumentTemplate.objects.filter(
                document_type=document_type).order_by("name")


class RunForm(BootstrapForm):
    run_date = forms.DateField(label=gettext_lazy("billing date"), widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The browser's date picker offers the allowed range; the service still checks it.
        first, last = billing.billing_date_range()
        self.fields["run_date"].widget.attrs.update(min=first.isoformat(), max=last.isoformat())
        self.fields["run_date"].help_text = _("From %(first)s to %(last)s.") % {
            "first": date_format(first, "SHORT_DATE_FORMAT"),
            "last": date_format(last, "SHORT_DATE_FORMAT")}


class SubscriptionForm(BootstrapForm):
    tariff = forms.ModelChoiceField(label=gettext_lazy("tariff"),
                                    queryset=Tariff.all_tenants.none())
    start_date = forms.DateField(label=gettext_lazy("start"), widget=DATE)
    end_date = forms.DateField(label=gettext_lazy("end"), widget=DATE, required=False)
    discount = forms.DecimalField(label=gettext_lazy("discount (%)"), max_digits=5,
                                  decimal_places=2, required=False, initial=0)
    note = forms.CharField(label=gettext_lazy("note"), max_length=500, required=False)

    def __init__(self, *args, tariffs=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tariff"].queryset = tariffs if tariffs is not None else \
            billing.tariff_list(active_only=True)


class EndForm(BootstrapForm):
    end_date = forms.DateField(label=gettext_lazy("end"), widget=DATE)


class SuspendForm(BootstrapForm):
    date_from = forms.DateField(label=gettext_lazy("from"), widget=DATE)
    date_to = forms.DateField(label=gettext_lazy("to"), widget=DATE)
    reason = forms.CharField(label=gettext_lazy("reason"), max_length=500)


class CyclesForm(BootstrapForm):
    cycles_billed = forms.IntegerField(label=gettext_lazy("cycle counter"))
    reason = forms.CharField(label=gettext_lazy("reason"), max_length=500, required=False)


class ResumeForm(BootstrapForm):
    on_date = forms.DateField(label=gettext_lazy("resume on"), widget=DATE)


# --------------------------------------------------------------------------- tariffs

@staff_view("finance.view_tariff")
@require_http_methods(["GET", "POST"])
def tariff_list(request):
    """The tenant's tariffs and the form that adds one."""
    form = TariffForm(request.POST or None, auto_id="tariff_%s",
                      initial={"vat_rate": "23", "period": "monthly", "billing": "advance"})
    if request.method == "POST":
        if not request.user.has_perm("finance.add_tariff"):
            raise PermissionDenied
        if form.is_valid():
            try:
                tariff = billing.tariff_create(actor=request.user, **form.cleaned_data)
            except ValidationError as e:
                apply_service_errors(form, e)
            else:
                messages.success(request, _("Tariff %(n)s added.") % {"n": tariff.name})
                return redirect("finance:tariffs")
    page = Paginator(billing.tariff_list(), 50).get_page(request.GET.get("page"))
    return render(request, "finance/billing/tariffs.html", {"form": form, "page": page},
                  status=400 if form.errors else 200)


def _tariff_or_404(pk) -> Tariff:
    try:
        return billing.tariff_list().get(pk=pk)
    except Tariff.DoesNotExist:
        raise Http404 from None


@staff_view("finance.change_tariff")
@require_http_methods(["GET", "POST"])
def tariff_edit(request, tariff_id):
    tariff = _tariff_or_404(tariff_id)
    initial = {k: getattr(tariff, k) for k in TariffForm.base_fields}
    form = TariffForm(request.POST or None, initial=initial, auto_id="tariff_%s")
    if request.method == "POST" and form.is_valid():
        try:
            billing.tariff_update(actor=request.user, tariff=tariff, **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("Tariff %(n)s saved.") % {"n": form.cleaned_data["name"]})
            return redirect("finance:tariffs")
    return render(request, "finance/billing/tariff_edit.html", {"form": form, "tariff": tariff},
                  status=400 if form.errors else 200)


@staff_view("finance.change_tariff")
@require_POST
def tariff_deactivate(request, tariff_id):
    """Deactivate (or activate again): a tariff with subscriptions is never deleted."""
    tariff = _tariff_or_404(tariff_id)
    tariff = billing.tariff_update(actor=request.user, tariff=tariff,
                                   is_active=not tariff.is_active)
    messages.success(request, (_("Tariff %(n)s activated.") if tariff.is_active else
                               _("Tariff %(n)s deactivated.")) % {"n": tariff.name})
    return redirect("finance:tariffs")


# --------------------------------------------------------------------------- billing run

@staff_view("finance.view_billingrun")
@require_http_methods(["GET", "POST"])
def billing_page(request):
    """GET: the past runs, and with ``run_date`` the dry-run preview; POST: "Run billing"
    (a Celery task, queued on commit), then the run's page with its progress."""
    # The list's ?page= alone is not a preview asked for.
    data = request.POST if request.method == "POST" else (
        request.GET if "run_date" in request.GET else None)
    form = RunForm(data, auto_id="run_%s", initial={"run_date": timezone.localdate()})
    preview = None
    if request.method == "POST":
        if not request.user.has_perm("finance.add_billingrun"):
            raise PermissionDenied
        run = form_write(form, lambda data: billing.billing_run_start(
            actor=request.user, run_date=data["run_date"]))
        if run is not None:
            messages.success(request, _("Billing run started."))
            return redirect("finance:billing_run", billingrun_id=run.pk)
    elif form.is_bound:
        preview = form_write(form, lambda data: billing.billing_preview(
            run_date=data["run_date"]))
    page = Paginator(billing.billing_run_list(), 25).get_page(request.GET.get("page"))
    return render(request, "finance/billing/billing.html", {
        "form": form, "preview": preview, "page": page,
        "run_date": form.cleaned_data["run_date"] if preview else None,
    }, status=400 if form.errors else 200)


def _run_or_404(pk) -> BillingRun:
    try:
        return billing.billing_run_list().get(pk=pk)
    except BillingRun.DoesNotExist:
        raise Http404 from None


@staff_view("finance.view_billingrun")
@require_GET
def billing_run_detail(request, billingrun_id):
    return render(request, "finance/billing/run.html", {"run": _run_or_404(billingrun_id)})


@staff_view("finance.view_billingrun")
@require_GET
def billing_run_progress(request, billingrun_id):
    """Polled by htmx every second; the answer stops polling once the run is over (or
    interrupted)."""
    return render(request, "finance/billing/_run_progress.html",
                  {"run": _run_or_404(billingrun_id)})


def _run_write(request, billingrun_id, write, done_message):
    run = _run_or_404(billingrun_id)
    try:
        write(run)
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, text)
    else:
        messages.success(request, done_message)
    return redirect("finance:billing_run", billingrun_id=run.pk)


@staff_view("finance.change_billingrun")
@require_POST
def billing_run_resume(request, billingrun_id):
    """Continue a failed or interrupted run with the customers it has not done."""
    return _run_write(request, billingrun_id,
                      lambda run: billing.billing_run_resume(actor=request.user, run=run),
                      _("Billing run resumed."))


@staff_view("finance.change_billingrun")
@require_POST
def billing_run_abandon(request, billingrun_id):
    """Give up a failed, interrupted or unfinished run (what it issued stays issued)."""
    return _run_write(request, billingrun_id,
                      lambda run: billing.billing_run_abandon(actor=request.user, run=run),
                      _("Billing run abandoned."))


# --------------------------------------------------------------------------- card section

def subscriptions_section_context(customer, request):
    """The card's "Tariffs and payment schedule". Queries: subscriptions with tariffs,
    their suspensions, their billing items with invoices, and (for a user who may add,
    when the form renders) the active tariffs for its choices."""
    subscriptions = list(billing.subscription_list(customer=customer).select_related(
        "tariff__contract_template", "tariff__annex_template", "tariff__termination_template",
    ).prefetch_related(
        Prefetch("billing_items", queryset=BillingItem.objects.select_related("invoice"))))
    until = timezone.localdate().replace(day=1)
    until = until.replace(year=until.year + 1) if until.month == 12 else \
        until.replace(month=until.month + 1)
    # "Dokumenty do taryf": each subscription's documents and the one it is offered.
    documents = {}
    if request.user.has_perm("documents.view_document"):
        from documents.selectors import subscription_documents

        documents = subscription_documents(customer=customer, subscriptions=subscriptions)
    rows = [{"subscription": s,
             "schedule": billing.schedule(s, until, items=s.billing_items.all()),
             "documents": documents[s.pk]["documents"] if s.pk in documents else None,
             "offer": documents[s.pk]["offer"] if s.pk in documents else None}
            for s in subscriptions]
    can_add = request.user.has_perm("finance.add_subscription")
    return {
        "subscription_rows": rows,
        "subscription_form": SubscriptionForm(
            tariffs=billing.tariff_list(active_only=True) if can_add else Tariff.all_tenants.none(),
            auto_id="subscription_%s", initial={"start_date": timezone.localdate()}),
    }


@staff_view("finance.add_subscription")
@require_POST
def subscription_add(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    form = SubscriptionForm(request.POST, auto_id="subscription_%s")
    message = None
    if form.is_valid():
        try:
            subscription = billing.subscription_add(actor=request.user, customer=customer,
                                                    **form.cleaned_data)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            message = _("Tariff %(t)s added.") % {"t": subscription.tariff.name}
    return section_done(request, customer.pk, SECTION, forms={"subscription": form},
                        message=message)


def _subscription_write(request, subscription_id, form_class, write, message):
    subscription = get_object_or_404(Subscription.objects.select_related("tariff"),
                                     pk=subscription_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            write(subscription, form.cleaned_data)
        except ValidationError as e:
            message = None
            for text in e.messages:
                messages.error(request, f"{subscription.tariff.name}: {text}")
    else:
        message = None
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, f"{subscription.tariff.name}: {text}")
    return section_done(request, subscription.customer_id, SECTION,
                        message=message % {"t": subscription.tariff.name} if message else None)


@staff_view("finance.change_subscription")
@require_POST
def subscription_end(request, subscription_id):
    return _subscription_write(
        request, subscription_id, EndForm,
        lambda s, data: billing.subscription_end(actor=request.user, subscription=s, **data),
        _("Tariff %(t)s ended."))


@staff_view("finance.change_subscription")
@require_POST
def subscription_cycles(request, subscription_id):
    """Correct the cycle counter of the payment schedule by hand, with the reason."""
    return _subscription_write(
        request, subscription_id, CyclesForm,
        lambda s, data: billing.subscription_cycles_set(actor=request.user, subscription=s,
                                                        **data),
        _("Tariff %(t)s: cycle counter corrected."))


@staff_view("finance.add_suspension")
@require_POST
def subscription_suspend(request, subscription_id):
    return _subscription_write(
        request, subscription_id, SuspendForm,
        lambda s, data: billing.subscription_suspend(actor=request.user, subscription=s,
                                                     **data),
        _("Tariff %(t)s suspended."))


@staff_view("finance.change_suspension")
@require_POST
def suspension_resume(request, suspension_id):
    suspension = get_object_or_404(Suspension.objects.select_related("subscription__tariff"),
                                   pk=suspension_id)
    return _subscription_write(
        request, suspension.subscription_id, ResumeForm,
        lambda s, data: billing.subscription_resume(actor=request.user, suspension=suspension,
                                                    **data),
        _("Tariff %(t)s resumed."))

