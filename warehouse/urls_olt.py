"""The OLT pages and an ONT's page (included by warehouse.urls, so under /warehouse/ in
the "warehouse" namespace; warehouse.staff.olts)."""

from django.urls import path

from .staff import olts

OLT = "olts/<int:olt_id>/"
ONT = "items/<int:stockitem_id>/ont/"

urlpatterns = [
    path("olts/", olts.olt_list, name="olts"),
    path("olts/add/", olts.olt_add, name="olt_add"),
    path(OLT + "edit/", olts.olt_edit, name="olt_edit"),
    path(OLT + "check/", olts.olt_check, name="olt_check"),
    path(OLT + "forget-host-key/", olts.olt_forget_host_key, name="olt_forget_host_key"),
    path(OLT + "profiles/", olts.olt_profiles, name="olt_profiles"),
    path(OLT + "profiles/<int:ontprofile_id>/delete/", olts.olt_profile_delete,
         name="olt_profile_delete"),
    path(ONT, olts.ont_page, name="ont"),
    path(ONT + "register/", olts.ont_register, name="ont_register"),
    path(ONT + "profile/", olts.ont_profile, name="ont_profile"),
    path(ONT + "reset/", olts.ont_reset, name="ont_reset"),
    path(ONT + "status/", olts.ont_status, name="ont_status"),
    path(ONT + "remove/", olts.ont_remove, name="ont_remove"),
]
