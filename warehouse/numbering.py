"""The number patterns of warehouse documents, one per kind.

Each kind (PZ, WZ, ZW, MM, RW, INW) has a tenant setting
``warehouse.<kind>_number_pattern`` (``pz``, ``wz``…; defaults ``PZ/{YYYY}/{N}``…),
validated by ``core.numbering.pattern_validate``, and its own series in
``core.numbering`` (``warehouse.<KIND>``): gapless, taken in the posting transaction, a
number some document already bears skipped (``numbers_in_use``).
"""

from datetime import date

from django.utils.translation import gettext_lazy as _

from core.numbering import number_next, pattern_validate
from core.tenant_settings import Category, SettingDef, setting_get

from .models import StockDocument

Kind = StockDocument.Kind
SERIES_PREFIX = "warehouse."

PATTERN_SETTINGS = {kind: f"warehouse.{kind.lower()}_number_pattern" for kind in Kind.values}
DEFAULT_PATTERNS = {kind: f"{kind}/{{YYYY}}/{{N}}" for kind in Kind.values}
PATTERN_LABELS = {
    Kind.PZ: _("PZ (receipt) number pattern"),
    Kind.WZ: _("WZ (issue to a customer) number pattern"),
    Kind.ZW: _("ZW (return from a customer) number pattern"),
    Kind.MM: _("MM (move between warehouses) number pattern"),
    Kind.RW: _("RW (internal use or scrap) number pattern"),
    Kind.INW: _("INW (inventory) number pattern"),
}


def pattern_settings() -> list[SettingDef]:
    """The tenant settings of the patterns (registered by ``warehouse.ready_stock``)."""
    return [SettingDef(key=PATTERN_SETTINGS[kind], category=Category.WAREHOUSE, type=str,
                       default=DEFAULT_PATTERNS[kind], label=PATTERN_LABELS[kind],
                       help_text=_("Tokens: {YYYY} {YY} {MM} {DD} and the running number {N}."),
                       validator=pattern_validate)
            for kind in Kind.values]


def series(kind: str) -> str:
    return f"{SERIES_PREFIX}{kind}"


def number_take(kind: str, when: date) -> str:
    """The next number of ``kind`` by the tenant's pattern; inside the posting transaction
    (locks the series row until it ends)."""
    pattern = pattern_validate(setting_get(PATTERN_SETTINGS[kind]))
    return number_next(series=series(kind), pattern=pattern, when=when)


def numbers_in_use(series_name: str, numbers: list[str]) -> set[str]:
    """Which of ``numbers`` of a warehouse series (``warehouse.<KIND>``) a document of its
    kind already bears; ``core.numbering`` skips them."""
    kind = series_name[len(SERIES_PREFIX):]
    return set(StockDocument.objects.filter(kind=kind, number__in=numbers)
               .values_list("number", flat=True))
