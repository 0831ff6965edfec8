"""Default document templates of customer groups: a customer in a group is issued the
group's template of a type unless another is chosen (``services.template_choose``)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.views import staff_view
from customers import services as customer_services
from customers.models import CustomerGroup

from .. import selectors
from ..forms import GroupTemplateForm
from ..models import DocumentType


@staff_view("customers.view_customergroup")
@require_GET
def group_templates(request):
    """Per group and document type: the default template, a choice to change or clear it."""
    templates = selectors.template_list()
    return render(request, "documents/group_templates.html", {
        "rows": selectors.group_template_rows(),
        "templates_by_type": {value: [t for t in templates if t.document_type == value]
                              for value in DocumentType.values},
    })


@staff_view("customers.change_customergroup")
@require_POST
def group_template_set(request, customergroup_id):
    """Set (or with no template, clear) one default; a refusal says the rule it breaks."""
    try:
        group = CustomerGroup.objects.get(pk=customergroup_id)
    except CustomerGroup.DoesNotExist:
        raise Http404 from None
    form = GroupTemplateForm(request.POST, templates=selectors.template_list())
    if not form.is_valid():
        for errors in form.errors.values():
            for text in errors:
                messages.error(request, text)
        return redirect("documents:group_templates")
    document_type = form.cleaned_data["document_type"]
    template = form.templates.get(form.cleaned_data["template"])
    try:
        customer_services.group_default_template_set(
            actor=request.user, group=group, document_type=document_type, template=template)
    except ValidationError as e:
        for text in e.messages:
            messages.error(request, f"{group.name}: {text}")
    else:
        label = DocumentType(document_type).label
        messages.success(request, (
            _("Group “%(g)s”: default %(t)s template set to “%(n)s”.") if template else
            _("Group “%(g)s”: default %(t)s template cleared."))
            % {"g": group.name, "t": label, "n": getattr(template, "name", "")})
    return redirect("documents:group_templates")
