"""Message templates of the tenant: list, create, edit, delete, preview on a customer."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.forms import BootstrapForm, apply_service_errors, form_write
from core.views import staff_view
from customers.models import Customer

from .. import rendering, templates_admin
from ..models import Channel, MessageTemplate


class TemplateForm(BootstrapForm):
    channel = forms.ChoiceField(label=gettext_lazy("channel"), choices=Channel.choices)
    name = forms.CharField(label=gettext_lazy("name"), max_length=templates_admin.NAME_MAX)
    subject = forms.CharField(label=gettext_lazy("subject"), required=False,
                              max_length=templates_admin.SUBJECT_MAX,
                              help_text=gettext_lazy("E-mail only; an SMS has no subject."))
    body = forms.CharField(label=gettext_lazy("text"), widget=forms.Textarea(attrs={"rows": 10}),
                           max_length=MessageTemplate._meta.get_field("body").max_length,
                           strip=False)
    is_active = forms.BooleanField(label=gettext_lazy("active"), required=False, initial=True)

    def __init__(self, *args, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:  # the channel of a template never changes
            del self.fields["channel"]


class PreviewForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)
    subject = forms.CharField(required=False, strip=False)
    body = forms.CharField(required=False, strip=False)
    customer_number = forms.IntegerField(required=False, min_value=1)


def _template_or_404(pk) -> MessageTemplate:
    try:
        return MessageTemplate.objects.get(pk=pk)
    except MessageTemplate.DoesNotExist:
        raise Http404 from None


def _editor(request, form, template, status=200):
    return render(request, "messaging/templates_admin/form.html", {
        "form": form, "template": template, "variables": rendering.VARIABLES,
        "channels": Channel,
    }, status=400 if form.errors else status)


@staff_view("messaging.view_messagetemplate")
@require_GET
def template_list(request):
    """The tenant's templates by channel. Queries: one (the templates)."""
    return render(request, "messaging/templates_admin/list.html", {
        "templates": MessageTemplate.objects.order_by("channel", "name"),
    })


@staff_view("messaging.add_messagetemplate")
@require_http_methods(["GET", "POST"])
def template_create(request):
    form = TemplateForm(request.POST or None,
                        initial={"channel": request.GET.get("channel", Channel.SMS)})
    if request.method == "POST":
        template = form_write(form, lambda data: templates_admin.message_template_create(
            actor=request.user, **data))
        if template is not None:
            messages.success(request, _("Template “%(n)s” created.") % {"n": template.name})
            return redirect("messaging:template_edit", messagetemplate_id=template.pk)
    return _editor(request, form, None)


@staff_view("messaging.view_messagetemplate")
@require_http_methods(["GET", "POST"])
def template_edit(request, messagetemplate_id):
    template = _template_or_404(messagetemplate_id)
    if request.method == "POST" and not request.user.has_perm("messaging.change_messagetemplate"):
        raise PermissionDenied
    form = TemplateForm(request.POST or None, creating=False, initial={
        "name": template.name, "subject": template.subject, "body": template.body,
        "is_active": template.is_active})
    if request.method == "POST":
        saved = form_write(form, lambda data: templates_admin.message_template_update(
            actor=request.user, template=template, **data))
        if saved is not None:
            messages.success(request, _("Template “%(n)s” saved.") % {"n": saved.name})
            return redirect("messaging:template_edit", messagetemplate_id=template.pk)
    return _editor(request, form, template)


@staff_view("messaging.delete_messagetemplate")
@require_POST
def template_delete(request, messagetemplate_id):
    template = _template_or_404(messagetemplate_id)
    try:
        templates_admin.message_template_delete(actor=request.user, template=template)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("messaging:template_edit", messagetemplate_id=template.pk)
    messages.success(request, _("Template “%(n)s” deleted.") % {"n": template.name})
    return redirect("messaging:templates")


@staff_view("messaging.view_messagetemplate")
@require_POST
def template_preview(request):
    """The unsaved text rendered for a customer chosen by number (the sample customer when
    none is given), as a fragment htmx puts under the editor."""
    form = PreviewForm(request.POST)
    preview, customer = None, None
    if form.is_valid():
        number = form.cleaned_data["customer_number"]
        if number:
            customer = Customer.objects.filter(number=number).first()
            if customer is None:
                form.add_error("customer_number",
                               _("There is no customer number %(n)s.") % {"n": number})
        if not form.errors:
            try:
                preview = templates_admin.message_template_preview(
                    channel=form.cleaned_data["channel"], subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"], customer=customer)
            except ValidationError as e:
                apply_service_errors(form, e)
    return render(request, "messaging/templates_admin/_preview.html",
                  {"form": form, "preview": preview},
                  status=400 if form.errors else 200)
