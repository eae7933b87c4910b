"""Small counts never shown where someone could be singled out: primary and complementary
suppression over figures that add up (DESIGN §4), for the survey results and the public scoreboard.

Every count under ``k`` is withheld, for everyone: the primary suppression. Then
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

K = 5  # the smallest count shown, by default

Key = Hashable


def protect(
    values: dict[Key, int], lines: Sequence[Sequence[Key]], totals: Iterable[Key], k: int = K
) -> set[Key]:
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


def _determined(values: dict[Key, int], lines: Sequence[Sequence[Key]], hidden: set[Key]) -> Key | None:
    """A withheld key whose figure the lines' sums fix, if any (Gauss–Jordan over fractions)."""
    unknown: list[Key] = sorted(hidden, key=str)
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
