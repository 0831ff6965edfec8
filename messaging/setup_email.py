"""The e-mail part of messaging: the invoice-by-e-mail settings and the events it reacts to
(``messaging.invoice_mail``). The SMTP gateway itself registers in
``messaging.gateways.smtp``."""

from django.utils.translation import gettext_lazy as _

from core.events import subscribe
from core.tenant_settings import Category, SettingDef, register


def ready() -> None:
    from . import invoice_mail
    from .gateways import smtp  # noqa: F401  registers the "smtp" gateway kind

    register(
        SettingDef(
            key="messaging.invoice_email", category=Category.MESSAGING, type=bool,
            default=False, label=_("Send new invoices by e-mail"),
            help_text=_("Each invoice issued (also by the billing run) goes with its PDF to "
                        "the customer's e-mail address if the customer agreed to electronic "
                        "invoices."),
        ),
        SettingDef(
            key="messaging.invoice_email_template", category=Category.MESSAGING, type=str,
            default="", label=_("E-mail template for invoices"),
            help_text=_("The name of an e-mail message template; empty: the standard text. "
                        "Besides the usual variables it may use invoice.number, "
                        "invoice.gross, invoice.issue_date and invoice.due_date."),
            max_length=100,
        ),
    )
    subscribe("billing.invoices_issued", invoice_mail.on_invoices_issued)
    subscribe("invoice.issued", invoice_mail.on_invoice_issued)
    from . import document_mail

    subscribe("document.mail_requested", document_mail.on_document_mail_requested)
