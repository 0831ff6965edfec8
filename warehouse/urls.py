"""The warehouse's staff pages, under /warehouse/ in the "warehouse" namespace: the
catalogue (warehouse.staff) — warehouses, suppliers, products."""

from django.urls import include, path

from .staff import products, suppliers, warehouses

app_name = "warehouse"

urlpatterns = [
    path("warehouses/", warehouses.warehouse_list, name="warehouses"),
    path("warehouses/add/", warehouses.warehouse_add, name="warehouse_add"),
    path("warehouses/<int:warehouse_id>/edit/", warehouses.warehouse_edit,
         name="warehouse_edit"),
    path("warehouses/<int:warehouse_id>/deactivate/", warehouses.warehouse_deactivate,
         name="warehouse_deactivate"),
    path("warehouses/<int:warehouse_id>/delete/", warehouses.warehouse_delete,
         name="warehouse_delete"),
    path("suppliers/", suppliers.supplier_list, name="suppliers"),
    path("suppliers/add/", suppliers.supplier_add, name="supplier_add"),
    path("suppliers/<int:supplier_id>/edit/", suppliers.supplier_edit, name="supplier_edit"),
    path("suppliers/<int:supplier_id>/delete/", suppliers.supplier_delete,
         name="supplier_delete"),
    path("products/", products.product_list, name="products"),
    path("products/add/", products.product_add, name="product_add"),
    path("products/<int:product_id>/edit/", products.product_edit, name="product_edit"),
    path("products/<int:product_id>/deactivate/", products.product_deactivate,
         name="product_deactivate"),
    path("products/<int:product_id>/delete/", products.product_delete, name="product_delete"),
    # documents, stock and serials (warehouse.staff.documents …), the customer card's
    # equipment (warehouse.card)
    path("", include("warehouse.urls_stock")),
    path("", include("warehouse.urls_card")),
    path("", include("warehouse.urls_olt")),
]
