"""The persona report as one self-contained HTML file: charts inline (SVG), CSS inline.

Nothing is fetched when the file is opened: no scripts, fonts or images from anywhere. The
sections: data overview and quality, the segment map, the segment comparison, one persona card
per segment, migration between snapshots, priorities, and the methodology appendix. The same
HTML, with its print styles, is what `persona.report.pdf` turns into a PDF. The template is
``templates/report/report.html.j2`` (with ``report.css``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from persona.report import charts, sections
from persona.report.cards import build_personas
from persona.report.i18n import text
from persona.report.labels import Lang, fmt_change, fmt_count, fmt_share, t, value_label
from persona.report.persona import Metric, PersonaCard, Personas
from persona.report.positioning import RULES, Rule, Suggestion
from persona.report.segmap import segment_map

if TYPE_CHECKING:
    from persona.project import Project

CARD_CHARTS = ("age_band", "gender", "city_tier", "channel", "time_of_day", "category")
"""The distributions drawn on every card (when shown), in this order."""


def render_html(project: Project, lang: Lang) -> str:
    """The whole report as HTML text, in `lang`.

    Raises:
        ProjectError: before the segments stage has run.
    """
    from jinja2 import Environment, PackageLoader, select_autoescape

    personas = build_personas(project.engine, project.config, lang)
    env = Environment(
        loader=PackageLoader("persona", "templates/report"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["share"] = fmt_share
    env.filters["change"] = fmt_change
    env.filters["count"] = lambda n: fmt_count(n, personas.k)
    run = sections.latest_run(project)
    context: dict[str, Any] = {
        "lang": lang,
        "project": project.config.project,
        "personas": personas,
        "cards": personas.cards,
        "ranked": sorted(
            (c for c in personas.cards if c.priority),
            key=lambda c: c.priority.rank if c.priority else 0,
        ),
        "k": personas.k,
        "overview": sections.overview(project),
        "run": run,
        "summary": sections.summary(personas, lang),
        "generated": personas.made_at.strftime("%Y-%m-%d %H:%M"),
        "as_of": sections.as_of(project),
        "migration": sections.migration(project, personas.k, lang),
        "rules": RULES,
        "weights_text": ", ".join(
            f"{t('factor.' + f, lang)} {w:g}" for f, w in personas.weights.items()
        ),
        "transforms_text": _transforms_text(run, lang) if run else "",
        **_helpers(lang),
        **_charts(project, personas, run, lang),
    }
    return env.get_template("report.html.j2").render(**context)


def _helpers(lang: Lang) -> dict[str, Callable[..., str]]:
    """Functions the template calls, in the report's language."""

    def rule_line(suggestion: Suggestion) -> str:
        if suggestion.rule == "fallback":
            return suggestion.condition
        rule, because = t("card.rule", lang), t("card.because", lang)
        sep = "：" if lang == "zh" else ": "
        return f"{rule}{sep}{suggestion.condition} · {because}{sep}{suggestion.because}"

    def rule_condition(rule: Rule) -> str:
        return (" 或 " if lang == "zh" else " or ").join(c.describe(lang) for c in rule.when)

    def rule_text(rule: Rule) -> str:
        return (rule.zh if lang == "zh" else rule.en).format(
            category=t("positioning.category", lang)
        )

    def arrow(metric: Metric) -> str:
        return {"high": "↑", "low": "↓"}.get(metric.direction, "")

    def number(value: object) -> str:
        if isinstance(value, float):
            return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"
        return str(value)

    return {
        "t": lambda key, **values: t(key, lang, **values),
        "value_label": lambda dimension, value: value_label(dimension, value, lang),
        "kind_label": lambda kind: text(f"kind.{kind}", lang),
        "rule_line": rule_line,
        "rule_condition": rule_condition,
        "rule_text": rule_text,
        "arrow": arrow,
        "number": number,
    }


def _charts(
    project: Project, personas: Personas, run: sections.Run | None, lang: Lang
) -> dict[str, Any]:
    """Every chart of the report as inline SVG (markup the template does not escape)."""
    from markupsafe import Markup

    palette = charts.colours([c.id for c in personas.cards])
    names = {c.id: c.name for c in personas.cards if not c.suppressed}
    shown_map = segment_map(project.engine, personas.k)
    ranked = sorted(
        (c for c in personas.cards if c.priority),
        key=lambda c: c.priority.rank if c.priority else 0,
    )
    return {
        "palette": palette,
        "map": shown_map,
        "map_svg": Markup(charts.map_chart(shown_map, names, palette, lang))
        if shown_map is not None and names
        else None,
        "comparison_svg": Markup(charts.comparison_chart(personas.cards, lang)),
        "priority_svg": Markup(charts.priority_chart(ranked, personas.weights, lang)),
        "card_charts": {
            c.id: Markup(_card_charts(c, personas, palette[c.id], lang)) for c in personas.cards
        },
        "score_svgs": {
            c.id: Markup(charts.scores_chart(c.scores, palette[c.id], lang))
            for c in personas.cards
            if c.scores
        },
        "curve_svg": Markup(charts.curve_chart(run.curve, run.k, lang))
        if run is not None and run.curve
        else None,
    }


def _card_charts(card: PersonaCard, personas: Personas, colour: str, lang: Lang) -> str:
    everyone = personas.population_distributions
    panels = [
        (t(f"chart.{name}", lang), card.distributions[name], everyone.get(name, []))
        for name in CARD_CHARTS
        if card.distributions.get(name)
    ]
    return charts.distributions_panel(panels, colour)


def _transforms_text(run: sections.Run, lang: Lang) -> str:
    """The features the fit took the log of (from its transforms)."""
    spec = run.transforms
    steps = spec.get("features", {}) if isinstance(spec, dict) else {}
    logged = sorted(f for f, step in steps.items() if isinstance(step, dict) and step.get("log"))
    if not logged:
        return ""
    return ("对数变换 log1p：" if lang == "zh" else "log1p of ") + ", ".join(logged)
