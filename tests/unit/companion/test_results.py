"""A survey's published tables (services/companion/results.py), property-based: for any survey and any
answers, what ``tables`` publishes

1. shows no count under K (every shown figure is K or more, so 0 to K-1 never show);
2. lets nothing withheld be worked out from the published sums, by subtraction or any linear
   combination: the system of sums is built here from the published output alone and each withheld
   figure is checked with an exact rank test (rank over fractions, written here);
3. in each line of figures that adds up and whose total shows, the withheld cells add up to K or more
   (or none is withheld), so a pair summing to 0 to K-1 cannot give itself away;
4. is true: every shown figure is the count taken directly from the answers;
5. shows a scale's mean only when none of that question's figures is withheld, and then it is the true
   mean rounded to 2 places.

Then a few plain examples of the suppression.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from services.companion import results

K = 5
KINDS = ("single", "single", "scale", "scale", "multiple", "text")  # tables that add up, more often
ADDS_UP = ("single", "scale")  # the kinds whose rows add up to their "answered"


# -- strategies --------------------------------------------------------------------------------------
@st.composite
def questions_st(draw) -> list[dict]:
    questions = []
    for n in range(1, draw(st.integers(1, 6)) + 1):
        kind = draw(st.sampled_from(KINDS))
        q = {"kind": kind, "text": f"Q{n}", "required": draw(st.sampled_from([True, True, False]))}
        if kind in ("single", "multiple"):
            count = draw(st.sampled_from([2, 2, 2, 3, 3, 4, 5, 6]))  # few options: dense cross-tables
            q["options"] = [f"option {o}" for o in range(1, count + 1)]
        questions.append(q)
    return questions


def answer_st(questions: list[dict]):
    """One answer: an entry per question, as the survey's answer endpoint accepts it."""
    parts = []
    for q in questions:
        if q["kind"] == "text":
            parts.append(st.none())
            continue
        if q["kind"] == "scale":
            part = st.integers(1, 5)
        elif q["kind"] == "single":
            part = st.integers(1, len(q["options"]))
        else:
            part = st.lists(st.integers(1, len(q["options"])), min_size=1, unique=True).map(sorted)
        parts.append(part if q["required"] else st.one_of(st.none(), part))
    return st.tuples(*parts).map(list)


@st.composite
def any_surveys(draw) -> tuple[list[dict], list[list[int]], list[list]]:
    """Questions, 0 to 3 declared cross pairs (two distinct required single/scale questions, in either
    order: surveys._check_tables accepts [1, 2] and [2, 1] together), and 0 to 60 answers in
    groups of identical ones, some large and some small, so that some counts (cross cells too) are
    large and others small: suppression exercised, not only everything withheld or nothing."""
    questions = draw(questions_st())
    eligible = [n for n, q in enumerate(questions, 1) if q["kind"] in ADDS_UP and q["required"]]
    pairs = [[a, b] for a in eligible for b in eligible if a != b]
    crossed = draw(st.lists(st.sampled_from(pairs), max_size=3, unique_by=tuple)) if pairs else []
    if (
        crossed
        and len(crossed) < 3
        and crossed[0][::-1] not in crossed
        and draw(st.sampled_from([True, True, False]))
    ):
        crossed.append(crossed[0][::-1])  # the same two questions the other way round, now and then
    one = answer_st(questions)
    if crossed and draw(st.booleans()):  # a full grid for the first cross-table: dense, so partly shown
        a, b = crossed[0]
        groups = []
        for oa in options(questions[a - 1]):
            for ob in options(questions[b - 1]):
                answer = list(draw(one))
                answer[a - 1], answer[b - 1] = oa, ob
                groups.append((answer, draw(st.sampled_from([0, 1, 2, 3, 5, 6, 8, 10]))))
    else:  # answers given alike: some by many (5 to 10), others by few (1 to 4)
        groups = draw(st.lists(st.tuples(one, st.one_of(st.integers(1, 4), st.integers(5, 10))), max_size=12))
    answers = [list(answer) for answer, times in groups for _ in range(times)][:60]
    return questions, crossed, answers


@st.composite
def crossed_surveys(draw) -> tuple[list[dict], list[list[int]], list[list]]:
    """Where suppression has most to do: two required single/scale questions of few options, crossed
    one way, the other or both (as surveys._check_tables accepts), with a dense grid of answers."""
    questions = []
    for n in (1, 2):
        count = draw(st.sampled_from([2, 3, 4, 5]))  # 5: a scale
        q = {"kind": "scale", "text": f"Q{n}", "required": True}
        if count < 5:
            q = {
                "kind": "single",
                "text": f"Q{n}",
                "required": True,
                "options": [f"o{o}" for o in range(1, count + 1)],
            }
        questions.append(q)
    crossed = draw(st.sampled_from([[[1, 2]], [[2, 1]], [[1, 2], [2, 1]], [[1, 2], [2, 1]]]))
    grid = {
        (oa, ob): draw(st.sampled_from([0, 1, 2, 3, 5, 6, 8, 10]))
        for oa in options(questions[0])
        for ob in options(questions[1])
    }
    answers = [[oa, ob] for (oa, ob), times in grid.items() for _ in range(times)][:60]
    return questions, crossed, answers


def surveys():
    return st.one_of(any_surveys(), crossed_surveys())


# -- the truth, taken from the answers ---------------------------------------------------------------
def options(q: dict) -> list[int]:
    return [1, 2, 3, 4, 5] if q["kind"] == "scale" else list(range(1, len(q["options"]) + 1))


def true_row(answers: list[list], n: int, o: int) -> int:
    given = [a[n - 1] for a in answers if a[n - 1] is not None]
    return sum(1 for g in given if (o in g if isinstance(g, list) else g == o))


def true_answered(answers: list[list], n: int) -> int:
    return sum(1 for a in answers if a[n - 1] is not None)


def true_cell(answers: list[list], a: int, b: int, oa: int, ob: int) -> int:
    return sum(1 for x in answers if x[a - 1] == oa and x[b - 1] == ob)


# -- what is published, as figures -------------------------------------------------------------------
def total_key(q_number: int, q: dict) -> tuple:
    """The key of a question's "answered": the overall answers for a required question."""
    return ("answers",) if q["required"] else ("answered", q_number)


def cell_key(a: int, b: int, oa: int, ob: int) -> tuple:
    """A cross-table cell, the same figure whichever way round the pair was declared."""
    return ("cell", a, b, oa, ob) if a < b else ("cell", b, a, ob, oa)


def published(questions: list[dict], out: dict) -> list[tuple[tuple, int | None, str]]:
    """Every figure appearing in the output: (key, the value shown or None, where it appears)."""
    shown = [(("answers",), out["answers"], "answers")]
    for table in out["questions"]:
        n = table["question"]
        q = questions[n - 1]
        shown.append((total_key(n, q), table["answered"], f"question {n} answered"))
        for row in table["rows"]:
            shown.append((("row", n, row["option"]), row["count"], f"question {n} option {row['option']}"))
    for cross in out["cross"]:
        a, b = cross["questions"]
        for oa, cells in zip(cross["rows"], cross["cells"], strict=True):
            for ob, value in zip(cross["columns"], cells, strict=True):
                shown.append((cell_key(a, b, oa, ob), value, f"cross {a}x{b} cell ({oa}, {ob})"))
    return shown


def truth(key: tuple, answers: list[list]) -> int:
    if key == ("answers",):
        return len(answers)
    if key[0] == "answered":
        return true_answered(answers, key[1])
    if key[0] == "row":
        return true_row(answers, key[1], key[2])
    return true_cell(answers, *key[1:])


def sum_lines(questions: list[dict], out: dict) -> list[tuple[list[tuple], tuple]]:
    """Every published line that adds up, as (cells, total), from the output's own layout."""
    lines = []
    for table in out["questions"]:
        n = table["question"]
        if table["kind"] in ADDS_UP:
            lines.append(
                ([("row", n, row["option"]) for row in table["rows"]], total_key(n, questions[n - 1]))
            )
    for cross in out["cross"]:
        a, b = cross["questions"]
        for oa in cross["rows"]:
            lines.append(([cell_key(a, b, oa, ob) for ob in cross["columns"]], ("row", a, oa)))
        for ob in cross["columns"]:
            lines.append(([cell_key(a, b, oa, ob) for oa in cross["rows"]], ("row", b, ob)))
    return lines


# -- exact rank ------------------------------------------------------------------------------------
def rank(matrix: list[list[Fraction]]) -> int:
    """The rank of a matrix, by Gaussian elimination over fractions."""
    rows = [list(r) for r in matrix if any(r)]
    if not rows:
        return 0
    width = len(rows[0])
    r = 0
    for c in range(width):
        p = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        pivot = rows[r]
        lead = pivot[c]
        nonzero = [j for j in range(c, width) if pivot[j] != 0]  # the sums are sparse: only these change
        for i in range(r + 1, len(rows)):
            if rows[i][c] != 0:
                f = rows[i][c] / lead
                row = rows[i]
                for j in nonzero:
                    row[j] -= f * pivot[j]
        r += 1
        if r == len(rows):
            break
    return r


def test_the_rank_helper_is_right():
    def m(*rows):
        return [[Fraction(x) for x in row] for row in rows]

    assert rank([]) == 0
    assert rank(m([0, 0])) == 0
    assert rank(m([1, 1], [2, 2])) == 1
    assert rank(m([1, 1, 0], [0, 1, 1], [1, 0, -1])) == 2
    assert rank(m([1, 2], [3, 4])) == 2
    assert rank(m([0, 1, 0], [0, 0, 1], [0, 1, 1])) == 2


def determined(unknowns: list[tuple], lines: list[tuple[list[tuple], tuple]]) -> list[tuple]:
    """The unknowns whose values the lines' sums fix: x_i is fixed iff removing its column lowers the
    rank of the system's matrix (sum(cells) - total = 0, shown figures on the right-hand side)."""
    column = {key: i for i, key in enumerate(unknowns)}
    matrix = []
    for cells, total in lines:
        row = [Fraction(0)] * len(unknowns)
        for key, sign in [(c, 1) for c in cells] + [(total, -1)]:
            if key in column:
                row[column[key]] += sign
        if any(row):
            matrix.append(row)
    full = rank(matrix)
    return [key for i, key in enumerate(unknowns) if full > rank([row[:i] + row[i + 1 :] for row in matrix])]


# -- running the module, with a guard against a loop that never ends ---------------------------------
class TooLong(Exception):
    pass


@contextmanager
def cpu_limit(seconds: float) -> Iterator[None]:
    """Raise TooLong after this much CPU time (a virtual timer: pytest-timeout's SIGALRM is left alone)."""

    def stop(*_):
        raise TooLong(f"results.tables ran over {seconds} s of CPU")

    before = signal.signal(signal.SIGVTALRM, stop)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, before)


def publish(questions: list[dict], crossed: list[list[int]], answers: list[list]) -> dict:
    # the input in full, in the failure report (under this pytest, hypothesis prints its arguments empty)
    note(f"questions = {questions!r}\ncrossed = {crossed!r}\nanswers = {answers!r}")
    with cpu_limit(10):
        return results.tables(questions, crossed, answers)


# -- the properties --------------------------------------------------------------------------------
PROPERTY = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(surveys())
def test_no_count_under_k_shows(survey):
    questions, crossed, answers = survey
    out = publish(questions, crossed, answers)
    assert out["fewer_than"] == K
    small = [
        (where, value) for _, value, where in published(questions, out) if value is not None and value < K
    ]
    assert not small, f"counts under {K} shown: {small}"


@PROPERTY
@given(surveys())
def test_the_shown_figures_are_the_true_counts(survey):
    questions, crossed, answers = survey
    out = publish(questions, crossed, answers)
    assert [t["question"] for t in out["questions"]] == [
        n for n, q in enumerate(questions, 1) if q["kind"] != "text"
    ]
    assert [c["questions"] for c in out["cross"]] == crossed
    wrong = [
        (where, value, truth(key, answers))
        for key, value, where in published(questions, out)
        if value is not None and value != truth(key, answers)
    ]
    assert not wrong, f"figures shown that are not the counts (where, shown, true): {wrong}"


@PROPERTY
@given(surveys())
def test_nothing_withheld_follows_from_the_published_sums(survey):
    questions, crossed, answers = survey
    out = publish(questions, crossed, answers)
    figures = published(questions, out)
    known = {key for key, value, _ in figures if value is not None}  # shown somewhere: known to all
    unknowns = sorted({key for key, _, _ in figures} - known, key=str)
    fixed = determined(unknowns, sum_lines(questions, out))
    assert not fixed, f"withheld figures the published sums fix: {[(k, truth(k, answers)) for k in fixed]}"


@PROPERTY
@given(surveys())
def test_withheld_cells_of_a_line_whose_total_shows_add_up_to_k_or_more(survey):
    questions, crossed, answers = survey
    out = publish(questions, crossed, answers)
    figures = published(questions, out)
    known = {key for key, value, _ in figures if value is not None}
    weak = []
    for cells, total in sum_lines(questions, out):
        if total not in known:
            continue
        withheld = [c for c in cells if c not in known]
        if withheld and sum(truth(c, answers) for c in withheld) < K:
            weak.append({c: truth(c, answers) for c in withheld})
    assert not weak, f"withheld cells of a line whose total shows, adding up to under {K}: {weak}"


@PROPERTY
@given(surveys())
def test_a_scale_mean_shows_only_with_every_figure_and_is_the_true_mean(survey):
    questions, crossed, answers = survey
    out = publish(questions, crossed, answers)
    for table in out["questions"]:
        if table["kind"] != "scale":
            assert "mean" not in table
            continue
        n = table["question"]
        figures = [row["count"] for row in table["rows"]] + [table["answered"]]
        every_shows = all(f is not None for f in figures)
        assert (table["mean"] is not None) == every_shows, (n, table)
        if table["mean"] is not None:
            given_ = [a[n - 1] for a in answers if a[n - 1] is not None]
            mean = Fraction(sum(given_), len(given_))
            assert round(table["mean"], 2) == table["mean"]
            assert abs(Fraction(table["mean"]) - mean) <= Fraction(1, 200) + Fraction(1, 10**9), (n, table)


# -- examples --------------------------------------------------------------------------------------
def single(required: bool = True, n: int = 3) -> dict:
    return {
        "kind": "single",
        "text": "Q",
        "options": [f"o{i}" for i in range(1, n + 1)],
        "required": required,
    }


@pytest.mark.parametrize("required", [True, False])
def test_a_count_of_3_is_withheld_with_the_next_smallest(required):
    answers = [[1]] * 12 + [[2]] * 3 + [[3]] * 9
    out = results.tables([single(required)], [], answers)
    (table,) = out["questions"]
    assert [r["count"] for r in table["rows"]] == [12, None, None]
    assert table["answered"] == 24
    assert out["answers"] == 24


def test_with_every_count_under_k_everything_is_withheld():
    questions = [single(), {"kind": "scale", "text": "S", "required": True}, {"kind": "text", "text": "T"}]
    answers = [[1, 3, None], [2, 4, None], [2, 5, None], [3, 1, None]]
    out = results.tables(questions, [[1, 2]], answers)
    assert out["answers"] is None
    for table in out["questions"]:
        assert table["answered"] is None
        assert all(r["count"] is None for r in table["rows"])
    assert out["questions"][1]["mean"] is None
    assert all(v is None for row in out["cross"][0]["cells"] for v in row)


def test_a_cross_cell_of_2_is_hidden_in_a_rectangle():
    grid = [[10, 2, 8], [7, 9, 11], [6, 12, 9]]
    answers = [
        [a, b] for a, row in enumerate(grid, 1) for b, count in enumerate(row, 1) for _ in range(count)
    ]
    out = results.tables([single(), single()], [[1, 2]], answers)
    cells = out["cross"][0]["cells"]
    hidden = {(i, j) for i, row in enumerate(cells) for j, v in enumerate(row) if v is None}
    assert (0, 1) in hidden
    assert len(hidden) >= 4
    first, second = out["questions"]
    margins = [r["count"] for r in first["rows"]], [r["count"] for r in second["rows"]]
    for i in range(3):  # a row's line: its cells and the first question's count
        line = [(i, j) in hidden for j in range(3)] + [margins[0][i] is None]
        assert sum(line) != 1, (i, cells, margins)
    for j in range(3):  # a column's line: its cells and the second question's count
        line = [(i, j) in hidden for i in range(3)] + [margins[1][j] is None]
        assert sum(line) != 1, (j, cells, margins)
    assert all(m is not None for m in margins[0] + margins[1])  # every count 20 or more: the totals show
    for i in range(3):  # the withheld cells of a line add up to K or more (or none is withheld)
        assert sum(grid[i][j] for j in range(3) if (i, j) in hidden) in (0, *range(K, 100))
    for j in range(3):
        assert sum(grid[i][j] for i in range(3) if (i, j) in hidden) in (0, *range(K, 100))
    shown = {(i, j): v for i, row in enumerate(cells) for j, v in enumerate(row) if v is not None}
    assert all(v == grid[i][j] for (i, j), v in shown.items())


def test_a_pair_declared_both_ways_withholds_the_same_cells_and_gives_nothing_away():
    """surveys._check_tables accepts [1, 2] and [2, 1] together: the same figures twice, transposed.
    Each shown alone is safe; shown together, whatever one shows, the other must not withhold."""
    grid = [[2, 2, 2], [2, 8, 8], [6, 6, 0]]  # Q1 by row, Q2 by column
    answers = [
        [a, b] for a, row in enumerate(grid, 1) for b, count in enumerate(row, 1) for _ in range(count)
    ]
    questions = [single(), single()]
    out = results.tables(questions, [[1, 2], [2, 1]], answers)
    one_way, other_way = (c["cells"] for c in out["cross"])
    differ = [
        (a + 1, b + 1, one_way[a][b], other_way[b][a])
        for a in range(3)
        for b in range(3)
        if (one_way[a][b] is None) != (other_way[b][a] is None)
    ]
    figures = published(questions, out)
    known = {key for key, value, _ in figures if value is not None}
    fixed = determined(sorted({key for key, _, _ in figures} - known, key=str), sum_lines(questions, out))
    assert not fixed, (
        f"fixed by the sums: {[(k, truth(k, answers)) for k in fixed]}; cells shown one way only: {differ}"
    )
    assert not differ, f"cells (Q1, Q2, [1, 2] shows, [2, 1] shows) shown one way only: {differ}"
