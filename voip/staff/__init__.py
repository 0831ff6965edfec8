"""Staff pages of the telephony ("Telefonia" in the menu): number ranges and their
numbers, billing groups, price lists and their rules, CDR files, subtariff scripts and
the exchanges. Each module is thin: it parses, calls one service (voip.catalog,
voip.services, voip.cdr) or selector (voip.staff.selectors) and renders."""
