"""The card's "Wiadomości" section: send, retry, histories, preview, attachments."""

from django.urls import path

from .views import card

C = "customers/<int:customer_id>/"
M = "<int:message_id>/"

urlpatterns = [
    path(C + "sms/", card.sms_send, name="sms_send"),
    path(C + "email/", card.email_send, name="email_send"),
    path(C + "email/new/", card.email_new, name="email_new"),
    path(C + "email/draft/", card.email_draft, name="email_draft"),
    path(C + "history/<str:channel>/", card.history, name="history"),
    path(M + "retry/", card.message_retry, name="retry"),
    path(M + "preview/", card.message_preview, name="preview"),
    path(M + "raw/", card.message_raw, name="raw"),
    path(M + "attachments/<int:messageattachment_id>/", card.attachment_download,
         name="attachment"),
]
