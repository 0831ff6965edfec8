"""Staff pages of the helpdesk's reports part."""

from django.urls import path

from .views import reports

urlpatterns: list = [
    path("reports/", reports.reports_page, name="reports"),
    path("reports/export/", reports.reports_export, name="reports_export"),
]
