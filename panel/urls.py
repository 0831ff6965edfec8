"""The customer's self-service panel, mounted at /panel/."""

from django.urls import include, path

from helpdesk import urls_panel as helpdesk_tickets
from voip import urls_panel as voip_phones

from . import messages, views

app_name = "panel"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("as-customer/end/", views.as_customer_end, name="as_customer_end"),
    path("password/", views.password_change, name="password_change"),
    path("documents/<int:financedocument_id>/pdf/", views.document_pdf,
         name="document_pdf"),
    # "Wiadomości" (panel/messages.py)
    path("messages/", messages.messages_page, name="messages"),
    path("messages/<int:message_id>/read/", messages.notice_read, name="notice_read"),
    path("messages/consents/", messages.consents_update, name="consents"),
    path("messages/attachments/<int:attachment_id>/", messages.attachment,
         name="message_attachment"),
    # "Zgłoszenia": the customer's helpdesk tickets (helpdesk/panel_views.py)
    path("", include(helpdesk_tickets.urlpatterns)),
    # "Telefony": the customer's phones, calls and call lists (voip/panel_views.py)
    path("", include(voip_phones.urlpatterns)),
]
