"""The ``/kb stats`` chart: questions per day, answered and declined, as a small PNG.

matplotlib is imported only when a chart is drawn (it takes a while to import, and start-up should
not wait for it), and only its object API is used with the Agg canvas: no pyplot, no global figure
state, so charts drawn in several worker threads at once never mix.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence

CHART_FILE = "stats.png"
WIDTH_PX, HEIGHT_PX, DPI = 800, 300, 100
ANSWERED_COLOUR = "#3ba55d"  # Discord's green and red, so the chart matches the embed's look
DECLINED_COLOUR = "#ed4245"


def render_daily_chart(counts: Sequence[tuple[dt.date, int, int]]) -> bytes:
    """A PNG (about 800×300 px) of ``counts`` — (day, answered, declined), oldest first — as
    stacked bars per day, titled with the totals over the period."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    days = [day for day, _, _ in counts]
    answered = [a for _, a, _ in counts]
    declined = [d for _, _, d in counts]
    asked = sum(answered) + sum(declined)
    share = f" ({sum(answered) / asked:.0%} answered)" if asked else ""

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = range(len(days))
    axes.bar(positions, answered, color=ANSWERED_COLOUR, label="answered", width=0.8)
    axes.bar(positions, declined, bottom=answered, color=DECLINED_COLOUR, label="declined", width=0.8)
    axes.set_title(
        f"Questions per day, last {len(days)} days: {asked} asked, {sum(answered)} answered, "
        f"{sum(declined)} declined{share}",
        fontsize=10,
    )
    # A label every week (and the last day), as "3 Mar": thirty dated bars would overlap.
    ticks = sorted({*range(len(days) - 1, -1, -7)})
    axes.set_xticks(ticks, [f"{days[i].day} {days[i]:%b}" for i in ticks], fontsize=8)
    axes.set_xlim(-0.6, len(days) - 0.4)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))  # no "2.5 questions"
    axes.tick_params(axis="y", labelsize=8)
    axes.set_ylim(0, max(1, *(a + d for a, d in zip(answered, declined, strict=True))) * 1.25)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.legend(loc="upper left", fontsize=8, frameon=False, ncols=2)
    figure.tight_layout()

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
