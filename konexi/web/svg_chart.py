"""Geometry for small server-rendered SVG line charts (no library, no script, no style attribute).

The functions here compute coordinates only; a template draws them with presentation
attributes and CSS classes, which the strict Content-Security-Policy allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 320
HEIGHT = 150
FONT_SIZE = 9  # the axis labels' size in chart units
_LEFT, _RIGHT, _TOP, _BOTTOM = 30, 10, 10, 22
# An axis label's width per character, as a share of the font size: above the average width of
# digits and Latin letters in the sans-serif fonts phones have, so that a label fits when it is
# drawn where this says it fits.
_CHAR_WIDTH = 0.62
_GAP = 4  # between a y label and the plot


def label_width(label: str, font_size: float = FONT_SIZE) -> float:
    """How wide ``label`` may be drawn, in chart units (an upper estimate)."""
    return len(label) * font_size * _CHAR_WIDTH


@dataclass(frozen=True)
class Tick:
    position: float
    label: str
    anchor: str = "middle"  # SVG text-anchor: "start" or "end" keeps an edge label inside


def _x_tick(position: float, label: str, width: int) -> Tick:
    """A label centred under its point, or ending (starting) there when centred would cut it."""
    half = label_width(label) / 2
    if position + half > width:
        return Tick(position, label, "end")
    if position - half < 0:
        return Tick(position, label, "start")
    return Tick(position, label)


@dataclass(frozen=True)
class Series:
    key: str  # a CSS class suffix: ``series-<key>``
    label: str
    points: str  # "x,y x,y …" for <polyline points>
    total: int


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    series: list[Series]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    y_max: int
    font_size: int = FONT_SIZE
    gap: int = _GAP


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, … that is at least ``value`` (1 for nothing)."""
    if value <= 1:
        return 1
    scale = 1
    while True:
        for step in (1, 2, 5):
            if step * scale >= value:
                return step * scale
        scale *= 10


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def line_chart(
    x_labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
    label_every: int = 7,
    width: int = WIDTH,
    height: int = HEIGHT,
) -> LineChart:
    """Lay out one polyline per ``(key, label, values)`` over ``x_labels``, sharing a y scale.

    The x axis is labelled every ``label_every`` points counting back from the last one, so
    the newest point (today) always has its label.
    """
    count = len(x_labels)
    if count == 0 or any(len(values) != count for _key, _label, values in series):
        raise ValueError("every series needs one value per x label")
    y_max = nice_ceiling(max((max(values) for _k, _l, values in series), default=0))
    # Room on the left for the widest y label (they are drawn ending _GAP before the plot).
    left = max(_LEFT, label_width(str(y_max)) + _GAP + 1)
    right, top, bottom = width - _RIGHT, _TOP, height - _BOTTOM
    step = (right - left) / (count - 1) if count > 1 else 0.0

    def x_at(index: int) -> float:
        return left + index * step if count > 1 else (left + right) / 2

    def y_at(value: int) -> float:
        return bottom - (bottom - top) * value / y_max

    lines = [
        Series(
            key=key,
            label=label,
            points=" ".join(
                f"{_number(x_at(i))},{_number(y_at(value))}" for i, value in enumerate(values)
            ),
            total=sum(values),
        )
        for key, label, values in series
    ]
    y_values = [0, y_max // 2, y_max] if y_max % 2 == 0 else [0, y_max]
    y_ticks = [Tick(y_at(value), str(value)) for value in y_values]
    x_ticks = [
        _x_tick(x_at(index), x_labels[index], width)
        for index in range(count)
        if (count - 1 - index) % max(label_every, 1) == 0
    ]
    return LineChart(width, height, left, right, top, bottom, lines, y_ticks, x_ticks, y_max)
