"""Staff pages of the helpdesk's sla part: business hours, days off, SLA targets."""

from django.urls import path

from .views import sla

urlpatterns = [
    path("settings/business-hours/", sla.business_hours, name="business_hours"),
    path("settings/days-off/", sla.holidays, name="holidays"),
    path("settings/days-off/<int:holiday_id>/", sla.holiday_edit, name="holiday_edit"),
    path("settings/days-off/<int:holiday_id>/delete/", sla.holiday_delete,
         name="holiday_delete"),
    path("settings/sla/", sla.sla_targets, name="sla_targets"),
    path("settings/sla/<int:slatarget_id>/", sla.slatarget_edit, name="slatarget_edit"),
    path("settings/sla/<int:slatarget_id>/delete/", sla.slatarget_delete,
         name="slatarget_delete"),
]
