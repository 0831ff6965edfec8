"""The customer card's equipment pages (included by warehouse.urls, so under /warehouse/
in the "warehouse" namespace): "Sprzęt kliencki"'s buttons (warehouse.card_views).

Kwargs name their objects as the isolation walk reads them (tests/test_tenant_isolation.py):
``customer_id``, ``stockitem_id``, ``stockdocument_id``."""

from django.urls import path

from . import card_views as views

C = "customers/<int:customer_id>/equipment/"
ITEM = C + "<int:stockitem_id>/"

urlpatterns = [
    path(C + "issue/", views.equipment_issue, name="card_issue"),
    path(C + "return/", views.equipment_return, name="card_return"),
    path(ITEM, views.equipment_item, name="card_item"),
    path(ITEM + "description/", views.equipment_description, name="card_description"),
    path(ITEM + "login/", views.equipment_login, name="card_login"),
    path(ITEM + "ont/register/", views.ont_register, name="card_ont_register"),
    path(ITEM + "ont/status/", views.ont_status, name="card_ont_status"),
    path(ITEM + "ont/profile/", views.ont_profile, name="card_ont_profile"),
    path(ITEM + "ont/reset/", views.ont_reset, name="card_ont_reset"),
    path(ITEM + "ont/remove/", views.ont_remove, name="card_ont_remove"),
    path(C + "documents/<int:stockdocument_id>.pdf", views.document_pdf,
         name="card_document_pdf"),
]
