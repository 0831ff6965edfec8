from django.urls import path

from . import views

app_name = "mailhosting"

C = "customers/<int:customer_id>/"

urlpatterns = [
    path("domains/", views.domain_list, name="domains"),
    path("domains/<int:maildomain_id>/toggle/", views.domain_toggle, name="domain_toggle"),
    path("domains/<int:maildomain_id>/delete/", views.domain_delete, name="domain_delete"),
    path(C + "mailboxes/add/", views.mailbox_add, name="mailbox_add"),
    path(C + "mailboxes/<int:mailbox_id>/edit/", views.mailbox_edit, name="mailbox_edit"),
    path(C + "mailboxes/<int:mailbox_id>/password/", views.mailbox_password,
         name="mailbox_password"),
    path(C + "mailboxes/<int:mailbox_id>/delete/", views.mailbox_delete,
         name="mailbox_delete"),
    path(C + "forwards/add/", views.forward_add, name="forward_add"),
    path(C + "forwards/<int:mailforward_id>/edit/", views.forward_edit, name="forward_edit"),
    path(C + "forwards/<int:mailforward_id>/delete/", views.forward_delete,
         name="forward_delete"),
]
