"""The shipped rate data for statutory interest: the NBP reference rate and the margins.

Both statutory rates follow the NBP reference rate ("stopa referencyjna"), so only its
history is kept here; ``finance.interest.rate_table()`` derives the two tables from it:

* odsetki ustawowe za opóźnienie (art. 481 § 2 KC) = reference rate + 5.5 pp, changing on
  the day the reference rate changes, since 2016-01-01 (the regime began then at 7.00 %);
* odsetki za opóźnienie w transakcjach handlowych (B2B, art. 11a of the act on excessive
  payment delays in commercial transactions) = the reference rate in force on 1 January /
  1 July + the margin below, fixed for that half-year.

The data is plain tuples so that the editable rate-table model that comes with the ledger
can be seeded from it; when the RPP changes the reference rate, append a row here.

Sources checked (public pages found through the project's search tool, 2026):
* ZUS "Wysokość odsetek ustawowych" and the Minister of Justice announcements
  (M.P. 2016 poz. 47, 2020 poz. 627, 2021 poz. 953): 7 % from 2016-01-01; 6.5 % from
  2020-03-18; 6 % from 2020-04-09; 5.6 % from 2020-05-29; 6 % from 2021-10-07.
* kompendiumprawne.pl: reference rate 1.5 % from 2015-03-05 to 2020-03-17, then 1 %, 0.5 %
  (2020-04-09), 0.1 % (2020-05-29).
* RPP decisions as reported by parkiet.com, dorzeczy.pl, dziennik.pl, wp.pl, tvn24.pl,
  infor.pl, inforlex.pl, e-pik.pl, M.P. 2022 poz. 109 / 285 / 586: 1.25 % from 2021-11-04,
  1.75 % from 2021-12-09, 2.25 % from 2022-01-05, 2.75 % from 2022-02-09, 3.50 % from
  2022-03-09 (9 % statutory to 2022-04-06), 4.50 % from 2022-04-07, 5.25 % from 2022-05-06,
  6.50 % from 2022-07-08 (12 % statutory to 2022-09-07), 6.75 % from 2022-09-08.
* wnp.pl, forsal.pl, bankhipoteczny.pl: 6.00 % from 2023-09-07, 5.75 % from 2023-10-05.
* wprost.pl, bankier.pl, 26pietro.pl, ekspercikredyty.pl, infor.pl, bsbrodnica.pl: 2025 cuts
  to 5.25, 5.00 (from 2025-07-03), 4.75, 4.50 (10 % statutory 2025-10-09..2025-11-05),
  4.25 (from 2025-11-06), 4.00 (from 2025-12-04), and 3.75 % from 2026-03-05.
Not confirmed to the day: 2022-06-09 (the June 2022 hike to 6.00 % is confirmed, its
effective date is taken from the RPP practice of "the day after the decision") and
2025-05-08 (the cut to 5.25 % is confirmed as "8 May"; sources mix decision and effective
dates). Both agree with the statutory rates the brief was given.

Commercial margin: the brief said "+10 pp from 2016-01-01", but the half-year announcements
for 2016 H1 .. 2019 H2 all say 9.50 % with a 1.50 % reference rate, i.e. +8 pp (M.P. 2016
poz. 43 and 601, 2017 poz. 10 and 686, 2018 poz. 139, 2019 poz. 671). The +10 pp margin
applies from 2020-01-01 (2021 H1: 10.1 % at a 0.10 % reference rate, M.P. 2020 poz. 1212).
Debtors that are public entities running a medical practice ("podmiot leczniczy") keep
+8 pp; an ISP does not bill those under this regime, so that variant is not shipped.
"""

from datetime import date
from decimal import Decimal

# (effective date, NBP reference rate in % a year). The first row is the rate in force
# on 2016-01-01, when the art. 481 KC "reference rate + 5.5 pp" rule took effect.
NBP_REFERENCE_RATES: tuple[tuple[date, Decimal], ...] = (
    (date(2015, 3, 5), Decimal("1.50")),
    (date(2020, 3, 18), Decimal("1.00")),
    (date(2020, 4, 9), Decimal("0.50")),
    (date(2020, 5, 29), Decimal("0.10")),
    (date(2021, 10, 7), Decimal("0.50")),
    (date(2021, 11, 4), Decimal("1.25")),
    (date(2021, 12, 9), Decimal("1.75")),
    (date(2022, 1, 5), Decimal("2.25")),
    (date(2022, 2, 9), Decimal("2.75")),
    (date(2022, 3, 9), Decimal("3.50")),
    (date(2022, 4, 7), Decimal("4.50")),
    (date(2022, 5, 6), Decimal("5.25")),
    (date(2022, 6, 9), Decimal("6.00")),
    (date(2022, 7, 8), Decimal("6.50")),
    (date(2022, 9, 8), Decimal("6.75")),
    (date(2023, 9, 7), Decimal("6.00")),
    (date(2023, 10, 5), Decimal("5.75")),
    (date(2025, 5, 8), Decimal("5.25")),
    (date(2025, 7, 3), Decimal("5.00")),
    (date(2025, 9, 4), Decimal("4.75")),
    (date(2025, 10, 9), Decimal("4.50")),
    (date(2025, 11, 6), Decimal("4.25")),
    (date(2025, 12, 4), Decimal("4.00")),
    (date(2026, 3, 5), Decimal("3.75")),
)

# Art. 481 § 2 KC in its wording from 2016-01-01.
STATUTORY_SINCE = date(2016, 1, 1)
STATUTORY_MARGIN = Decimal("5.50")

# (effective date, margin in pp) for commercial transactions; see the module docstring.
COMMERCIAL_MARGINS: tuple[tuple[date, Decimal], ...] = (
    (date(2016, 1, 1), Decimal("8.00")),
    (date(2020, 1, 1), Decimal("10.00")),
)


def reference_rates() -> list[tuple[date, Decimal]]:
    """The NBP reference-rate history as a fresh, sorted list a caller may edit or store."""
    return sorted(NBP_REFERENCE_RATES)


def commercial_margins() -> list[tuple[date, Decimal]]:
    return sorted(COMMERCIAL_MARGINS)
