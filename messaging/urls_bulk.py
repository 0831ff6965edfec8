"""Message templates, gateway settings and bulk sends (staff pages)."""

from django.urls import path

from .views import bulk, gateways, templates

T = "templates/<int:messagetemplate_id>/"
B = "bulk/<int:bulksend_id>/"

urlpatterns = [
    path("templates/", templates.template_list, name="templates"),
    path("templates/new/", templates.template_create, name="template_create"),
    path("templates/preview/", templates.template_preview, name="template_preview"),
    path(T, templates.template_edit, name="template_edit"),
    path(T + "delete/", templates.template_delete, name="template_delete"),
    path("gateways/", gateways.gateway_list, name="gateways"),
    path("gateways/<str:channel>/", gateways.gateway_edit, name="gateway_edit"),
    path("gateways/<str:channel>/rotate/", gateways.gateway_rotate, name="gateway_rotate"),
    path("gateways/<str:channel>/delete/", gateways.gateway_delete, name="gateway_delete"),
    path("bulk/", bulk.bulk_list, name="bulk_list"),
    path("bulk/new/", bulk.bulk_new, name="bulk_new"),
    path("bulk/send/", bulk.bulk_send, name="bulk_send"),
    path(B, bulk.bulk_detail, name="bulk"),
    path(B + "progress/", bulk.bulk_progress, name="bulk_progress"),
]
