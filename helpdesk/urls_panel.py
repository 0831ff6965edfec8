"""The customer panel's "Zgłoszenia" (tickets), included by ``panel/urls.py`` in the
panel's namespace (``panel:tickets`` …)."""

from django.urls import path

from . import panel_views

urlpatterns = [
    path("tickets/", panel_views.ticket_list, name="tickets"),
    path("tickets/new/", panel_views.ticket_new, name="ticket_new"),
    path("tickets/<int:case_id>/", panel_views.ticket_detail, name="ticket_detail"),
    path("tickets/<int:case_id>/reply/", panel_views.ticket_reply, name="ticket_reply"),
    path("tickets/<int:case_id>/attach/", panel_views.ticket_attach, name="ticket_attach"),
    path("tickets/<int:case_id>/files/<int:caseattachment_id>/",
         panel_views.ticket_attachment, name="ticket_attachment"),
]
