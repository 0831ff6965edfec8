"""Staff pages of the accounting app, one module per part."""

from django.urls import include, path

from . import urls_debtors, urls_jpk, urls_registers

app_name = "accounting"

urlpatterns = [path("", include(part.urlpatterns))
               for part in (urls_jpk, urls_registers, urls_debtors,)]
