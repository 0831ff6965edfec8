"""Staff pages of the accounting app's debtors part."""

from django.urls import path

from .views import debtors

urlpatterns: list = [
    path("debtors/", debtors.debtor_report, name="debtors"),
    path("debtors/demand/", debtors.demands_start, name="demands_start"),
    path("demands/", debtors.demand_list, name="demands"),
    path("demands/jobs/<int:demandjob_id>/", debtors.demand_job, name="demand_job"),
    path("demands/<int:paymentdemand_id>/pdf/", debtors.demand_pdf, name="demand_pdf"),
]
