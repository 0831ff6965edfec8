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
