"""Staff pages and webhooks of the messaging app, one module per part."""

from importlib import import_module

from django.urls import include, path

app_name = "messaging"

# TEMPORARY guard while the parts are written (see apps.PARTS).
urlpatterns = []
for part in ("urls_card", "urls_bulk", "urls_sms", "urls_email", "urls_auto",
             "urls_notice"):
    try:
        module = import_module(f"messaging.{part}")
    except ModuleNotFoundError as e:
        if e.name != f"messaging.{part}":
            raise
        continue
    urlpatterns.append(path("", include(module.urlpatterns)))
