"""Bank statements: parse MT940, CAMT.053 and CSV files into `Statement`s (no database)."""

from finance.bank.csv_profiles import PROFILES, CsvProfile
from finance.bank.parsers import (
    Statement,
    StatementLine,
    StatementParseError,
    compact_account,
    decode_statement,
    detect_format,
    parse_statement,
    parse_statements,
)

__all__ = [
    "PROFILES",
    "CsvProfile",
    "Statement",
    "StatementLine",
    "StatementParseError",
    "compact_account",
    "decode_statement",
    "detect_format",
    "parse_statement",
    "parse_statements",
]
