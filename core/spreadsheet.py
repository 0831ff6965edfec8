"""The one rule for text put into a CSV or XLSX cell that a spreadsheet opens: a cell
starting with one of ``FORMULA_START`` is run as a formula (CSV injection), and such text
comes from outside (a payer types a transfer title, a caller gives a name), so it is
defused with a leading apostrophe. Every export calls ``formula_defused``."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_defused(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_START) else text
