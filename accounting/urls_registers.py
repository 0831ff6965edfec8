"""Staff pages of the accounting app's registers part."""

from django.urls import path

from .views import registers

urlpatterns: list = [
    path("registers/sales/", registers.sales_register, name="sales_register"),
    path("registers/revenue/", registers.revenue, name="revenue"),
]
