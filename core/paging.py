"""A page of rows read as ``per_page + 1`` (the extra row says a next page exists), so a
list is paged without counting every match; ``count`` only when it is known cheaply."""

from dataclasses import dataclass


@dataclass
class SlicePage:
    rows: list
    number: int
    has_next: bool
    count: int | None = None

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


# Pages past this are refused as the last one: an OFFSET of 10**20 is a database error.
LAST_PAGE = 100_000


def page_number(value, *, last: int = LAST_PAGE) -> int:
    """A page number from a query string: 1 for anything that is not one, at most
    ``last``."""
    try:
        return min(max(int(value), 1), last)
    except (TypeError, ValueError):
        return 1


def slice_page(queryset, number: int, per_page: int) -> SlicePage:
    """Page ``number`` of ``queryset`` in one query (a row more than shown says a next
    page exists)."""
    start = (number - 1) * per_page
    rows = list(queryset[start:start + per_page + 1])
    return SlicePage(rows=rows[:per_page], number=number, has_next=len(rows) > per_page)
