"""The customer panel's "Telefony", included by ``panel/urls.py`` in the panel's
namespace (``panel:voip_calls`` …)."""

from django.urls import path

from . import panel_views

urlpatterns = [
    path("phones/", panel_views.calls, name="voip_calls"),
    path("phones/invoices/<int:financedocument_id>/calls.csv", panel_views.invoice_calls_csv,
         name="voip_invoice_calls_csv"),
]
