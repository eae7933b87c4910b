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

from collections.abc import Callable, Hashable, Iterable, Sequence
from fractions import Fraction

K = 5  # the smallest count shown, by default

Key = Hashable


def protect(
    values: dict[Key, int],
    lines: Sequence[Sequence[Key]],
    totals: Iterable[Key],
    k: int = K,
    zeros: bool = False,
    floors: bool = True,
    unshown: Iterable[Key] = (),
    secret: Iterable[Key] = (),
) -> set[Key]:
    """The keys to withhold: every value under ``k``, then the complements (the module's rules).
    ``lines``: groups of keys whose figures add up (the last one the sum of the others);
    ``totals``: keys withheld last, when a line offers a choice. With ``zeros``, a 0 is no group
    and shows (a scoreboard's "no demand this month"): only 1 to ``k`` − 1 is small, and only a small
    figure may not be worked out. Without ``floors``, a line whose total is withheld may still show
    cells (sums that nest, as enterprises in counties in a city, where the audit suffices).
    ``unshown``: figures never published but known all the same (the rest of a year, from the months
    published before): a small one still calls for a complement, and none is ever the complement.
    ``secret``: figures never published and not known (a rate's denominator less its numerator): a
    small one must not follow from the rest, a larger one may."""
    totals, unshown, secret = set(totals), set(unshown), set(secret)

    def small(v: int) -> bool:
        return 0 < v < k if zeros else v < k

    def guarded(x: Key) -> bool:
        """A withheld figure that needs protecting (a larger secret one does not)."""
        return x not in secret or small(values[x])

    hidden = {key for key, v in values.items() if small(v)} | secret

    def widen(line: Sequence[Key]) -> bool:
        shown = [x for x in line if x not in hidden and x not in unshown]
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
            if not total_shows and floors:
                hidden.update(line)
                break
            alone = len(withheld) == 1 and guarded(withheld[0])
            if alone or (total_shows and small(sum(values[x] for x in withheld))):
                widen(line)
                break
        else:
            found = _determined(values, lines, hidden, small)
            if found is None:
                return hidden
            # withhold one more figure of a line through it, else of any line with a withheld one
            touching = [line for line in lines if found in line]
            touching += [line for line in lines if hidden.intersection(line)]
            if not any(widen(line) for line in touching):
                return hidden  # nothing left to withhold: every figure of those lines is withheld


def _determined(
    values: dict[Key, int], lines: Sequence[Sequence[Key]], hidden: set[Key], small: Callable[[int], bool]
) -> Key | None:
    """A withheld key whose figure the lines' sums fix, if any: Gauss–Jordan over fractions, on
    sparse rows (a line touches few figures), each line reduced by the pivots found so far."""
    pivots: dict[Key, dict[Key, Fraction]] = {}  # pivot column → its row, reduced
    for line in lines:  # sum(cells) - total = 0, with the shown figures moved to the right
        *cells, total = line
        row: dict[Key, Fraction] = {}
        for key, sign in [(c, 1) for c in cells] + [(total, -1)]:
            if key in hidden:
                row[key] = row.get(key, Fraction(0)) + sign
        row = {k: v for k, v in row.items() if v}
        for col in [c for c in row if c in pivots]:  # reduce by the pivots found so far
            factor = row.get(col)
            if factor:
                for k, v in pivots[col].items():
                    row[k] = row.get(k, Fraction(0)) - factor * v
                row = {k: v for k, v in row.items() if v}
        if not row:
            continue
        lead = min(row, key=str)
        scale = row[lead]
        row = {k: v / scale for k, v in row.items()}
        for other in pivots.values():  # keep every pivot row free of the new pivot's column
            factor = other.get(lead)
            if factor:
                for k, v in row.items():
                    other[k] = other.get(k, Fraction(0)) - factor * v
                for k in [k for k, v in other.items() if not v]:
                    del other[k]
        pivots[lead] = row
    for col, row in sorted(pivots.items(), key=lambda kv: str(kv[0])):  # a pivot alone in its row is fixed
        if len(row) == 1 and (small(0) or small(values[col])):  # strict (0 is small too): none may follow
            return col
    return None
