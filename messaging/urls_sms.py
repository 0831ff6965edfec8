"""Delivery reports of the SMS gateways (``messaging.webhooks``)."""

from django.urls import path

from . import webhooks

urlpatterns = [
    # Kannel's dlr-url (messaging/gateways/kannel.py).
    path("dlr/<int:tenant_id>/<uuid:key>/", webhooks.dlr_kannel, name="dlr_kannel"),
    # The SMS provider's notify_url (messaging/gateways/http_sms.py).
    path("sms-status/<int:tenant_id>/<uuid:key>/", webhooks.sms_status, name="sms_status"),
]
