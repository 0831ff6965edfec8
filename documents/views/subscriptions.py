""""Dokumenty do taryf": a subscription's contract, annex or termination, and
"Regenerowanie dokumentów" of a tariff.

The card's "Tariffs and payment schedule" section offers, per subscription, the document
its state calls for (``selectors.subscription_documents``) as one button; this page is the
whole form (another type or template, a termination by the customer's fault with its
debit note). Every issue goes through ``services.document_issue_start``.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from core.forms import apply_service_errors
from core.views import staff_view
from customers.views.base import card_url, section_done
from finance.models import Subscription, Tariff

from .. import selectors, services
from ..forms import SubscriptionDocumentForm

SECTION = "subscriptions"


def _subscription_or_404(pk) -> Subscription:
    try:
        return Subscription.objects.select_related(
            "customer", "tariff__contract_template", "tariff__annex_template",
            "tariff__termination_template").get(pk=pk)
    except Subscription.DoesNotExist:
        raise Http404 from None


def _initial(subscription, offer, fault: bool) -> dict:
    if offer is None:
        return {"document_type": "contract"}
    return {"document_type": offer.document_type,
            "template": offer.template.pk if offer.template else None,
            "parent": offer.parent.pk if offer.parent else None,
            "fault": fault and offer.fault_fee is not None,
            "fault_fee": offer.fault_fee}


@staff_view("documents.add_document")
@require_http_methods(["GET", "POST"])
def subscription_issue(request, subscription_id):
    """GET: the form, filled in with what the subscription is offered (``?fault=1``: the
    termination by the customer's fault, whose debit note cannot be taken back — this page
    is its confirmation). POST: issue; htmx gets the card's section again."""
    subscription = _subscription_or_404(subscription_id)
    customer = subscription.customer
    row = selectors.subscription_documents(customer=customer,
                                           subscriptions=[subscription])[subscription.pk]
    templates = selectors.template_list()
    contracts = selectors.customer_contract_choices(customer=customer)
    form = SubscriptionDocumentForm(
        request.POST or None, templates=templates, contracts=contracts,
        auto_id="subscription_document_%s",
        initial=_initial(subscription, row["offer"], request.GET.get("fault") == "1"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = services.document_issue_start(
                actor=request.user, customer=customer, document_type=data["document_type"],
                template=form.templates.get(data["template"]),
                parent=selectors.document_get(pk=data["parent"], customer_id=customer.pk)
                if data["parent"] else None,
                title=data["title"], subscription=subscription,
                fault_fee=data["fault_fee"] if data["fault"] else None)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            if job["status"] == "failed":
                apply_service_errors(form, ValidationError(job["field_errors"] or job["errors"]))
            elif job["status"] == "done":
                message = (_("Document %(n)s issued with its debit note.") if data["fault"]
                           else _("Document %(n)s issued.")) % {"n": job["number"]}
                if request.htmx:
                    return section_done(request, customer.pk, SECTION, message=message)
                messages.success(request, message)
                return redirect(card_url(customer.pk, SECTION))
            else:
                url = reverse("documents:issue_job") + "?" + urlencode({"job": job["id"]})
                if request.htmx:
                    return HttpResponse(headers={"HX-Redirect": url})
                return redirect(url)
        if request.htmx:
            # The one-click offer was refused: the reasons above the section.
            for errors in form.errors.values():
                for text in errors:
                    messages.error(request, f"{subscription.tariff.name}: {text}")
            return section_done(request, customer.pk, SECTION)
    return render(request, "documents/subscription_issue.html", {
        "subscription": subscription, "customer": customer, "form": form,
        "documents": row["documents"], "offer": row["offer"],
    }, status=400 if form.errors else 200)


@staff_view("documents.change_document")
@require_http_methods(["GET", "POST"])
def tariff_regenerate(request, tariff_id):
    """"Regenerowanie dokumentów": GET asks, saying what happens; POST queues it."""
    try:
        tariff = Tariff.objects.get(pk=tariff_id)
    except Tariff.DoesNotExist:
        raise Http404 from None
    if request.method == "POST":
        count = services.tariff_documents_regenerate(actor=request.user, tariff=tariff)
        messages.success(request, ngettext(
            "Tariff %(t)s: %(n)s unapproved document is being regenerated.",
            "Tariff %(t)s: %(n)s unapproved documents are being regenerated.", count)
            % {"t": tariff.name, "n": count})
        return redirect("finance:tariffs")
    return render(request, "documents/tariff_regenerate.html", {
        "tariff": tariff, "counts": selectors.tariff_document_counts(tariff=tariff)})
