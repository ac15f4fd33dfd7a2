"""The class dashboard (index.html): numbers, a score histogram and pass rates, drawn as inline SVG."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from grader.report.gradebook import report_stem, summarize
from grader.report.html import TEMPLATES
from grader.result import StudentResult, _number

SLOWEST_SHOWN = 10

# Histogram geometry, in SVG user units.
WIDTH, HEIGHT = 560, 290
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 26, 56
BAR_GAP = 4


@dataclass(frozen=True)
class Bar:
    index: int
    last: bool
    low: int | float
    high: int | float
    count: int
    x: float
    y: float
    width: float
    height: float

    @property
    def label(self) -> str:
        closing = "]" if self.last else ")"
        noun = "student" if self.count == 1 else "students"
        return f"{self.count} {noun} scored in [{self.low}, {self.high}{closing}"


@dataclass(frozen=True)
class Tick:
    value: int | float
    position: float


def render_dashboard(entries: list[StudentResult], exercise: str, title: str, generated_at: datetime) -> str:
    """The class dashboard page: no JavaScript, every student string escaped, links to reports/.

    >>> page = render_dashboard(entries, "hello-mission", "Hello, mission", datetime.now(timezone.utc))
    """
    summary = summarize(entries)
    bars, y_ticks, x_ticks = _histogram(summary["histogram"], summary["max_score"])
    with_result = [e for e in entries if e.result is not None and e.status != "ungradable"]
    return TEMPLATES.get_template("dashboard.html").render(
        title=title,
        exercise=exercise,
        generated_at=generated_at.isoformat(sep=" ", timespec="minutes"),
        summary=summary,
        bars=bars,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        svg={"width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM},
        problems=[e for e in entries if e.status in ("error", "unreachable")],
        ungradable=[e for e in entries if e.status == "ungradable"],
        slowest=sorted(with_result, key=lambda e: e.result.duration, reverse=True)[:SLOWEST_SHOWN],
        students=sorted(entries, key=lambda e: (e.student.casefold(), e.student)),
        link=report_link,
        reason=_reason,
    )


def report_link(student: str) -> str:
    """The dashboard's relative link to a student's HTML report."""
    return f"reports/{quote(report_stem(student), safe='')}.html"


def _reason(entry: StudentResult) -> str:
    if entry.reason:
        return entry.reason
    if entry.result and entry.result.errors:
        return entry.result.errors[0]
    return ""


def _histogram(counts: list[int], max_score: int) -> tuple[list[Bar], list[Tick], list[Tick]]:
    """Bars and axis ticks of the histogram, in SVG coordinates (y grows downwards)."""
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = _tick_step(max(counts, default=0))
    top = max(step, math.ceil(max(counts, default=0) / step) * step)
    slot = plot_width / len(counts)
    edges = [_number(max_score * i / len(counts)) for i in range(len(counts) + 1)]
    bars = []
    for i, count in enumerate(counts):
        height = plot_height * count / top
        bars.append(Bar(i, i == len(counts) - 1, edges[i], edges[i + 1], count, round(LEFT + i * slot + BAR_GAP / 2, 2),
                        round(TOP + plot_height - height, 2), round(slot - BAR_GAP, 2), round(height, 2)))
    y_ticks = [Tick(v, round(TOP + plot_height - plot_height * v / top, 2)) for v in range(0, top + 1, step)]
    x_ticks = [Tick(edge, round(LEFT + i * slot, 2)) for i, edge in enumerate(edges)]
    return bars, y_ticks, x_ticks


def _tick_step(largest: int) -> int:
    """The first step of 1, 2, 5, 10, 20, 50, … that needs at most five gridlines up to `largest`."""
    for magnitude in itertools.count():
        for base in (1, 2, 5):
            if largest <= 5 * base * 10**magnitude:
                return base * 10**magnitude
    raise AssertionError("unreachable")
