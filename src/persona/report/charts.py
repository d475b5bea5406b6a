"""The report's charts: altair specifications rendered to inline SVG by vl-convert.

SVG needs no JavaScript and nothing remote, so the HTML works offline and the PDF draws the same
charts. Text uses Noto Sans CJK SC (Debian fonts-noto-cjk) with common fallbacks, so Chinese
labels render in the browser, in vl-convert's layout and in WeasyPrint. altair and vl-convert
are imported on first use (about a second).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from persona.report.labels import Lang, fmt_share, t

if TYPE_CHECKING:
    from persona.report.persona import PersonaCard, Score, Share
    from persona.report.segmap import SegmentMap

FONT = (
    "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif"
)
PALETTE = (
    "#3B5BDB", "#E8590C", "#2B8A3E", "#C2255C", "#7048E8", "#0B7285", "#E67700", "#5C940D",
    "#A61E4D", "#495057",
)  # fmt: skip
"""Segment colours, by position in the id order (the same colour in every chart)."""
INK, MUTED, LINE, WASH = "#1F2933", "#616E7C", "#E4E7EB", "#DDE2E8"
FACTOR_COLOURS = {"size": "#3B5BDB", "value": "#2B8A3E", "growth": "#E8590C", "activity": "#7048E8"}
CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "background": "white",
    "padding": 4,
    "axis": {
        "labelColor": MUTED,
        "titleColor": MUTED,
        "labelFontSize": 11,
        "titleFontSize": 11,
        "titleFontWeight": "normal",
        "gridColor": LINE,
        "domainColor": LINE,
        "tickColor": LINE,
    },
    "legend": {"labelColor": INK, "labelFontSize": 12, "titleColor": MUTED, "symbolSize": 110},
    "title": {"color": INK, "fontSize": 12, "fontWeight": 600, "anchor": "start", "offset": 6},
    "concat": {"spacing": 18},
}


def colours(ids: Sequence[int]) -> dict[int, str]:
    """Segment id -> its colour."""
    return {segment: PALETTE[i % len(PALETTE)] for i, segment in enumerate(sorted(ids))}


def to_svg(chart: Any, **datasets: pd.DataFrame) -> str:
    """Render an altair chart to an SVG element (no XML prolog; the CSS scales it).

    Charts name their data (``alt.NamedData``) and the frames come here, so altair never
    copies the rows while it builds the layers.
    """
    import vl_convert

    spec = chart.to_dict(validate=False)
    spec["datasets"] = {
        name: frame.astype(object).where(frame.notna(), None).to_dict("records")
        for name, frame in datasets.items()
    }
    svg = str(vl_convert.vegalite_to_svg(spec, config=CONFIG))
    svg = re.sub(r"^<\?xml[^>]*>\s*", "", svg)
    return svg.replace("<svg ", '<svg role="img" ', 1)


def map_chart(data: SegmentMap, names: dict[int, str], palette: dict[int, str], lang: Lang) -> str:
    """Squares of similar customers coloured by segment, with the segment centres named."""
    import altair as alt

    half_x, half_y = data.width[0] / 2, data.width[1] / 2
    cells = data.cells[data.cells["segment"].isin(list(names))]
    cells = cells.assign(
        name=cells["segment"].map(names),
        x=cells["x"] - half_x,
        x2=cells["x"] + half_x,
        y=cells["y"] - half_y,
        y2=cells["y"] + half_y,
    )
    ids = sorted(names)
    scale = alt.Scale(domain=[names[i] for i in ids], range=[palette[i] for i in ids])
    squares = (
        alt.Chart(alt.NamedData("cells"))
        .mark_rect(cornerRadius=1.5, stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("x:Q", title=_axis(data, 0, lang), axis=_bare_axis()),
            x2="x2:Q",
            y=alt.Y("y:Q", title=_axis(data, 1, lang), axis=_bare_axis()),
            y2="y2:Q",
            color=alt.Color("name:N", scale=scale, title=None, legend=alt.Legend(orient="right")),
            opacity=alt.Opacity(
                "purity:Q", scale=alt.Scale(domain=[0.3, 1], range=[0.2, 0.85]), legend=None
            ),
        )
    )
    centres = data.centres[data.centres["segment"].isin(ids)]
    centres = centres.assign(name=centres["segment"].map(names))
    dots = (
        alt.Chart(alt.NamedData("centres"))
        .mark_point(filled=True, size=200, stroke="white", strokeWidth=2.5, opacity=1)
        .encode(x="x:Q", y="y:Q", color=alt.Color("name:N", scale=scale, legend=None))
    )
    labels = (
        alt.Chart(alt.NamedData("centres"))
        .mark_text(dy=-16, fontSize=13, fontWeight=700, color=INK)
        .encode(x="x:Q", y="y:Q", text="name:N")
    )
    chart = (squares + dots + labels).properties(width=640, height=400)
    return to_svg(chart, cells=cells, centres=centres)


def _bare_axis() -> Any:
    import altair as alt

    return alt.Axis(labels=False, ticks=False, grid=False, domain=False)


def _axis(data: SegmentMap, axis: int, lang: Lang) -> str:
    return t("map.axis", lang, n=axis + 1, share=fmt_share(data.explained[axis]))


def comparison_chart(cards: Sequence[PersonaCard], lang: Lang) -> str:
    """Share of customers beside share of spend, per segment."""
    import altair as alt

    measures = [t("share_of_customers", lang), t("share_of_revenue", lang)]
    rows = [
        {"segment": card.name, "measure": measure, "value": value, "label": fmt_share(value)}
        for card in cards
        for measure, value in zip(measures, (card.share, card.revenue_share), strict=True)
        if value is not None
    ]
    if not rows:
        return ""
    order = list(dict.fromkeys(str(r["segment"]) for r in rows))
    base = alt.Chart(alt.NamedData("rows")).encode(
        y=alt.Y("segment:N", sort=order, title=None, axis=_label_axis(200, 12)),
        yOffset=alt.YOffset("measure:N", sort=measures),
        x=alt.X("value:Q", title=None, axis=alt.Axis(format="%", tickCount=5)),
    )
    colour = alt.Color(
        "measure:N",
        sort=measures,
        scale=alt.Scale(domain=measures, range=["#AEB8C4", "#3B5BDB"]),
        legend=alt.Legend(orient="top", title=None),
    )
    bars = base.mark_bar(cornerRadiusEnd=2, height=9).encode(color=colour)
    text = base.mark_text(align="left", dx=4, fontSize=10, color=MUTED).encode(text="label:N")
    return to_svg((bars + text).properties(width=560, height=alt.Step(13)), rows=pd.DataFrame(rows))


def distributions_panel(
    charts: Sequence[tuple[str, Sequence[Share], Sequence[Share]]], colour: str
) -> str:
    """A card's distributions, two a row: the segment's bars over everyone's (grey).

    One faceted chart (each facet its own values), so it renders in one pass.

    Args:
        charts: (title, the segment's shares, everyone's shares) per chart.
        colour: The segment's colour.
    """
    import altair as alt

    frames = []
    for index, (title, own, everyone) in enumerate(charts):
        population = {s.value: s.share for s in everyone if s.value is not None}
        frames += [
            {
                "chart": f"{index}",
                "title": title,
                "order": order,
                "label": s.label,
                "share": s.share,
                "population": population.get(s.value, 0.0) if s.value is not None else None,
                "text": fmt_share(s.share),
            }
            for order, s in enumerate(own)
            if s.share is not None
        ]
    if not frames:
        return ""
    frame = pd.DataFrame(frames)
    frame["at"] = frame[["share", "population"]].max(axis=1)
    scale = alt.Scale(domain=[0, max(float(frame["at"].max()) * 1.3, 1e-9)])
    base = alt.Chart().encode(
        y=alt.Y(
            "label:N",
            sort=alt.EncodingSortField("order"),
            title=None,
            axis=_label_axis(90, 11, 62),
        )
    )
    back = base.mark_bar(color=WASH, height=14, cornerRadiusEnd=2).encode(
        x=alt.X("population:Q", scale=scale, axis=None)
    )
    bars = base.mark_bar(color=colour, height=7, cornerRadiusEnd=2).encode(
        x=alt.X("share:Q", scale=scale)
    )
    text = base.mark_text(align="left", dx=4, fontSize=10, color=INK).encode(
        x=alt.X("at:Q", scale=scale), text="text:N"
    )
    header = alt.Header(
        title=None,
        labelFontSize=12,
        labelFontWeight=600,
        labelColor=INK,
        labelAnchor="start",
        labelAlign="left",
        labelPadding=4,
    )
    chart = (
        alt.layer(back, bars, text, data=alt.NamedData("shares"))
        .properties(width=150, height=alt.Step(19))
        .facet(
            facet=alt.Facet("title:N", sort=alt.SortField("chart"), header=header),
            columns=2,
            spacing={"row": 14, "column": 22},
        )
        .resolve_scale(y="independent")
        .resolve_axis(y="independent")
    )
    return to_svg(chart, shares=frame)


def _label_axis(limit: int, size: int, extent: int = 0) -> Any:
    import altair as alt

    return alt.Axis(
        labelColor=INK,
        labelLimit=limit,
        labelFontSize=size,
        domain=False,
        ticks=False,
        minExtent=extent,
    )


def scores_chart(scores: Sequence[Score], colour: str, lang: Lang) -> str:
    """Survey dimension scores (1-5): the segment's dot, everyone's tick, a bar between."""
    import altair as alt

    frame = pd.DataFrame(
        [{"label": s.label, "value": s.value, "population": s.population} for s in scores]
    )
    if frame.empty:
        return ""
    scale = alt.Scale(domain=[1, 5])
    base = alt.Chart(alt.NamedData("scores")).encode(
        y=alt.Y("label:N", sort=list(frame["label"]), title=None, axis=_label_axis(130, 11))
    )
    axis = alt.Axis(values=[1, 2, 3, 4, 5], grid=True, format="d")
    span = base.mark_rule(color=WASH, strokeWidth=7, strokeCap="round").encode(
        x=alt.X("population:Q", scale=scale, title=None, axis=axis), x2="value:Q"
    )
    ticks = base.mark_tick(color=INK, thickness=2, size=14).encode(
        x=alt.X("population:Q", scale=scale)
    )
    dots = base.mark_circle(color=colour, size=110, opacity=1).encode(
        x=alt.X("value:Q", scale=scale)
    )
    title = t("chart.psychographics", lang)
    chart = (span + ticks + dots).properties(width=220, height=alt.Step(21), title=title)
    return to_svg(chart, scores=frame)


def priority_chart(ranked: Sequence[PersonaCard], weights: dict[str, float], lang: Lang) -> str:
    """Each segment's priority score as the stacked points of its factors."""
    import altair as alt

    rows = []
    for card in ranked:
        if card.priority is None:
            continue
        used = {f: w for f, w in weights.items() if card.priority.factors.get(f) is not None}
        total = sum(used.values()) or 1.0
        rows += [
            {
                "segment": card.name,
                "factor": t(f"factor.{factor}", lang),
                "order": list(FACTOR_COLOURS).index(factor),
                "points": 100 * weight * (card.priority.factors[factor] or 0.0) / total,
            }
            for factor, weight in used.items()
        ]
    if not rows:
        return ""
    frame = pd.DataFrame(rows)
    factors = [f for f in FACTOR_COLOURS if t(f"factor.{f}", lang) in set(frame["factor"])]
    names = [t(f"factor.{f}", lang) for f in factors]
    colour = alt.Color(
        "factor:N",
        sort=names,
        scale=alt.Scale(domain=names, range=[FACTOR_COLOURS[f] for f in factors]),
        legend=alt.Legend(orient="top", title=None),
    )
    chart = (
        alt.Chart(alt.NamedData("points"))
        .mark_bar(height=16)
        .encode(
            y=alt.Y(
                "segment:N", sort=[c.name for c in ranked], title=None, axis=_label_axis(200, 12)
            ),
            x=alt.X("sum(points):Q", title=t("col.score", lang), scale=alt.Scale(domain=[0, 100])),
            color=colour,
            order=alt.Order("order:Q"),
        )
    )
    return to_svg(chart.properties(width=520, height=alt.Step(26)), points=frame)


def curve_chart(curve: Sequence[dict[str, Any]], chosen: int, lang: Lang) -> str:
    """Silhouette by number of segments, the chosen k marked."""
    import altair as alt

    points = [
        {"k": int(p["k"]), "silhouette": float(p["silhouette"]), "chosen": int(p["k"]) == chosen}
        for p in curve
        if p.get("silhouette") is not None
    ]
    if not points:
        return ""
    base = alt.Chart(alt.NamedData("curve")).encode(
        x=alt.X("k:O", title="k", axis=alt.Axis(labelAngle=0)),
        y=alt.Y(
            "silhouette:Q", title=t("method.curve", lang), scale=alt.Scale(zero=False, padding=12)
        ),
    )
    line = base.mark_line(color="#3B5BDB", strokeWidth=2)
    dots = base.mark_circle(size=80, opacity=1).encode(
        color=alt.condition("datum.chosen", alt.value("#E8590C"), alt.value("#3B5BDB"))
    )
    return to_svg((line + dots).properties(width=380, height=170), curve=pd.DataFrame(points))
