"""Staff pages of the finance app, mounted at /finance/.

Each part keeps its own block; add routes inside your block only.
"""

from django.urls import path  # noqa: F401

from .views import account, billing, exports, ledger, ledger_forms
from .views import bank as bank_views

app_name = "finance"

C = "customers/<int:customer_id>/"
D = "documents/<int:financedocument_id>/"

urlpatterns = [
    # --- ledger: history, document forms, allocations (views/ledger*.py)
    path(C + "history/", ledger.history, name="history"),
    path(C + "history/link/", ledger.allocation_link, name="allocation_link"),
    path(C + "history/unlink/", ledger.allocation_remove, name="allocation_remove"),
    path(C + "invoices/new/", ledger_forms.invoice_create, name="invoice_create"),
    path(C + "kp/new/", ledger_forms.kp_create, name="kp_create"),
    path(C + "kw/new/", ledger_forms.kw_create, name="kw_create"),
    path(C + "transfers/new/", ledger_forms.transfer_create, name="transfer_create"),
    path(C + "debit-notes/new/", ledger_forms.debit_note_create, name="debit_note_create"),
    path(C + "technical/new/", ledger_forms.technical_create, name="technical_create"),
    path(D, ledger_forms.document_detail, name="document"),
    path(D + "allocations/", ledger.document_allocations, name="document_allocations"),
    path(D + "edit/", ledger_forms.invoice_edit, name="invoice_edit"),
    path(D + "correct/", ledger_forms.correction_create, name="correction_create"),
    path("cash-registers/", ledger_forms.cash_registers, name="cash_registers"),
    path("debtors/", ledger.debtor_list, name="debtors"),
    path("payments/", ledger.payment_list, name="payments"),
    # --- end ledger
    # --- print and card: PDFs, Rachunek, Druk wpłat, Odsetki (views/account.py)
    path(D + "pdf/", account.document_pdf, name="document_pdf"),
    path(C + "history/pdf/", account.customer_history_pdf, name="customer_history_pdf"),
    path(C + "payment-slip/", account.payment_slip, name="payment_slip"),
    path(C + "interest/note/", account.interest_note_issue, name="interest_note_issue"),
    path(C + "interest/<int:financedocument_id>/waive/", account.interest_waive,
         name="interest_waive"),
    # --- end print
    # --- billing: tariffs, subscriptions, billing run (views/billing.py)
    path("billing/", billing.billing_page, name="billing"),
    path("billing/runs/<int:billingrun_id>/", billing.billing_run_detail, name="billing_run"),
    path("billing/runs/<int:billingrun_id>/progress/", billing.billing_run_progress,
         name="billing_run_progress"),
    path("billing/runs/<int:billingrun_id>/resume/", billing.billing_run_resume,
         name="billing_run_resume"),
    path("billing/runs/<int:billingrun_id>/abandon/", billing.billing_run_abandon,
         name="billing_run_abandon"),
    path("tariffs/", billing.tariff_list, name="tariffs"),
    path("tariffs/<int:tariff_id>/edit/", billing.tariff_edit, name="tariff_edit"),
    path("tariffs/<int:tariff_id>/deactivate/", billing.tariff_deactivate,
         name="tariff_deactivate"),
    path(C + "subscriptions/add/", billing.subscription_add, name="subscription_add"),
    path("subscriptions/<int:subscription_id>/end/", billing.subscription_end,
         name="subscription_end"),
    path("subscriptions/<int:subscription_id>/suspend/", billing.subscription_suspend,
         name="subscription_suspend"),
    path("subscriptions/<int:subscription_id>/cycles/", billing.subscription_cycles,
         name="subscription_cycles"),
    path("suspensions/<int:suspension_id>/resume/", billing.suspension_resume,
         name="suspension_resume"),
    # --- end billing
    # --- bank: import upload, unidentified queue (views/bank.py)
    path("bank/", bank_views.bank_imports, name="bank_imports"),
    path("bank/<int:bankimport_id>/", bank_views.bank_import, name="bank_import"),
    path("bank/job/", bank_views.bank_job, name="bank_job"),
    path("bank/job/progress/", bank_views.bank_job_progress, name="bank_job_progress"),
    path("bank/unidentified/", bank_views.bank_unidentified, name="bank_unidentified"),
    path("bank/lines/<int:bankline_id>/assign/", bank_views.bank_line_assign_view,
         name="bank_line_assign"),
    # --- end bank
    # --- exports: CSV/XLSX, EDI++, KSeF (views/exports.py)
    path("exports/", exports.exports, name="exports"),
    path(C + "history/export/", exports.customer_history_export,
         name="customer_history_export"),
    path(D + "ksef.xml", exports.document_ksef, name="document_ksef"),
    # --- end exports
]
