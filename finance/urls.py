"""Staff pages of the finance app, mounted at /finance/.

Each part keeps its own block; add routes inside your block only.
"""

from django.urls import path  # noqa: F401

app_name = "finance"

C = "customers/<int:customer_id>/"
D = "documents/<int:financedocument_id>/"

urlpatterns = [
    # --- ledger: history, document forms, allocations (views/ledger*.py)
    # --- end ledger
    # --- print and card: PDFs, Rachunek, Druk wpłat, Odsetki (views/account.py)
    # --- end print
    # --- billing: tariffs, subscriptions, billing run (views/billing.py)
    # --- end billing
    # --- bank: import upload, unidentified queue (views/bank.py)
    # --- end bank
    # --- exports: CSV/XLSX, EDI++, KSeF (views/exports.py)
    # --- end exports
]
