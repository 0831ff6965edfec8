"""Staff pages and webhooks of the messaging app, one module per part."""

from django.urls import include, path

from . import urls_auto, urls_bulk, urls_card, urls_notice, urls_sms

app_name = "messaging"

urlpatterns = [path("", include(part.urlpatterns))
               for part in (urls_card, urls_bulk, urls_sms, urls_auto, urls_notice)]
