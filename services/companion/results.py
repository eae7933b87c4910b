"""A survey's results, as the declared tables only, with no worker singled out.

Each choice or scale question has its own table (the count of each option, and, for one choice or
the scale, the number who answered it); each cross-table declared with the survey crosses two such
questions, its rows and columns adding up to the two questions' own tables. There are no other
breakdowns and no filters.

Every count under ``K`` is withheld (``null``), for everyone: the primary suppression. Then
complementary suppression, until nothing withheld can be worked out from what is shown:

- in each line of figures that adds up (a table's cells and its total; a cross-table's row with the
  first question's count, its column with the second's), one withheld figure is never alone, and the
  withheld cells of a line whose total shows add up to ``K`` or more (so a pair summing to 0 or 1
  does not give itself away);
- a line whose total is withheld shows none of its cells (a shown cell would be a floor under the
  total, and with the other sums could pin it);
- and no withheld figure follows from all the sums together: it is not fixed by the linear system
  of every line (an exact rank test over fractions).

Each step withholds one more figure, the smallest shown in the line concerned (a cell before a total,
so that totals show where they can), so the loop ends, at worst with everything withheld.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from fractions import Fraction

K = 5  # the smallest count any table shows
TABULATED = ("single", "scale")  # the kinds whose tables add up (multiple choice counts overlap)
SCALE = (1, 2, 3, 4, 5)

Key = Hashable


def protect(values: dict[Key, int], lines: Sequence[Sequence[Key]], totals: Iterable[Key], k: int = K) -> set:
    """The keys to withhold: every value under ``k``, then the complements (the module's rules).
    ``lines``: groups of keys whose figures add up (the last one the sum of the others);
    ``totals``: keys withheld last, when a line offers a choice."""
    totals = set(totals)
    hidden = {key for key, v in values.items() if v < k}

    def widen(line: Sequence[Key]) -> bool:
        shown = [x for x in line if x not in hidden]
        if not shown:
            return False
        hidden.add(min(shown, key=lambda x: (x in totals, values[x], str(x))))
        return True

    while True:
        for line in lines:
            withheld = [x for x in line if x in hidden]
            if not withheld or len(withheld) == len(line):
                continue
            total_shows = line[-1] not in hidden
            if not total_shows:
                hidden.update(line)
                break
            if len(withheld) == 1 or sum(values[x] for x in withheld) < k:
                widen(line)
                break
        else:
            found = _determined(values, lines, hidden)
            if not found:
                return hidden
            widen(next(line for line in lines if found in line))


def _determined(values: dict[Key, int], lines: Sequence[Sequence[Key]], hidden: set) -> Key | None:
    """A withheld key whose figure the lines' sums fix, if any (Gauss–Jordan over fractions)."""
    unknown = sorted(hidden, key=str)
    column = {key: i for i, key in enumerate(unknown)}
    rows = []
    for line in lines:  # sum(cells) - total = 0, with the shown figures moved to the right
        row = [Fraction(0)] * len(unknown)
        *cells, total = line
        for key, sign in [(c, 1) for c in cells] + [(total, -1)]:
            if key in column:
                row[column[key]] += sign
        if any(row):
            rows.append(row)
    pivots: list[int] = []
    r = 0
    for c in range(len(unknown)):
        p = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        lead = rows[r][c]
        rows[r] = [x / lead for x in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c] != 0:
                f = rows[i][c]
                rows[i] = [a - f * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots.append(c)
        r += 1
    for i, c in enumerate(pivots):  # a pivot whose row has no other unknown is fixed
        if all(x == 0 for j, x in enumerate(rows[i]) if j != c):
            return unknown[c]
    return None


def _cell(a: int, b: int, oa: int, ob: int) -> tuple:
    """A cross-table's cell, the same figure whichever way round the pair was declared."""
    return (a, b, oa, ob) if a < b else (b, a, ob, oa)


def options_of(question: dict) -> list:
    return list(SCALE) if question["kind"] == "scale" else list(range(1, len(question["options"]) + 1))


def tables(questions: list[dict], crossed: list[list[int]], answers: list[list], k: int = K) -> dict:
    """The survey's declared tables from its answers (each a list by question), protected."""
    values: dict[Key, int] = {("answers",): len(answers)}
    lines: list[list[Key]] = []
    totals: list[Key] = [("answers",)]
    for n, q in enumerate(questions, 1):
        if q["kind"] == "text":
            continue
        given = [a[n - 1] for a in answers if a[n - 1] is not None]
        total = ("answers",) if q.get("required") else (n, "answered")
        values[total] = len(given)
        totals.append(total)
        for o in options_of(q):
            values[(n, o)] = sum(1 for g in given if (o in g if isinstance(g, list) else g == o))
        if q["kind"] in TABULATED:
            lines.append([*((n, o) for o in options_of(q)), total])
    for a, b in crossed:
        qa, qb = questions[a - 1], questions[b - 1]
        for oa in options_of(qa):
            for ob in options_of(qb):
                values[_cell(a, b, oa, ob)] = sum(1 for x in answers if x[a - 1] == oa and x[b - 1] == ob)
            lines.append([*(_cell(a, b, oa, ob) for ob in options_of(qb)), (a, oa)])
        for ob in options_of(qb):
            lines.append([*(_cell(a, b, oa, ob) for oa in options_of(qa)), (b, ob)])
    hidden = protect(values, lines, totals, k)

    def shown(key: Key) -> int | None:
        return None if key in hidden else values[key]

    out = []
    for n, q in enumerate(questions, 1):
        if q["kind"] == "text":
            continue
        total = ("answers",) if q.get("required") else (n, "answered")
        labels = [str(o) for o in SCALE] if q["kind"] == "scale" else q["options"]
        table = {
            "question": n,
            "text": q["text"],
            "kind": q["kind"],
            "rows": [
                {"option": o, "label": lab, "count": shown((n, o))}
                for o, lab in zip(options_of(q), labels, strict=True)
            ],
            "answered": shown(total),
        }
        if q["kind"] == "scale":  # the mean only where every figure shows: nothing withheld to narrow
            keys = [(n, o) for o in SCALE]
            table["mean"] = (
                round(sum(o * values[(n, o)] for o in SCALE) / values[total], 2)
                if values[total] and not hidden & {*keys, total}
                else None
            )
        out.append(table)
    cross = [
        {
            "questions": [a, b],
            "rows": options_of(questions[a - 1]),
            "columns": options_of(questions[b - 1]),
            "cells": [
                [shown(_cell(a, b, oa, ob)) for ob in options_of(questions[b - 1])]
                for oa in options_of(questions[a - 1])
            ],
        }
        for a, b in crossed
    ]
    return {"fewer_than": k, "answers": shown(("answers",)), "questions": out, "cross": cross}
