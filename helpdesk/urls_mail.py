"""Staff pages of the helpdesk's mail part (settings of the helpdesk mailbox)."""

from django.urls import path

from .views import mail

urlpatterns = [
    path("mailbox/", mail.mailbox, name="mailbox"),
    path("mailbox/test/", mail.mailbox_test, name="mailbox_test"),
    path("mailbox/read/", mail.mailbox_read, name="mailbox_read"),
    path("mailbox/messages/", mail.mailingest_list, name="mailingest_list"),
]
