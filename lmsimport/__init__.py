"""Import of an ISP's LMS database (LAN Management System) into one Abonent tenant:
repeatable until the cut-over (every row keeps its LMS id in a mapping table), set-based,
with a report of what was skipped or flagged and a reconciliation to the grosz."""
