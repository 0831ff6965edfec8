"""The demo ISPs' message templates (``manage.py load_demo``): what a new ISP starts from.

No gateway is set up: the demo has no SMTP server or SMS gateway to reach, so a message
sent there fails with the reason ("No SMS gateway is set up for this ISP.")."""

from . import templates_admin

TEMPLATES = (
    ("sms", "Przypomnienie o płatności", "",
     "{{ tenant.name }}: saldo Twojego konta to {{ balance.amount }} zł. Prosimy o wpłatę "
     "{{ balance.debt }} zł na rachunek {{ customer.account }}. Dziękujemy!"),
    ("sms", "Awaria sieci", "",
     "{{ tenant.name }}: w Twojej okolicy trwa usuwanie awarii. Przepraszamy za utrudnienia."),
    ("email", "Zaległe faktury", "Zaległe płatności — klient {{ customer.number }}",
     "Dzień dobry {{ customer.name }},\n\nna Twoim koncie są nieopłacone faktury:\n"
     "{% for invoice in invoices %}- {{ invoice.number }}: {{ invoice.left }} zł, termin "
     "{{ invoice.due }}\n{% endfor %}\nRazem do zapłaty: {{ balance.debt }} zł.\n"
     "Rachunek do wpłat: {{ customer.account }}\n\nPozdrawiamy\n{{ tenant.name }}"),
)


def messaging_demo_build(*, admin) -> int:
    """The templates above for the active tenant; returns how many were made."""
    for channel, name, subject, body in TEMPLATES:
        templates_admin.message_template_create(actor=admin, channel=channel, name=name,
                                                subject=subject, body=body)
    return len(TEMPLATES)
