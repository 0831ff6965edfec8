"""Query-string filters of the API's document and template lists."""

import django_filters

from .models import Document, DocumentTemplate, DocumentType


class DocumentFilter(django_filters.FilterSet):
    document_type = django_filters.ChoiceFilter(choices=DocumentType.choices)
    status = django_filters.ChoiceFilter(choices=Document.Status.choices)

    class Meta:
        model = Document
        fields = ["document_type", "status"]


class DocumentTemplateFilter(django_filters.FilterSet):
    document_type = django_filters.ChoiceFilter(choices=DocumentType.choices)

    class Meta:
        model = DocumentTemplate
        fields = ["document_type"]
