"""The public scoreboard: figures with numerator and denominator for the city, its counties and their
enterprises, last month and the year so far; nothing under K, nothing that gives a small one away."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest

from services.reports import scoreboard as boards
from shared import clock, events
from tests.unit.reports.test_rates import apply, path

TODAY = date(2026, 4, 15)  # last month: March; the year: 1 January to 14 April
MARCH = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
FEB = datetime(2026, 2, 10, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(autouse=True)
def april():
    clock.set_offset(timedelta(0))
    clock.set_offset(clock.day_start(TODAY) + timedelta(hours=10) - clock.now())
    yield
    clock.set_offset(None)


def demands(rt, n: int, enterprise: str, start: datetime, answered: int = 0) -> None:
    for i in range(n):
        gid = str(uuid.uuid4())
        steps = ("accepted", start + DAY + timedelta(minutes=i)) if i < answered else None
        apply(
            rt,
            path(gid, *([steps] if steps else []), start=start + timedelta(minutes=i), enterprise=enterprise),
        )


def board(client) -> dict:
    answer = client.flask.get("/api/v1/reports/public/scoreboard")  # no token
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def unit(got: dict, code: str) -> dict:
    if code == "city":
        return got["city"]
    for county in got["counties"]:
        if county["code"] == code:
            return county
        for e in county["enterprises"]:
            if e["code"] == code:
                return e
    raise KeyError(code)


def test_the_board_shows_each_figure_with_both_parts_and_hides_small_ones(client):
    demands(client.rt, 12, "E001", MARCH, answered=7)  # C01
    demands(client.rt, 8, "E003", MARCH, answered=0)  # C01
    demands(client.rt, 3, "E002", MARCH, answered=3)  # C02: too few to show
    got = board(client)
    assert got["periods"]["month"] == {"start": "2026-03-01", "end": "2026-03-31"}
    e001 = unit(got, "E001")["figures"]["month"]
    assert e001["received"] == {"count": 12}
    assert e001["answered"] == {"numerator": 7, "denominator": 12, "value": 0.5833}
    e002 = unit(got, "E002")["figures"]["month"]
    assert e002["received"]["count"] is None and e002["answered"]["numerator"] is None
    # C02 holds E002 alone: its total would give E002's 3 away; the city's 23 would too (23 − 20)
    assert unit(got, "C02")["figures"]["month"]["received"]["count"] is None
    city = unit(got, "city")["figures"]["month"]["received"]["count"]
    assert city is None or unit(got, "C01")["figures"]["month"]["received"]["count"] is None
    for figure in ("answered", "resolved", "satisfied", "companion_days"):
        assert set(e001[figure]) == {"numerator", "denominator", "value"}
    assert set(got["definitions"]["answered"]) == {"zh", "en"}


def test_a_month_hidden_is_not_found_from_the_year(client):
    demands(client.rt, 3, "E001", MARCH)  # March: 3, hidden
    demands(client.rt, 10, "E001", FEB)  # the year: 13
    demands(client.rt, 10, "E003", MARCH)
    got = unit(board(client), "E001")["figures"]
    month, year = got["month"]["received"]["count"], got["year"]["received"]["count"]
    assert month is None
    assert year is None or year - 10 != 3  # the year never shows with the rest known… it is hidden
    assert year is None


def test_companion_days_held_of_days_due(client):
    for i, outcome in enumerate(["held"] * 6 + ["missed"] * 5 + ["cancelled"] * 2):
        apply(
            client.rt,
            [
                events.CompanionDayDecided(
                    enterprise_code="E001",
                    county_code="C01",
                    day=date(2026, 1, 5) + timedelta(days=i),  # all in January
                    outcome=outcome,
                    at=MARCH,
                )
            ],
        )
    year = unit(board(client), "E001")["figures"]["year"]["companion_days"]
    assert (year["numerator"], year["denominator"]) == (6, 11)  # a day called off is not due


def test_no_shown_figure_is_small_and_nothing_hidden_follows_from_the_sums(client):
    """Every figure of the board 0 or ≥ K, and no small hidden one fixed by the published sums (the
    county is the sum of its enterprises, the city of its counties, the year of the month and the
    rest, which earlier months made known)."""
    plan = {"E001": (7, 2), "E002": (3, 9), "E003": (6, 1)}  # (March, February) per enterprise
    for code, (march, feb) in plan.items():
        demands(client.rt, march, code, MARCH, answered=march // 2)
        demands(client.rt, feb, code, FEB)
    got = board(client)
    units = ["city", "C01", "C02", "E001", "E002", "E003"]
    for code in units:
        for period in ("month", "year"):
            count = unit(got, code)["figures"][period]["received"]["count"]
            assert count is None or count == 0 or count >= boards.K, (code, period, count)
    # the published linear system, built from the output alone
    truth = {
        ("E001", "month"): 7, ("E002", "month"): 3, ("E003", "month"): 6,
        ("E001", "year"): 9, ("E002", "year"): 12, ("E003", "year"): 7,
    }  # fmt: skip
    for period in ("month", "year"):
        truth[("C01", period)] = truth[("E001", period)] + truth[("E003", period)]
        truth[("C02", period)] = truth[("E002", period)]
        truth[("city", period)] = truth[("C01", period)] + truth[("C02", period)]
    for code in units:
        truth[(code, "rest")] = truth[(code, "year")] - truth[(code, "month")]
    shown = {
        key: unit(got, key[0])["figures"][key[1]]["received"]["count"] for key in truth if key[1] != "rest"
    }
    for key, value in shown.items():
        assert value is None or value == truth[key], key
    lines = []
    for period in ("month", "year"):
        lines += [[("E001", period), ("E003", period), ("C01", period)], [("E002", period), ("C02", period)]]
        lines += [[("C01", period), ("C02", period), ("city", period)]]
    lines += [[(code, "month"), (code, "rest"), (code, "year")] for code in units]
    # the rest of a year is known from the months published before: it counts as shown
    unknown = [key for key in truth if key[1] != "rest" and shown.get(key) is None]
    for x in unknown:
        assert not (_fixed(x, unknown, lines) and 0 < truth[x] < boards.K), (
            f"{x} = {truth[x]} follows from the sums"
        )


def _fixed(x, unknown: list, lines: list) -> bool:
    """Whether the lines' sums fix ``x``: rank(A) > rank(A without x's column)."""
    rows = []
    for line in lines:
        *cells, total = line
        row = {key: Fraction(0) for key in unknown}
        for key, sign in [(c, 1) for c in cells] + [(total, -1)]:
            if key in row:
                row[key] += sign
        rows.append(row)

    def rank(columns) -> int:
        matrix = [[row[c] for c in columns] for row in rows]
        r = 0
        for c in range(len(columns)):
            pivot = next((i for i in range(r, len(matrix)) if matrix[i][c] != 0), None)
            if pivot is None:
                continue
            matrix[r], matrix[pivot] = matrix[pivot], matrix[r]
            for i in range(len(matrix)):
                if i != r and matrix[i][c] != 0:
                    factor = matrix[i][c] / matrix[r][c]
                    matrix[i] = [a - factor * b for a, b in zip(matrix[i], matrix[r], strict=True)]
            r += 1
        return r

    return rank(unknown) > rank([c for c in unknown if c != x])


def test_the_board_takes_no_filters_and_no_token(client):
    assert client.flask.get("/api/v1/reports/public/scoreboard?county=C01").status_code == 422
    assert client.flask.get("/api/v1/reports/public/scoreboard").status_code == 200


def test_the_board_of_many_enterprises_protects_each_small_one(sqlite_runtime):
    """300 enterprises in 10 counties of 5 demands each in March, but every tenth one with 4: each
    of those is withheld, and no county total gives one away."""
    from services.reports.models import enterprises, facts

    rt = sqlite_runtime("reports")
    with rt.engine.begin() as conn:
        conn.execute(
            enterprises.insert(),
            [
                {
                    "code": f"E{c}{e:02d}",
                    "name": f"企业{c}{e}",
                    "county_code": f"C{c}",
                    "county_name": f"县{c}",
                }
                for c, e in itertools.product(range(10), range(30))
            ],
        )
        conn.execute(
            facts.insert(),
            [
                {
                    "grievance_id": str(uuid.uuid4()),
                    "enterprise_code": f"E{i % 10}{(i // 10) % 30:02d}",
                    "submitted_at": MARCH + timedelta(minutes=i),
                    "supervision_level": 0,
                    "paused_seconds": 0,
                }
                for i in range(1500)
                if not (i // 10 % 30 == 0 and i % 10 == 0 and i >= 1490)
            ],
        )
    with rt.engine.connect() as conn:
        got = boards.scoreboard(conn, TODAY)
    counts = {
        e["code"]: e["figures"]["month"]["received"]["count"]
        for c in got["counties"]
        for e in c["enterprises"]
    }
    assert len(counts) == 300
    assert all(n is None or n == 0 or n >= boards.K for n in counts.values())


def test_the_scoreboard_page_shows_the_figures_in_chinese_and_english(client):
    demands(client.rt, 12, "E001", MARCH, answered=7)
    demands(client.rt, 3, "E002", MARCH)
    page = client.flask.get("/scoreboard")
    assert page.status_code == 200 and page.mimetype == "text/html"
    text = page.data.decode()
    assert "工会有没有回应" in text and "7 / 12" in text and "58%" in text and "全市" in text
    english = client.flask.get("/scoreboard?lang=en&period=year").data.decode()
    assert "Does the union answer?" in english and 'href="/scoreboard?period=month&amp;lang=en"' in english
    assert client.flask.get("/scoreboard?period=%00").status_code == 200  # an unknown period: last month


def test_a_rate_whose_complement_is_small_shows_no_numerator(client):
    """18 of 20 satisfied would tell that 2 were not: the numerator is withheld."""
    demands(client.rt, 20, "E001", MARCH, answered=18)
    demands(client.rt, 20, "E003", MARCH, answered=10)
    got = board(client)
    e001 = unit(got, "E001")["figures"]["month"]["answered"]
    assert e001["denominator"] == 20 and e001["numerator"] is None and e001["value"] is None
    e003 = unit(got, "E003")["figures"]["month"]["answered"]
    assert (e003["numerator"], e003["denominator"]) in ((10, 20), (None, 20))


def test_the_year_ends_with_last_month_so_no_day_is_told(client):
    assert boards.periods(date(2026, 4, 15)) == {
        "month": (date(2026, 3, 1), date(2026, 3, 31)),
        "year": (date(2026, 1, 1), date(2026, 3, 31)),
    }
    assert boards.periods(date(2027, 1, 20)) == {  # January: December, and the whole of last year
        "month": (date(2026, 12, 1), date(2026, 12, 31)),
        "year": (date(2026, 1, 1), date(2026, 12, 31)),
    }


def test_demands_about_a_chair_are_counted_nowhere_on_the_board(client):
    demands(client.rt, 10, "E001", MARCH)
    gid = str(uuid.uuid4())
    steps = path(gid, start=MARCH, enterprise="E001")
    steps[0] = steps[0].model_copy(update={"about_chair": True})
    apply(client.rt, steps)
    assert unit(board(client), "E001")["figures"]["month"]["received"]["count"] == 10


def test_companion_days_show_however_few_they_are(client):
    """A companion day is the chair's, not a worker's: four in a month single nobody out."""
    for i, outcome in enumerate(["held", "held", "held", "missed"]):
        apply(
            client.rt,
            [
                events.CompanionDayDecided(
                    enterprise_code="E001",
                    county_code="C01",
                    day=date(2026, 3, 4) + timedelta(weeks=i),
                    outcome=outcome,
                    at=MARCH,
                )
            ],
        )
    month = unit(board(client), "E001")["figures"]["month"]["companion_days"]
    assert (month["numerator"], month["denominator"]) == (3, 4)
