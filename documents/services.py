"""Every write of document templates; each one is recorded in the action log."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.actionlog import action_log

from .models import DocumentTemplate, DocumentType


def document_template_create(*, actor, document_type: str, name: str) -> DocumentTemplate:
    """Create a template of ``document_type`` in the active tenant; names are unique per type."""
    name = (name or "").strip()
    errors = {}
    if document_type not in DocumentType.values:
        errors["document_type"] = [_("Unknown document type.")]
    if not name:
        errors["name"] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    if DocumentTemplate.objects.filter(document_type=document_type, name__iexact=name).exists():
        raise ValidationError({"name": [_("A template of this type and name exists.")]})
    try:
        with transaction.atomic():
            template = DocumentTemplate.objects.create(document_type=document_type, name=name)
            action_log(actor=actor, kind="document_template.create",
                       message=_("Document template “%(n)s” (%(t)s) created")
                       % {"n": name, "t": DocumentType(document_type).label})
    except IntegrityError:
        # A concurrent creation of the same name won the race.
        raise ValidationError({"name": [_("A template of this type and name exists.")]}) from None
    return template
