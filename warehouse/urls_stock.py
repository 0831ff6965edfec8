"""The staff pages of documents, stock levels and serials (included by warehouse.urls)."""

from django.urls import path

from .staff import document_lines, document_new, documents, items, stock

D = "documents/<int:stockdocument_id>/"

urlpatterns = [
    path("documents/", documents.document_list, name="documents"),
    path(D, documents.document_detail, name="document"),
    path(D + "pdf/", documents.document_pdf_download, name="document_pdf"),
    path("documents/new/pz/", document_new.document_new_pz, name="document_new_pz"),
    path("documents/new/wz/", document_new.document_new_wz, name="document_new_wz"),
    path("documents/new/zw/", document_new.document_new_zw, name="document_new_zw"),
    path("documents/new/mm/", document_new.document_new_mm, name="document_new_mm"),
    path("documents/new/rw/", document_new.document_new_rw, name="document_new_rw"),
    path("documents/new/inw/", document_new.document_new_inw, name="document_new_inw"),
    # what the new document's page asks while staff scan (scan.js)
    path("documents/new/line/", document_lines.document_line, name="document_line"),
    path("documents/new/lines/", document_lines.document_lines, name="document_lines"),
    path("documents/new/customers/", document_lines.customer_pick, name="customer_pick"),
    path("documents/new/customer/", document_lines.customer_parts, name="customer_parts"),
    path("stock/", stock.stock_levels, name="stock"),
    path("stock/items/", items.stock_items, name="stock_items"),
    path("items/find/", items.item_find, name="item_find"),
    path("items/<int:stockitem_id>/", items.item_detail, name="item"),
]
