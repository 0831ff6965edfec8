"""The demo ISP's message templates are valid and personal."""

from messaging.demo import messaging_demo_build
from messaging.models import MessageTemplate
from messaging.rendering import context_for, message_render


def test_demo_templates_render_for_a_customer(customer, staff):
    assert messaging_demo_build(admin=staff) == 3
    template = MessageTemplate.objects.get(name="Zaległe faktury")
    rendered = message_render(subject=template.subject, body=template.body,
                              context=context_for(customer))
    assert rendered.subject == f"Zaległe płatności — klient {customer.number}"
    assert "Dzień dobry Jan Kowalski," in rendered.body
    assert "Razem do zapłaty: 0,00 zł." in rendered.body
