"""The card's "Wyślij komunikat" (messaging/views/notice.py); the customer's page is
``/notice/`` (messaging/notice_public.py)."""

from django.urls import path

from .views import notice

urlpatterns = [
    path("customers/<int:customer_id>/notices/", notice.notice_tab, name="notice_tab"),
    path("customers/<int:customer_id>/notices/send/", notice.notice_send,
         name="notice_send"),
    path("notices/<int:message_id>/cancel/", notice.notice_cancel, name="notice_cancel"),
]
