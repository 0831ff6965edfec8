from django.urls import include, path

from . import views

app_name = "voip"

C = "customers/<int:customer_id>/"

urlpatterns = [
    path(C + "phones/add/", views.phone_add, name="phone_add"),
    path(C + "phones/form/", views.phone_form, name="phone_form"),
    path(C + "phones/<int:voipphone_id>/", views.phone_window, name="phone_window"),
    path(C + "phones/<int:voipphone_id>/live/", views.phone_live, name="phone_live"),
    path(C + "phones/<int:voipphone_id>/delete/", views.phone_delete, name="phone_delete"),
    path(C + "phones/<int:voipphone_id>/unblock/", views.phone_unblock, name="phone_unblock"),
    path(C + "phones/<int:voipphone_id>/prepaid/", views.phone_prepaid_add,
         name="phone_prepaid_add"),
    path("invoices/<int:financedocument_id>/calls.csv", views.invoice_calls_csv,
         name="invoice_calls_csv"),
    # Staff pages of the telephony (ranges, billing groups, price lists, CDR files, scripts)
    path("", include("voip.urls_staff")),
    # Calls, recordings and the call list
    path("", include("voip.urls_calls")),
]
