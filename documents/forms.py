"""Input of the documents pages; the services validate the meaning, these only parse."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import BootstrapForm
from core.validation import TEMPLATE_MAX_LENGTH
from customers.models import CustomerGroup

from .models import Document, DocumentTemplate, DocumentType

EMPTY = [("", "—")]


def _template_choices(templates, document_type=None):
    return EMPTY + [(t.pk, f"{t.get_document_type_display()}: {t.name}" if document_type is None
                     else t.name)
                    for t in templates
                    if document_type is None or t.document_type == document_type]


class DocumentIssueForm(BootstrapForm):
    """Issue a document on the card. Choices come from lists the section already read,
    so showing the form costs no query."""

    document_type = forms.ChoiceField(label=_("document type"), choices=DocumentType.choices)
    template = forms.TypedChoiceField(label=_("template"), required=False, coerce=int,
                                      empty_value=None,
                                      help_text=_("Empty: the default of the customer's "
                                                  "groups, else the tenant's default."))
    parent = forms.TypedChoiceField(label=_("contract (for an annex or a termination)"),
                                    required=False, coerce=int, empty_value=None)
    title = forms.CharField(label=_("title"), max_length=200, required=False)

    def __init__(self, *args, templates=(), contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = {t.pk: t for t in templates}
        self.fields["template"].choices = _template_choices(templates)
        self.fields["parent"].choices = EMPTY + list(contracts)


class LetterForm(BootstrapForm):
    """"Wygeneruj pismo": a letter from one of the tenant's letter templates."""

    template = forms.TypedChoiceField(label=_("letter template"), coerce=int)
    title = forms.CharField(label=_("title"), max_length=200, required=False)

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = {t.pk: t for t in templates if t.document_type == DocumentType.LETTER}
        self.fields["template"].choices = _template_choices(templates, DocumentType.LETTER)


class RegenerateForm(forms.Form):
    document = forms.ModelMultipleChoiceField(queryset=Document.all_tenants.none(),
                                              error_messages={"required": _(
                                                  "Choose the documents to regenerate.")})

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].queryset = Document.objects.filter(customer=customer) \
            .select_related("customer", "template_version", "parent").order_by("pk")


class DocumentScanForm(BootstrapForm):
    file = forms.FileField(label=_("signed copy"), widget=forms.ClearableFileInput(
        attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))


class ApproveCodeForm(forms.Form):
    code = forms.CharField(max_length=100, required=False)


class TemplateForm(BootstrapForm):
    """A template's text; on the create page also its type."""

    document_type = forms.ChoiceField(label=_("document type"), choices=DocumentType.choices)
    name = forms.CharField(label=_("name"), max_length=200, required=False)
    is_default = forms.BooleanField(label=_("default for its type"), required=False)
    body = forms.CharField(label=_("body (HTML)"), strip=False, max_length=TEMPLATE_MAX_LENGTH,
                           widget=forms.Textarea(
        attrs={"rows": 22, "spellcheck": "false"}))
    css = forms.CharField(label=_("style (CSS)"), required=False, strip=False,
                          max_length=TEMPLATE_MAX_LENGTH,
                          widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}))

    def __init__(self, *args, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["document_type"]
        for name in ("body", "css"):
            self.fields[name].widget.attrs["class"] += " font-monospace"


class PreviewForm(forms.Form):
    document_type = forms.ChoiceField(choices=DocumentType.choices, required=False)
    body = forms.CharField(strip=False, max_length=TEMPLATE_MAX_LENGTH)
    css = forms.CharField(strip=False, required=False, max_length=TEMPLATE_MAX_LENGTH)


class BatchForm(BootstrapForm):
    group = forms.ModelChoiceField(label=_("customer group"),
                                   queryset=CustomerGroup.all_tenants.none())
    document_type = forms.ChoiceField(label=_("document type"), choices=DocumentType.choices)
    template = forms.ModelChoiceField(label=_("template"), required=False,
                                      queryset=DocumentTemplate.all_tenants.none(),
                                      help_text=_("Empty: each customer's default."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The active tenant's rows: the manager reads the tenant when asked, not at import.
        self.fields["group"].queryset = CustomerGroup.objects.order_by("name")
        self.fields["template"].queryset = DocumentTemplate.objects.order_by("document_type",
                                                                             "name")


SUBSCRIPTION_DOCUMENT_TYPES = [(value, label) for value, label in DocumentType.choices
                               if value in ("contract", "annex", "termination")]


class SubscriptionDocumentForm(BootstrapForm):
    """"Dokumenty do taryf": a subscription's contract, annex or termination; the choices
    come from lists the view already read."""

    document_type = forms.ChoiceField(label=_("document type"),
                                      choices=SUBSCRIPTION_DOCUMENT_TYPES)
    template = forms.TypedChoiceField(label=_("template"), required=False, coerce=int,
                                      empty_value=None,
                                      help_text=_("Empty: the tariff's template, else the "
                                                  "default of the customer's groups, else "
                                                  "the tenant's default."))
    parent = forms.TypedChoiceField(label=_("contract (for an annex or a termination)"),
                                    required=False, coerce=int, empty_value=None)
    title = forms.CharField(label=_("title"), max_length=200, required=False)
    fault = forms.BooleanField(label=_("termination by the customer's fault: issue a debit "
                                       "note"), required=False)
    fault_fee = forms.DecimalField(label=_("debit note amount"), max_digits=14,
                                   decimal_places=2, required=False)

    def __init__(self, *args, templates=(), contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = {t.pk: t for t in templates}
        self.fields["template"].choices = EMPTY + [
            (t.pk, f"{t.get_document_type_display()}: {t.name}") for t in templates
            if t.document_type in dict(SUBSCRIPTION_DOCUMENT_TYPES)]
        self.fields["parent"].choices = EMPTY + list(contracts)

    def clean(self):
        data = super().clean()
        if data.get("fault") and data.get("fault_fee") is None:
            self.add_error("fault_fee", _("Enter the debit note's amount."))
        return data


class GroupTemplateForm(forms.Form):
    """A group's default template of one type; no template clears it."""

    document_type = forms.ChoiceField(choices=DocumentType.choices)
    template = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)

    def __init__(self, *args, templates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.templates = {t.pk: t for t in templates}
        self.fields["template"].choices = EMPTY + [(t.pk, t.name) for t in templates]
