"""The home page's tiles: the day's work, each a count (and an amount where it is money)
linking to the list that shows it.

The apps register their tiles in their ``AppConfig.ready`` — finance (unidentified bank
lines, overdue customers, today's payments), radius (failed reloads, logins blocked
today), documents (awaiting approval) — so the home page imports none of them. A tile is
shown only to users with its permission: a permission name, or a callable
``(user) -> bool``. Each ``count`` runs one query (the page's query count is constant).
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

from .sections import _allowed


@dataclass(frozen=True)
class DashboardTile:
    key: str
    title: str
    order: int
    # count(request) -> (number, amount or None); one query.
    count: Callable
    # The list the tile opens: a URL name, reversed when shown (no link while the list
    # does not exist yet), with ``query`` as its filters.
    url: str
    permission: str | Callable | None = None
    query: dict | None = None
    # "danger": something went wrong and waits (failed reloads); else "primary".
    tone: str = "primary"

    def href(self) -> str | None:
        try:
            url = reverse(self.url)
        except NoReverseMatch:
            return None
        return f"{url}?{urlencode(self.query)}" if self.query else url


@dataclass(frozen=True)
class TileValue:
    tile: DashboardTile
    count: int
    amount: Decimal | None
    url: str | None


_TILES: dict[str, DashboardTile] = {}


def register_dashboard_tile(tile: DashboardTile) -> None:
    _TILES[tile.key] = tile


def dashboard_tiles_for(user) -> list[DashboardTile]:
    return [t for t in sorted(_TILES.values(), key=lambda t: t.order)
            if _allowed(t.permission, user)]


def dashboard(request) -> list[TileValue]:
    """The tiles ``request.user`` may see with their figures, in order."""
    values = []
    for tile in dashboard_tiles_for(request.user):
        count, amount = tile.count(request)
        values.append(TileValue(tile, count or 0, amount, tile.href()))
    return values
