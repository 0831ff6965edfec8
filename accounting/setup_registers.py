"""Registrations of the accounting app's registers part (called from accounting.setup).

The register and the revenue report only read the ledger: no tenant settings, sections or
event handlers. Their menu entries are ``templates/accounting/_menu_registers.html``, their
log kinds ``log_kinds_registers``.
"""


def ready() -> None:
    pass
