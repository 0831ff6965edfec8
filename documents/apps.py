from django.apps import AppConfig
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Documents")

    def ready(self):
        from core.numbering import pattern_validate
        from core.tenant_settings import Category, SettingDef, register

        from .models import DocumentType

        defaults = {"contract": "UM/{YYYY}/{N}", "annex": "AN/{YYYY}/{N}",
                    "termination": "WYP/{YYYY}/{N}", "letter": "PIS/{YYYY}/{MM}/{N}",
                    "payment_demand": "WEZ/{YYYY}/{N}", "protocol": "PROT/{YYYY}/{N}"}
        for value, label in DocumentType.choices:
            register(SettingDef(
                key=f"documents.number_pattern.{value}", category=Category.DOCUMENTS,
                type=str, default=defaults[value],
                label=format_lazy("{}: {}", _("Number pattern"), label),
                help_text=_("Tokens: {YYYY} {YY} {MM} {DD} and the running number {N} "
                            "({N:5} pads it to 5 digits)."),
                validator=pattern_validate,
            ))

        from core.sections import CardSection, register_card_section

        from .views.card import documents_section_context

        register_card_section(CardSection(
            "documents", _("Documents"), 400, "documents/card/section.html",
            "documents.view_document", context=documents_section_context, anchor="dokumenty"))
        # --- card sidebar: "Wygeneruj pismo", "Zatwierdź dokument"
        from core.sections import CardAction, register_card_action

        register_card_action(CardAction(
            "letter", _("Generate a letter"), 10, section="documents",
            permission="documents.add_document", group="documents", opens="document-letter"))
        register_card_action(CardAction(
            "document_issue", _("Issue a document"), 11, section="documents",
            permission="documents.add_document", group="documents", opens="document-issue"))
        register_card_action(CardAction(
            "document_approve", _("Approve a document"), 12, "documents:approve",
            "documents.change_document", group="documents", per_customer=False))
        # --- end card sidebar
        # --- search: this app's part of the one search box (core.search)
        from . import search

        search.register()
        # --- end search
        # --- home page: this app's tiles of the day's work (core.dashboard)
        from . import dashboard

        dashboard.register_tiles()
        # --- end home page
