"""Bulk sends: choose channel, template and recipients → preview for three of them and
the dry run's count → send (one send per form, however often it is posted) → progress."""

import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import BootstrapForm, apply_service_errors
from core.views import staff_view
from customers.models import Customer, CustomerGroup

from .. import bulk
from ..models import BulkSend, Channel, MessageTemplate


class BulkForm(BootstrapForm):
    channel = forms.ChoiceField(label=gettext_lazy("channel"),
                                choices=[(c, Channel(c).label) for c in bulk.CHANNELS])
    template = forms.TypedChoiceField(label=gettext_lazy("template"), coerce=int)
    group = forms.ModelChoiceField(label=gettext_lazy("customer group"), required=False,
                                   queryset=CustomerGroup.all_tenants.none(),
                                   empty_label=gettext_lazy("any group"))
    status = forms.ChoiceField(label=gettext_lazy("status"), required=False)
    kind = forms.ChoiceField(label=gettext_lazy("kind"), required=False)
    debtors = forms.BooleanField(label=gettext_lazy("debtors only (balance below zero)"),
                                 required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Built per request, inside the tenant: another tenant's id is "not a choice".
        self.templates = {t.pk: t for t in MessageTemplate.objects.filter(
            is_active=True, channel__in=bulk.CHANNELS).order_by("channel", "name")}
        grouped: dict[str, list] = {}
        for t in self.templates.values():
            grouped.setdefault(str(t.get_channel_display()), []).append((t.pk, t.name))
        self.fields["template"].choices = [("", "—"), *grouped.items()]
        self.fields["group"].queryset = CustomerGroup.objects.order_by("name")
        self.fields["status"].choices = [("", _("any status")), *Customer.Status.choices]
        self.fields["kind"].choices = [("", _("any kind")), *Customer.Kind.choices]

    def service_args(self) -> dict:
        data = self.cleaned_data
        return {"channel": data["channel"], "template": self.templates[data["template"]],
                "audience": bulk.audience_clean(group=data["group"], status=data["status"],
                                                kind=data["kind"], debtors=data["debtors"])}


class BulkSendForm(BulkForm):
    request_token = forms.UUIDField(widget=forms.HiddenInput)


def _bulk_or_404(pk) -> BulkSend:
    try:
        return bulk.bulk_send_get(pk=pk)
    except BulkSend.DoesNotExist:
        raise Http404 from None


@staff_view("messaging.view_bulksend")
@require_GET
def bulk_list(request):
    """The recent bulk sends. Queries: one (joined with template and author)."""
    return render(request, "messaging/bulk/list.html", {"sends": bulk.bulk_send_list()})


def _check(request, form):
    """The preview for three recipients and the dry run's count, with the form that sends
    (carrying a new one-time token)."""
    context = {"form": form}
    if form.is_valid():
        try:
            args = form.service_args()
            context["samples"] = bulk.bulk_preview(**args)
            context["plan"] = plan = bulk.bulk_plan(**args)
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            if plan.over_cap:
                form.add_error(None, bulk.cap_error(plan.recipients, plan.cap))
            context["audience_text"] = bulk.audience_describe(args["audience"])
            context["confirm"] = BulkSendForm(initial={
                **{k: v for k, v in form.cleaned_data.items() if k != "group"},
                "group": form.cleaned_data["group"].pk if form.cleaned_data["group"] else "",
                "request_token": uuid.uuid4()})
    return render(request, "messaging/bulk/new.html", context,
                  status=400 if form.errors else 200)


@staff_view("messaging.add_bulksend")
@require_http_methods(["GET", "POST"])
def bulk_new(request):
    if request.method == "POST":
        return _check(request, BulkForm(request.POST))
    return render(request, "messaging/bulk/new.html", {
        "form": BulkForm(initial={"channel": request.GET.get("channel", Channel.SMS)})})


@staff_view("messaging.add_bulksend")
@require_POST
def bulk_send(request):
    """Start the send; the same form posted again (a double click) opens the same send."""
    form = BulkSendForm(request.POST)
    if form.is_valid():
        try:
            sent = bulk.bulk_send_start(actor=request.user,
                                        request_token=form.cleaned_data["request_token"],
                                        **form.service_args())
        except ValidationError as e:
            apply_service_errors(form, e)
        else:
            messages.success(request, _("The bulk send has started."))
            return redirect("messaging:bulk", bulksend_id=sent.pk)
    return render(request, "messaging/bulk/new.html", {"form": form}, status=400)


@staff_view("messaging.view_bulksend")
@require_GET
def bulk_detail(request, bulksend_id):
    return render(request, "messaging/bulk/detail.html", {"bulk": _bulk_or_404(bulksend_id)})


@staff_view("messaging.view_bulksend")
@require_GET
def bulk_progress(request, bulksend_id):
    """Polled by htmx every second; the answer stops polling once the send is over."""
    return render(request, "messaging/bulk/_progress.html", {"bulk": _bulk_or_404(bulksend_id)})
