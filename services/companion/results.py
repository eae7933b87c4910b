"""A survey's results, as the declared tables only, with no worker singled out.

Each choice or scale question has its own table (the count of each option, and, for one choice or
the scale, the number who answered it); each cross-table declared with the survey crosses two such
questions, its rows and columns adding up to the two questions' own tables. There are no other
breakdowns and no filters.

Every count under ``K`` is withheld (``null``), for everyone, and then the complements, until
nothing withheld can be worked out from what is shown (shared/disclosure.py gives the rules).
"""

from __future__ import annotations

from shared.disclosure import Key, protect

K = 5  # the smallest count any table shows
TABULATED = ("single", "scale")  # the kinds whose tables add up (multiple choice counts overlap)
SCALE = (1, 2, 3, 4, 5)


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
