"""The project's tag catalog as definitions: built-ins plus the user's, validated at once.

Validation needs the store (which features, attributes and survey dimensions exist), so it
happens at the start of the tags stage; every problem of every definition is reported together,
each with the file and line of its definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from persona.config import ProjectConfig
from persona.model.errors import ConfigError
from persona.model.expression import Call, Column, ExpressionError, Literal, Node, parse, walk
from persona.model.suggest import did_you_mean
from persona.model.tags import TOP_OF, TagDefinition
from persona.pipeline.features.catalog import survey_column
from persona.pipeline.tags.builtin import builtin_tags


@dataclass(frozen=True)
class Catalog:
    """The validated tags, in evaluation order (every tag after the tags it uses).

    Attributes:
        tags: The definitions, dependencies first.
        rules: Parsed expressions per tag: name -> [(label or None, tree)].
        uses: Per tag, the features, attributes and tags it reads (its lineage).
    """

    tags: list[TagDefinition]
    rules: dict[str, list[tuple[str | None, Node]]]
    uses: dict[str, list[str]]

    def get(self, name: str) -> TagDefinition:
        """The definition called `name` (ConfigError with the closest name if none)."""
        for tag in self.tags:
            if tag.name == name:
                return tag
        names = [t.name for t in self.tags]
        raise ConfigError(f"no tag named {name!r}{did_you_mean(name, names)}")


def project_tags(config: ProjectConfig, dimensions: list[str]) -> list[TagDefinition]:
    """The built-in tags (unless turned off) and the project's.

    A project tag replaces a built-in one of the same name.
    """
    own = {tag.name for tag in config.tags}
    builtin = builtin_tags(dimensions) if config.tagging.builtin else []
    return [t for t in builtin if t.name not in own] + list(config.tags)


def build_catalog(
    tags: list[TagDefinition],
    columns: list[str],
    dimensions: list[str],
    root: Path,
    categories: list[str],
) -> Catalog:
    """Validate every definition against the available columns; order them by dependency.

    Args:
        tags: The definitions (see `project_tags`).
        columns: The features and customer attributes an expression may use.
        dimensions: The survey dimensions of the question bank.
        root: The project folder (imported files and labelled samples are relative to it).
        categories: The taxonomy's category keys.

    Raises:
        ConfigError: listing every problem, each with where the tag is defined.
    """
    names = [t.name for t in tags]
    problems: list[str] = []
    rules: dict[str, list[tuple[str | None, Node]]] = {}
    uses: dict[str, list[str]] = {}
    seen: dict[str, str] = {}
    for tag in tags:
        where = f"{tag.origin}: tag {tag.name!r}"
        if tag.name in seen:
            problems.append(f"{where} is defined twice (also at {seen[tag.name]}); rename one")
            continue
        seen[tag.name] = tag.origin
        if tag.category not in categories:
            problems.append(
                f"{where} has the unknown category {tag.category!r}"
                f"{did_you_mean(tag.category, categories)}; categories: {', '.join(categories)} "
                "(add your own under tagging.categories)"
            )
        if tag.name in columns:
            problems.append(f"{where} has the name of a feature or attribute; rename the tag")
            continue
        try:
            rules[tag.name] = _parse_rules(tag, columns, names)
        except ExpressionError as exc:
            problems.append(f"{where}: {exc}")
            continue
        uses[tag.name] = _lineage(tag, rules[tag.name])
        problems.extend(f"{where}: {p}" for p in _field_problems(tag, columns, dimensions, root))
    if problems:
        raise ConfigError(_listing(problems))
    ordered = _ordered(tags, uses)
    return Catalog(ordered, rules, uses)


def _parse_rules(
    tag: TagDefinition, columns: list[str], names: list[str]
) -> list[tuple[str | None, Node]]:
    others = [n for n in names if n != tag.name]
    if tag.rule is not None:
        return [(None, parse(tag.rule, columns, tags=others))]
    return [(label.value, parse(label.when, columns, tags=others)) for label in tag.values]


def _lineage(tag: TagDefinition, rules: list[tuple[str | None, Node]]) -> list[str]:
    """The features, attributes and (as ``tag:name``) tags a definition reads."""
    used: list[str] = []
    for _, tree in rules:
        for node in walk(tree):
            if isinstance(node, Call) and node.function == "tag":
                arg = node.args[0]
                if isinstance(arg, Literal):
                    used.append(f"tag:{arg.value}")
            elif isinstance(node, Column):
                used.append(node.name)
    match tag.kind:
        case "binned" | "first_last":
            used.append(str(tag.feature))
        case "top":
            feature, share = TOP_OF[str(tag.feature)]
            used.extend([feature] + ([share] if share else []))
        case "rfm":
            used.extend(["recency_days", "frequency", "monetary"])
        case "lifecycle":
            used.extend(["first_order_at", "last_order_at", "previous_order_at", "frequency"])
        case "psychographic":
            used.append(survey_column(str(tag.dimension)))
        case "sequence":
            used.append("events" if tag.first and tag.first.event else "transactions")
        case "imported":
            used.append(f"file:{tag.path}")
    return list(dict.fromkeys(used))


def _field_problems(
    tag: TagDefinition, columns: list[str], dimensions: list[str], root: Path
) -> list[str]:
    if tag.kind == "binned" and tag.feature not in columns:
        return [f"unknown feature {tag.feature!r}{did_you_mean(str(tag.feature), columns)}"]
    if tag.kind == "top" and tag.min_share is not None and TOP_OF[str(tag.feature)][1] is None:
        with_share = [k for k, (_, share) in TOP_OF.items() if share]
        return [f"`min_share` works for {', '.join(with_share)} only"]
    if tag.kind == "psychographic" and tag.dimension not in dimensions:
        known = ", ".join(dimensions) or "(none: no Likert questions in a question bank)"
        hint = did_you_mean(str(tag.dimension), dimensions)
        return [f"unknown survey dimension {tag.dimension!r}{hint}; dimensions: {known}"]
    for label, path in (("path", tag.path), ("labelled_sample", tag.labelled_sample)):
        if path is not None and not (root / path).is_file():
            return [f"`{label}` file {root / path} does not exist"]
    return []


def _ordered(tags: list[TagDefinition], uses: dict[str, list[str]]) -> list[TagDefinition]:
    """Tags in an order where each comes after the tags it reads; a cycle is an error."""
    by_name = {t.name: t for t in tags}
    done: dict[str, None] = {}
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycle = " -> ".join([*visiting[visiting.index(name) :], name])
            raise ConfigError(f"tags use each other in a circle: {cycle}; break the cycle")
        visiting.append(name)
        for used in uses[name]:
            if used.startswith("tag:"):
                visit(used.removeprefix("tag:"))
        visiting.pop()
        done[name] = None

    for tag in tags:
        visit(tag.name)
    return [by_name[name] for name in done]


def _listing(problems: list[str]) -> str:
    noun = "problem" if len(problems) == 1 else "problems"
    body = "\n".join(f"  - {p}" for p in problems)
    return f"the tag catalog has {len(problems)} {noun}:\n{body}"
