"""Staff pages of the accounting app's jpk part."""

from django.urls import path

from .views import jpk

urlpatterns = [
    path("jpk/", jpk.jpk_page, name="jpk"),
    path("jpk/build/", jpk.jpk_build, name="jpk_build"),
    path("jpk/<int:jpkfiling_id>/", jpk.jpk_filing, name="jpk_filing"),
    path("jpk/<int:jpkfiling_id>/download/", jpk.jpk_download, name="jpk_download"),
    path("purchases/", jpk.purchase_list, name="purchase_list"),
    path("purchases/new/", jpk.purchase_new, name="purchase_new"),
    path("purchases/<int:purchasedocument_id>/", jpk.purchase_edit, name="purchase_edit"),
    path("purchases/<int:purchasedocument_id>/delete/", jpk.purchase_delete,
         name="purchase_delete"),
]
