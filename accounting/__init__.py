"""Tax files and reports for accountants and managers: JPK_V7M(3) from the ledger with a
simple purchase register, the sales VAT register, the debtors report with payment demands,
revenue per tariff and group.

Parts: ``jpk``, ``registers`` (sales VAT register, revenue), ``debtors``.
"""
