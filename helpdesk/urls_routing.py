"""Staff pages of the helpdesk's routing part."""

from django.urls import path

from .views import routing

urlpatterns = [
    path("routing/", routing.routing_rules, name="routing_rules"),
    path("routing/add/", routing.routingrule_add, name="routingrule_add"),
    path("routing/<int:routingrule_id>/", routing.routingrule_edit, name="routingrule_edit"),
    path("routing/<int:routingrule_id>/move/", routing.routingrule_move,
         name="routingrule_move"),
    path("routing/<int:routingrule_id>/deactivate/", routing.routingrule_deactivate,
         name="routingrule_deactivate"),
    path("routing/preview/", routing.routing_preview, name="routing_preview"),
]
