from django.urls import path

from .views import (
    addresses,
    annotations,
    attributes,
    card,
    contacts,
    customers,
    files,
    groups,
    panel,
)

app_name = "customers"

C = "<int:customer_id>/"

urlpatterns = [
    path("", customers.customer_list, name="list"),
    path("count/", customers.customer_count, name="count"),
    path("new/", customers.customer_create, name="create"),
    path("groups/", groups.group_list, name="groups"),
    path("attribute-types/", attributes.attribute_types, name="attribute_types"),
    path(C, card.customer_card, name="card"),
    path(C + "section/<slug:key>/", card.card_section, name="section"),
    path(C + "summary/", card.card_summary, name="summary"),
    path(C + "edit/", customers.customer_edit, name="edit"),
    # Customer data: contacts, consents
    path(C + "phones/add/", contacts.phone_add, name="phone_add"),
    path(C + "phones/<int:phone_id>/edit/", contacts.phone_edit, name="phone_edit"),
    path(C + "phones/<int:phone_id>/remove/", contacts.phone_remove, name="phone_remove"),
    path(C + "emails/add/", contacts.email_add, name="email_add"),
    path(C + "emails/<int:email_id>/edit/", contacts.email_edit, name="email_edit"),
    path(C + "emails/<int:email_id>/remove/", contacts.email_remove, name="email_remove"),
    path(C + "consents/set/", contacts.consent_set, name="consent_set"),
    # Customer data: folders, scans, bank accounts, panel
    path(C + "folders/add/", files.folder_add, name="folder_add"),
    path(C + "folders/<int:folder_id>/edit/", files.folder_edit, name="folder_edit"),
    path(C + "folders/<int:folder_id>/remove/", files.folder_remove, name="folder_remove"),
    path(C + "scans/add/", files.scan_add, name="scan_add"),
    path(C + "scans/<int:scan_id>/download/", files.scan_download, name="scan_download"),
    path(C + "scans/<int:scan_id>/remove/", files.scan_remove, name="scan_remove"),
    path(C + "bank-accounts/add/", files.bank_account_add, name="bank_account_add"),
    path(C + "bank-accounts/<int:bankaccount_id>/remove/", files.bank_account_remove,
         name="bank_account_remove"),
    path(C + "panel/credentials/", panel.panel_credentials, name="panel_credentials"),
    path(C + "panel/pin/", panel.panel_pin, name="panel_pin"),
    path(C + "panel/unlock/", panel.panel_unlock, name="panel_unlock"),
    path(C + "panel/password/generate/", panel.panel_password_generate,
         name="panel_password_generate"),
    path(C + "panel/as-customer/", panel.panel_as_customer, name="panel_as_customer"),
    # Addresses
    path(C + "addresses/add/", addresses.address_add, name="address_add"),
    path(C + "addresses/<int:address_id>/edit/", addresses.address_edit, name="address_edit"),
    path(C + "addresses/<int:address_id>/remove/", addresses.address_remove,
         name="address_remove"),
    # Groups
    path(C + "groups/add/", groups.group_add, name="group_add"),
    path(C + "groups/<int:groupmembership_id>/remove/", groups.group_remove,
         name="group_remove"),
    # Attributes
    path(C + "attributes/set/", attributes.attribute_set, name="attribute_set"),
    path(C + "attributes/<int:attributevalue_id>/edit/", attributes.attribute_edit,
         name="attribute_edit"),
    path(C + "attributes/<int:attributevalue_id>/remove/", attributes.attribute_remove,
         name="attribute_remove"),
    # Annotations
    path(C + "annotations/add/", annotations.annotation_add, name="annotation_add"),
    path(C + "annotations/<int:annotation_id>/pin/", annotations.annotation_pin,
         name="annotation_pin"),
    path(C + "annotations/<int:annotation_id>/delete/", annotations.annotation_delete,
         name="annotation_delete"),
]
