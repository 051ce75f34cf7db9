"""The provision-cost chart's geometry: one horizontal bar per pupil and a line at the threshold.

Drawn as SVG by the dashboard's template (no script, no library); the numbers are worked out here
so the template only places them. Presentation attributes only: the CSP allows no inline styles.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from senforms.model.agenda import PupilCost
from senforms.ukformat import money

LABEL_WIDTH = 190  # room for a pupil's name left of the bars
BAR_AREA = 460
VALUE_ROOM = 90  # room right of the longest bar for its figure
ROW = 26
BAR = 16
TOP = 30  # room for the threshold's label


@dataclass(frozen=True)
class Bar:
    name: str
    cost: str  # "£1,026.00"
    y: int
    width: int
    below: bool


@dataclass(frozen=True)
class CostChart:
    bars: tuple[Bar, ...]
    threshold_x: int
    threshold: str  # "£6,000"
    width: int
    height: int
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR


def cost_chart(costs: tuple[PupilCost, ...], threshold: Decimal) -> CostChart:
    """Bars scaled so the largest cost, or the threshold if larger, fills the bar area."""
    top = max([threshold, *(c.total for c in costs)]) or Decimal(1)

    def x(value: Decimal) -> int:
        return int(round(BAR_AREA * float(value / top)))

    bars = tuple(
        Bar(f"{c.pupil.known_as} {c.pupil.legal_surname}", money(c.total), TOP + i * ROW, max(x(c.total), 1 if c.total else 0), c.below_threshold)
        for i, c in enumerate(costs)
    )
    return CostChart(bars, LABEL_WIDTH + x(threshold), money(threshold, pence=False), LABEL_WIDTH + BAR_AREA + VALUE_ROOM, TOP + len(bars) * ROW + 10)
