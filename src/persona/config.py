"""persona.yaml -> typed, validated configuration.

The models refuse unknown keys, and `load_config` collects every problem before raising once,
each with its YAML line and, for misspelt names, the closest valid one.

Example:
    >>> cfg = parse_config("project: shop")
    >>> cfg.timezone
    'Asia/Shanghai'
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from persona.model.errors import ConfigError
from persona.model.kinds import IDENTIFIERS, FieldClass, Kind, canonical_fields
from persona.model.suggest import did_you_mean
from persona.model.tags import CATEGORIES, TagDefinition

CONFIG_FILE = "persona.yaml"
TAGS_DIR = "tags"

FileFormat = Literal["auto", "csv", "tsv", "parquet", "json", "jsonl", "xlsx"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    """One configured input of one kind: a file, folder or glob, or a database table or query."""

    name: str = Field(description="Unique source name, used in messages and `--source`.")
    kind: Kind = Field(description="profiles | events | transactions | surveys | relations")
    path: str | None = Field(
        default=None,
        description="A file, a folder or a glob (daily exports), relative to the project folder.",
    )
    url: str | None = Field(
        default=None,
        description="A database: sqlite:///file.db or postgresql://user:pw@host:port/db.",
    )
    table: str | None = Field(default=None, description="A table to read from `url`.")
    query: str | None = Field(default=None, description="A SELECT to read from `url`.")
    format: FileFormat = Field(default="auto", description="File format; auto uses the suffix.")
    encoding: str = Field(
        default="auto",
        description="auto (UTF-8, UTF-8 with BOM, UTF-16, GBK/GB18030) or a codec name.",
    )
    delimiter: str | None = Field(default=None, description="CSV delimiter; sniffed if unset.")
    header: bool | None = Field(default=None, description="Whether a CSV has a header row.")
    sheet: str | int | None = Field(default=None, description="xlsx sheet name or index.")
    day_first: bool | None = Field(
        default=None,
        description="Read 1/12/2010 as 1 December (true) or January 12 (false); sniffed if unset.",
    )
    columns: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical field -> source column. Unmapped columns are kept as extras.",
    )
    question_bank: str | None = Field(
        default=None,
        description="Surveys only: a file with question_id, text, type, dimension columns.",
    )

    @field_validator("name")
    @classmethod
    def _name_is_identifier(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]*", value):
            raise ValueError(
                f"source name {value!r} must start with a letter and hold only letters, "
                "digits, '_' or '-'"
            )
        return value

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        if value == "auto":
            return value
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(
                f"unknown encoding {value!r}; use auto, utf-8, utf-8-sig, gb18030 or utf-16"
            ) from None
        return value

    @model_validator(mode="after")
    def _one_location(self) -> Source:
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of `path` (files) or `url` (a database)")
        if self.url is not None and (self.table is None) == (self.query is None):
            raise ValueError("a database source needs exactly one of `table` or `query`")
        if self.question_bank is not None and self.kind is not Kind.SURVEYS:
            raise ValueError("`question_bank` belongs to a surveys source only")
        known = [f.name for f in canonical_fields(self.kind)]
        for canonical in self.columns:
            if canonical not in known:
                raise ValueError(
                    f"{canonical!r} is not a canonical field of {self.kind.value}"
                    f"{did_you_mean(canonical, known)}; canonical fields: {', '.join(known)}"
                )
        return self


CleanRule = Literal[
    "fullwidth",
    "trim",
    "collapse_spaces",
    "lower",
    "upper",
    "phone",
    "email",
    "gender",
    "city",
    "province",
    "none",
]


class CleaningConfig(_Strict):
    """How the clean stage standardises values (defaults per canonical field in docs)."""

    rules: dict[str, list[CleanRule]] = Field(
        default_factory=dict,
        description="Canonical field -> the rules to apply instead of its defaults, in order.",
    )
    email_provider_rules: bool = Field(
        default=False,
        description="Also drop dots and +tags in Gmail local parts (a.b+x@gmail.com = ab@).",
    )
    drop_exact_duplicates: bool = Field(
        default=True, description="Drop rows identical to an earlier row of the same source."
    )
    outliers: Literal["robust_z", "iqr", "none"] = Field(
        default="robust_z", description="How numeric outliers are flagged (per source, field)."
    )
    outlier_threshold: float = Field(
        default=3.5, gt=0, description="|robust z| above this, or this many IQRs outside Q1-Q3."
    )

    @field_validator("rules")
    @classmethod
    def _known_fields(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        known = sorted({f.name for kind in Kind for f in canonical_fields(kind)})
        for name in value:
            if name not in known:
                raise ValueError(f"{name!r} is not a canonical field{did_you_mean(name, known)}")
        return value


Survivorship = Literal["most_recent", "most_trusted", "most_frequent", "first_non_empty"]


class IdentityConfig(_Strict):
    """How the resolve stage links records into customers."""

    link_on: list[str] = Field(
        default_factory=lambda: list(IDENTIFIERS),
        description="Identifier types that link records deterministically.",
    )
    blocked_values: list[str] = Field(
        default_factory=list,
        description="Extra placeholder values that never link (built-in ones always apply).",
    )
    max_people_per_identifier: int = Field(
        default=3,
        ge=1,
        description="An identifier seen with more distinct keys of one kind stops linking.",
    )
    max_people_by_type: dict[str, int] = Field(
        default_factory=lambda: {"device_id": 1},
        description="Per identifier type overrides of max_people_per_identifier.",
    )
    probabilistic: bool = Field(
        default=True,
        description="Also match profiles by name, birth date, phone, e-mail, city, address, "
        "postcode and ID number.",
    )
    match_threshold: float = Field(
        default=0.9, gt=0, lt=1, description="Match probability from which two profiles link."
    )
    source_priority: list[str] = Field(
        default_factory=list,
        description="Most trusted profile sources first (default: the order of `sources`).",
    )
    survivorship: dict[str, Survivorship] = Field(
        default_factory=dict,
        description="Attribute -> how its value is chosen (default: most_trusted).",
    )

    @field_validator("link_on")
    @classmethod
    def _known_identifiers(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in IDENTIFIERS:
                raise ValueError(
                    f"{name!r} is not an identifier{did_you_mean(name, list(IDENTIFIERS))}; "
                    f"identifiers: {', '.join(IDENTIFIERS)}"
                )
        return value


class LifecycleConfig(_Strict):
    """The windows of the lifecycle tag, in days before the as-of date."""

    new_days: int = Field(default=30, ge=1, description="First order this recent: new.")
    active_days: int = Field(default=90, ge=1, description="Last order this recent: active.")
    churn_days: int = Field(
        default=180,
        ge=1,
        description="Last order older than this: churned (in between: silent); a gap this long "
        "before a recent order: returning.",
    )

    @model_validator(mode="after")
    def _ordered(self) -> LifecycleConfig:
        if not self.new_days <= self.active_days < self.churn_days:
            raise ValueError("the windows must satisfy new_days <= active_days < churn_days")
        return self


class CategoryName(_Strict):
    """Display names of a taxonomy category."""

    zh: str = Field(description="Chinese name.")
    en: str = Field(description="English name.")


class TaggingConfig(_Strict):
    """How the tags stage works: built-in tags, snapshots kept, RFM and lifecycle windows."""

    builtin: bool = Field(
        default=True, description="Include the built-in tags (a tag of the same name replaces one)."
    )
    retention: int = Field(default=10, ge=1, description="Snapshots kept (the newest ones).")
    rfm_bins: int = Field(default=5, ge=2, le=10, description="Scores of the RFM tags (1..N).")
    lifecycle: LifecycleConfig = Field(
        default_factory=LifecycleConfig, description="Windows of the lifecycle tag."
    )
    categories: dict[str, CategoryName] = Field(
        default_factory=dict, description="Extra taxonomy categories: key -> {zh, en}."
    )

    def category_names(self) -> dict[str, tuple[str, str]]:
        """Every taxonomy category (default and extra): key -> (zh, en)."""
        extra = {key: (c.zh, c.en) for key, c in self.categories.items()}
        return {**CATEGORIES, **extra}


SegmentMethod = Literal["kmeans", "minibatch", "hierarchical", "kprototypes", "rules"]


class SegmentRule(_Strict):
    """One rule-defined segment; a customer joins the first segment whose rule holds."""

    name_zh: str = Field(min_length=1, description="Chinese name of the segment.")
    name_en: str = Field(min_length=1, description="English name of the segment.")
    when: str = Field(
        min_length=1,
        description="An expression (features, attributes, tag('...')), e.g. "
        "`discount_share >= 0.5`.",
    )


class SegmentationConfig(_Strict):
    """How the segments stage groups customers (see docs/segments.md)."""

    enabled: bool = Field(default=True, description="Run the segments stage in every build.")
    features: list[str] | None = Field(
        default=None,
        min_length=1,
        description="Features, tags or extra profile attributes to segment on "
        "(default: a general set of RFM, activity, price, time, tenure and preference features).",
    )
    method: SegmentMethod = Field(
        default="kmeans",
        description="kmeans | minibatch (large samples) | hierarchical (Ward) | kprototypes "
        "(mixed categorical and numeric) | rules (expressions, first match wins).",
    )
    k: int | Literal["auto"] = Field(
        default="auto",
        description="Number of segments, or auto (best silhouette between k_min and k_max).",
    )
    k_min: int = Field(default=2, ge=2, le=50, description="Smallest k tried by k: auto.")
    k_max: int = Field(default=10, ge=2, le=50, description="Largest k tried by k: auto.")
    scale: Literal["none", "standard", "robust"] = Field(
        default="standard",
        description="Scaling of numeric features: none, standard (mean 0, sd 1) or robust "
        "(median 0, interquartile range 1).",
    )
    log: Literal["auto", "none"] | list[str] = Field(
        default="auto",
        description="log1p before scaling: auto (non-negative, skewed features such as money), "
        "none, or a list of features.",
    )
    sample: int = Field(
        default=50_000, ge=100, description="Customers in the fitting sample; all are assigned."
    )
    seed: int = Field(default=42, description="Random seed of the sample and the fit.")
    resamples: int = Field(
        default=10,
        ge=0,
        le=100,
        description="Bootstrap resamples of the stability score (0: none).",
    )
    rules: list[SegmentRule] = Field(
        default_factory=list, description="The segments of method: rules, in order."
    )

    @field_validator("k")
    @classmethod
    def _k_at_least_two(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 2 <= value <= 50:
            raise ValueError(f"k must be between 2 and 50 (or auto), not {value}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SegmentationConfig:
        if self.k_min > self.k_max:
            raise ValueError(f"k_min ({self.k_min}) must not be above k_max ({self.k_max})")
        if self.method == "rules" and not self.rules:
            raise ValueError("method: rules needs `rules:` (a list of name_zh, name_en, when)")
        if self.rules and self.method != "rules":
            raise ValueError(f"`rules:` only apply with method: rules (method is {self.method})")
        names = [r.name_en for r in self.rules] + [r.name_zh for r in self.rules]
        if len(set(names)) != len(names):
            raise ValueError("two segment rules share a name; give every rule its own names")
        return self


RetainedKind = Literal["events", "transactions", "surveys"]
RETENTION_TIME_FIELDS: dict[str, str] = {
    "events": "timestamp",
    "transactions": "timestamp",
    "surveys": "answered_at",
}
"""The time field retention rules compare, per kind."""


class PrivacyConfig(_Strict):
    """What reports, previews and exports may show; extra field classes; retention."""

    k: int = Field(
        default=10,
        ge=1,
        description="Smallest group of customers an aggregate may describe; counts and shares of "
        "fewer are shown as <k.",
    )
    fields: dict[str, FieldClass] = Field(
        default_factory=dict,
        description="Classes of extra source columns (direct, quasi, sensitive, ordinary), "
        "e.g. {wechat_name: direct}: direct ones are masked wherever customer rows are shown.",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Delete raw and clean events older than this many days before the build's "
        "as-of date, at every build (none: keep all).",
    )
    retention: dict[RetainedKind, int] = Field(
        default_factory=dict,
        description="Days to keep per kind (events, transactions, surveys); overrides "
        "retention_days for events.",
    )

    @field_validator("fields")
    @classmethod
    def _column_names(cls, value: dict[str, FieldClass]) -> dict[str, FieldClass]:
        bad = [name for name in value if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)]
        if bad:
            raise ValueError(
                f"privacy.fields: {', '.join(map(repr, bad))} is not a column name; use the "
                "column as it appears in the source (letters, digits and _)"
            )
        return value

    @field_validator("retention")
    @classmethod
    def _positive_days(cls, value: dict[str, int]) -> dict[str, int]:
        bad = [kind for kind, days in value.items() if days < 1]
        if bad:
            raise ValueError(f"privacy.retention: days for {', '.join(bad)} must be at least 1")
        return value

    def retention_for(self) -> dict[str, int]:
        """Days to keep per kind, from `retention_days` (events) and `retention`."""
        days: dict[str, int] = {}
        if self.retention_days is not None:
            days["events"] = self.retention_days
        days.update({str(kind): n for kind, n in self.retention.items()})
        return days


class PriorityWeights(_Strict):
    """Weights of the four factors of a segment's priority score (0 leaves a factor out)."""

    size: float = Field(default=1.0, ge=0, description="Weight of the segment's size.")
    value: float = Field(default=1.0, ge=0, description="Weight of the spend per customer.")
    growth: float = Field(
        default=1.0, ge=0, description="Weight of the size change since the previous snapshot."
    )
    activity: float = Field(
        default=1.0, ge=0, description="Weight of the share active in the last 30 days."
    )

    @model_validator(mode="after")
    def _some_weight(self) -> PriorityWeights:
        if not any((self.size, self.value, self.growth, self.activity)):
            raise ValueError("at least one priority weight must be above 0")
        return self


class PersonasConfig(_Strict):
    """How persona cards rank segments."""

    priority_weights: PriorityWeights = Field(
        default_factory=PriorityWeights,
        description="Weights of size, value, growth and activity in the priority score.",
    )
    currency: str = Field(
        default="¥", max_length=5, description="Symbol shown before amounts of money (¥, $, €)."
    )


class ProjectConfig(_Strict):
    """The whole persona.yaml."""

    project: str = Field(description="Project name.")
    timezone: str = Field(
        default="Asia/Shanghai",
        description="IANA time zone for timestamps written without one.",
    )
    language: Literal["zh", "en"] = Field(
        default="zh", description="Language of messages and reports: zh or en."
    )
    sources: list[Source] = Field(default_factory=list, description="The data sources.")
    cleaning: CleaningConfig = Field(
        default_factory=CleaningConfig, description="Options of the clean stage."
    )
    identity: IdentityConfig = Field(
        default_factory=IdentityConfig, description="Options of the resolve stage."
    )
    tagging: TaggingConfig = Field(
        default_factory=TaggingConfig, description="Options of the tags stage."
    )
    tags: list[TagDefinition] = Field(
        default_factory=list,
        description="Tag definitions (more can live in YAML files in the tags/ folder).",
    )
    segmentation: SegmentationConfig = Field(
        default_factory=SegmentationConfig, description="Options of the segments stage."
    )
    privacy: PrivacyConfig = Field(
        default_factory=PrivacyConfig,
        description="Privacy of reports: the smallest group an aggregate may describe.",
    )
    personas: PersonasConfig = Field(
        default_factory=PersonasConfig, description="Options of the persona cards and priorities."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as Asia/Shanghai or UTC"
            ) from None
        return value

    @model_validator(mode="after")
    def _unique_source_names(self) -> ProjectConfig:
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise ValueError(f"two sources are named {source.name!r}; names must be unique")
            seen.add(source.name)
        return self

    def source(self, name: str) -> Source:
        """Return the source called `name`, or raise ConfigError with the closest name."""
        for source in self.sources:
            if source.name == name:
                return source
        names = [s.name for s in self.sources]
        raise ConfigError(
            f"no source named {name!r}{did_you_mean(name, names)}; "
            f"sources: {', '.join(names) or '(none)'}"
        )


class _Yaml12Loader(yaml.SafeLoader):
    """A SafeLoader that reads booleans as YAML 1.2 does (only true/false).

    So a column named `no`, `yes`, `on` or `off` stays a string.
    """


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def json_schema() -> dict[str, Any]:
    """Return the JSON schema of persona.yaml, for editor completion."""
    schema = ProjectConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "persona.yaml"
    return schema


def load_config(project_dir: Path) -> ProjectConfig:
    """Read and validate `project_dir/persona.yaml` and the tag files in `project_dir/tags/`.

    Raises:
        ConfigError: listing every problem of every file at once, each with its YAML line.
    """
    path = project_dir / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(
            f"{path} not found: this folder is not a Persona project; "
            f"run `persona init {project_dir}` or pass --project DIR"
        )
    problems: list[str] = []
    try:
        config = parse_config(path.read_text(encoding="utf-8"), str(path))
    except ConfigError as exc:
        problems.append(str(exc))
        config = None
    files = sorted((project_dir / TAGS_DIR).glob("*.y*ml"))
    extra: list[TagDefinition] = []
    for file in files:
        try:
            extra.extend(
                parse_tag_file(file.read_text(encoding="utf-8"), f"{TAGS_DIR}/{file.name}")
            )
        except ConfigError as exc:
            problems.append(str(exc))
    if problems or config is None:
        raise ConfigError("\n".join(problems))
    return config.model_copy(update={"tags": [*config.tags, *extra]})


def parse_config(text: str, filename: str = CONFIG_FILE) -> ProjectConfig:
    """Validate persona.yaml text; see `load_config`."""
    data, node = _load_yaml(text, filename)
    if not isinstance(data, dict):
        raise ConfigError(f"{filename}: expected a mapping with `project:` and `sources:`")
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as exc:
        problems = [_describe(e, node) for e in exc.errors()]
        raise ConfigError(_listing(filename, problems)) from None
    for index, tag in enumerate(config.tags):
        tag.with_origin(f"{Path(filename).name} line {_line_of(node, ('tags', index))}")
    return config


def parse_tag_file(text: str, filename: str) -> list[TagDefinition]:
    """Validate a tag file of the tags/ folder: a list of tags, or a mapping with `tags:`.

    Raises:
        ConfigError: every problem of the file, each with its YAML line.
    """
    data, node = _load_yaml(text, filename)
    prefix: tuple[str, ...] = ()
    if isinstance(data, dict) and set(data) == {"tags"}:
        data, prefix = data["tags"], ("tags",)
    if not isinstance(data, list):
        raise ConfigError(f"{filename}: expected a list of tags (or `tags:` with a list)")
    tags: list[TagDefinition] = []
    problems: list[str] = []
    for index, item in enumerate(data):
        try:
            tag = TagDefinition.model_validate(item)
        except ValidationError as exc:
            problems.extend(_describe(e, node, (*prefix, index)) for e in exc.errors())
            continue
        tags.append(tag.with_origin(f"{filename} line {_line_of(node, (*prefix, index))}"))
    if problems:
        raise ConfigError(_listing(filename, problems))
    return tags


def _load_yaml(text: str, filename: str) -> tuple[Any, yaml.Node]:
    try:
        node = yaml.compose(text, Loader=_Yaml12Loader)
        data = yaml.load(text, Loader=_Yaml12Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{filename}{where}: not valid YAML: {exc}") from None
    if node is None:
        raise ConfigError(f"{filename}: the file is empty")
    return data, node


def _listing(filename: str, problems: list[str]) -> str:
    noun = "problem" if len(problems) == 1 else "problems"
    listing = "\n".join(f"  - {p}" for p in problems)
    return f"{filename} has {len(problems)} {noun}:\n{listing}"


def _describe(error: Any, root: yaml.Node, base: tuple[str | int, ...] = ()) -> str:
    loc: tuple[str | int, ...] = (*base, *error["loc"])
    line = _line_of(root, loc)
    where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        valid = _valid_keys(loc[:-1], tag_file=bool(base))
        message = f"unknown key {loc[-1]!r}{did_you_mean(str(loc[-1]), valid)}"
    elif error["type"] == "enum" or error["type"] == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        choices = re.findall(r"'([^']*)'", expected)
        message += did_you_mean(str(error.get("input")), choices)
    elif error["type"] == "missing":
        message = f"missing required key {loc[-1]!r}"
    prefix = f"line {line}, " if line else ""
    return f"{prefix}{where or '(top level)'}: {message}"


def _valid_keys(parent: tuple[str | int, ...], *, tag_file: bool = False) -> list[str]:
    """The keys allowed in the mapping at `parent` (for did-you-mean on an unknown key)."""
    names = [p for p in parent if isinstance(p, str)]
    if tag_file:
        names = ["tags", *[n for n in names if n != "tags"]]
    model: type[BaseModel] = ProjectConfig
    for name in names:
        field = model.model_fields.get(name)
        inner = _model_of(field.annotation) if field is not None else None
        if inner is None:
            break
        model = inner
    return list(model.model_fields)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation: X, list[X], X | None or dict[str, X]."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _line_of(node: yaml.Node, loc: tuple[str | int, ...]) -> int | None:
    """Return the 1-based YAML line of the value (or key) at `loc`."""
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    line, node = key.start_mark.line + 1, value
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def schema_json() -> str:
    """Return the JSON schema as indented text."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False)
