"""Probabilistic identity resolution: Splink (Fellegi-Sunter) on DuckDB over profile records.

`predict_matches` takes cleaned profile records from any number of sources and returns the
record pairs that are probably the same person. It trains an unsupervised model on the records
themselves (u by random sampling, m by expectation maximisation), so it needs no labels; the
same input and seed give the same result bit for bit. Names are compared on their characters
and on a pinyin key, so 张伟, 張偉, "Zhang Wei" and "WEI Zhang" can match.

Inputs that are too small to train on (under `MIN_TRAINING_RECORDS` records) are scored with
fixed prior parameters and no term-frequency adjustments.

Example:
    >>> pairs = predict_matches(records, MatchSettings(threshold=0.95))  # doctest: +SKIP
    >>> list(pairs.columns)  # doctest: +SKIP
    ['record_id_l', 'record_id_r', 'match_probability', 'match_weight']
"""

from __future__ import annotations

import logging
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from pypinyin import lazy_pinyin
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

INPUT_COLUMNS = ("record_id", "source", "name", "birth_date", "phone", "email", "city")
PAIR_COLUMNS = ("record_id_l", "record_id_r", "match_probability", "match_weight")
_PAIR_TYPES = ("str", "str", "float64", "float64")
MIN_TRAINING_RECORDS = 1000
"""Below this many records the model is not trained: priors only, no term frequencies."""
MIN_EM_PAIRS = 200
"""An EM session runs only when its training block yields at least this many pairs."""
EM_MAX_PAIRS = 2e6
"""EM sessions on bigger training blocks use a deterministic sample of this many pairs."""
MAX_BLOCK_SIZE = 100
"""Blocking values shared by more records than this (placeholder phones, 1970-01-01 in one
city) do not generate pairs; such records can still pair through another rule."""
DETERMINISTIC_RECALL = 0.8
"""Assumed share of true pairs that share a phone or an e-mail (sets the match prior)."""
IDENTIFIER_SHARING = 0.05
"""Assumed share of people whose phone (or e-mail) another person in the data also has."""
MIN_DUPLICATE_SHARE = 0.01
"""The prior assumes at least this share of records has a duplicate."""
MAX_PRIOR = 0.001
"""At most one random pair in a thousand is taken to match, however dense a small input is."""

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_JOINERS = re.compile(r"['’‘`\-‐]")
_NON_NAME = re.compile(r"[^\w]+|_")
_COMPOUND_SURNAMES = frozenset((
    "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒",
    "夏侯", "令狐", "端木", "独孤", "南宫", "西门", "百里", "呼延", "轩辕", "万俟", "澹台", "公冶",
    "申屠", "太史", "闻人", "钟离", "赫连", "宗政", "濮阳", "公羊", "拓跋",
))  # fmt: skip
# Surname readings that differ from the character's everyday reading (曾 is zeng, not ceng).
_SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "朴": "piao", "查": "zha",
    "乐": "yue", "缪": "miao", "覃": "qin", "盖": "ge", "召": "shao", "翟": "zhai", "秘": "bi",
    "种": "chong", "繁": "po", "员": "yun", "黑": "he", "折": "she", "祭": "zhai", "藏": "zang",
}  # fmt: skip


@dataclass(frozen=True)
class MatchSettings:
    """How `predict_matches` trains and thresholds the model.

    Attributes:
        threshold: Match probability a pair needs to be returned.
        max_pairs: Record pairs sampled to estimate u probabilities.
        seed: Seed of that sample; the same seed gives the same model.
        memory_limit: DuckDB memory limit of Splink's private in-memory database.
    """

    threshold: float = 0.9
    max_pairs: float = 2e6
    seed: int = 7
    memory_limit: str = "3GB"


def predict_matches(
    records: pd.DataFrame, settings: MatchSettings = MatchSettings()
) -> pd.DataFrame:
    """Return the pairs of profile records that are probably the same person.

    Args:
        records: One row per profile record with columns ``record_id`` (unique text),
            ``source``, ``name``, ``birth_date`` (date or None), ``phone`` (E.164 or None),
            ``email`` (lower case or None) and ``city`` (canonical name or None); extra
            columns are ignored.
        settings: Threshold, sample size, seed and memory limit.

    Returns:
        Columns ``record_id_l`` < ``record_id_r``, ``match_probability`` and
        ``match_weight``, one row per pair at or above the threshold, sorted by the ids;
        empty (with these columns) when nothing matches.

    Raises:
        ValueError: when a column is missing or a record id is null or repeated.

    Example:
        >>> pairs = predict_matches(profiles, MatchSettings(threshold=0.95))  # doctest: +SKIP
    """
    frame = prepare_records(records)
    block_keys = [key for key in _BLOCKING_KEYS if frame[key].dropna().duplicated().any()]
    if not block_keys:  # also when there are fewer than two records
        return _empty_pairs()
    trained = len(frame) >= MIN_TRAINING_RECORDS
    creator = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=_comparisons(len(frame), term_frequencies=trained),
        blocking_rules_to_generate_predictions=[block_on(key) for key in block_keys],
        probability_two_random_records_match=_match_prior(frame),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
    )
    with _quiet_splink(), tempfile.TemporaryDirectory(prefix="persona-splink-") as spill:
        db_api = DuckDBAPI()
        try:
            db_api.duckdb_con.execute(
                f"set memory_limit = '{settings.memory_limit}'; set temp_directory = '{spill}'"
            )
            table = db_api.register(_to_arrow(frame), table_name="persona_profiles")
            linker = Linker(table, creator, log_level=None)
            if trained:
                # One thread: parallel float sums in EM would vary the weights' last bits.
                db_api.duckdb_con.execute("set threads = 1")
                _train(linker, frame, settings)
                db_api.duckdb_con.execute("reset threads")
            predictions = linker.inference.predict(
                threshold_match_probability=settings.threshold, warning_mode="never"
            )
            pairs: pd.DataFrame = predictions.as_duckdbpyrelation().df()
        finally:
            db_api.duckdb_con.close()
    if pairs.empty:
        return _empty_pairs()
    pairs = pairs[list(PAIR_COLUMNS)].astype(dict(zip(PAIR_COLUMNS, _PAIR_TYPES, strict=True)))
    return pairs.sort_values(["record_id_l", "record_id_r"], ignore_index=True)


def prepare_records(records: pd.DataFrame) -> pd.DataFrame:
    """Derive the comparison and blocking columns Splink works on from the input records.

    Args:
        records: The input of `predict_matches`.

    Returns:
        One row per record: ``record_id``, ``name_norm`` (characters), ``name_key`` (sorted
        pinyin/latin tokens), ``birth_date`` / ``birth_text`` / ``birth_swap``, ``phone``,
        ``email``, ``email_user``, ``city`` and the blocking keys ``bk_*``. A phone or
        e-mail shared by more than `MAX_BLOCK_SIZE` records is a placeholder and becomes null.

    Raises:
        ValueError: when a column is missing or a record id is null or repeated.
    """
    missing = [c for c in INPUT_COLUMNS if c not in records.columns]
    if missing:
        raise ValueError(
            f"profile records lack the column(s) {', '.join(missing)}; predict_matches needs "
            f"{', '.join(INPUT_COLUMNS)} (use None where a value is unknown)"
        )
    ids = records["record_id"]
    if ids.isna().any() or ids.astype(str).duplicated().any():
        raise ValueError("record_id must be unique and never null; fix the ids and retry")
    frame = pd.DataFrame({"record_id": ids.astype(str).to_numpy()})
    names = _text(records["name"])
    frame["name_norm"] = _map_unique(names, normalise_name)
    frame["name_key"] = _map_unique(frame["name_norm"], name_key)
    birth = pd.to_datetime(records["birth_date"], errors="coerce").reset_index(drop=True)
    frame["birth_date"] = birth.dt.date.where(birth.notna(), None)
    frame["birth_text"] = birth.dt.strftime("%Y-%m-%d").where(birth.notna(), None)
    frame["birth_swap"] = birth.dt.strftime("%Y-%d-%m").where(birth.notna(), None)
    for column in ("phone", "email", "city"):
        frame[column] = _text(records[column])
    for column in ("phone", "email"):
        frame[column] = frame[column].where(_capped_key(frame, (column,)).notna(), None)
    for key, columns in _BLOCKING_KEYS.items():
        frame[key] = _capped_key(frame, columns)
    user = frame["email"].astype("string").str.extract(r"^([^@]+)@", expand=False)
    frame["email_user"] = user.astype(object).where(user.notna(), None)
    return frame


def normalise_name(text: str) -> str | None:
    """Return a name folded for comparison: NFKC, case-folded, accents and punctuation removed.

    Chinese names lose all spaces (张　伟 -> 张伟); other names keep one space between words
    (``"O'Brien,  JOHN"`` -> ``"obrien john"``).
    """
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    words = _NON_NAME.sub(" ", _JOINERS.sub("", folded)).split()
    if not words:
        return None
    return "".join(words) if _CJK.search(folded) else " ".join(words)


def name_key(name: str) -> str:
    """Return an order-free romanised key of a normalised name.

    A Chinese name becomes its pinyin family name and given name (tones dropped, ü as u),
    other names their words; the parts are sorted, so 张晓明, "zhang xiaoming" and
    "xiaoming zhang" share the key ``"xiaoming zhang"``.
    """
    if not _CJK.search(name):
        return " ".join(sorted(name.split()))
    family_length = 2 if name[:2] in _COMPOUND_SURNAMES and len(name) > 2 else 1
    family = _SURNAME_READINGS.get(name[0]) if family_length == 1 else None
    family = family or _pinyin(name[:family_length])
    given = _pinyin(name[family_length:])
    return " ".join(sorted(part for part in (family, given) if part))


def _pinyin(text: str) -> str:
    if len(text) > 1 and text in _COMPOUND_SURNAMES:
        return "".join(lazy_pinyin(text)).replace("v", "u")
    return "".join(_char_pinyin(char) for char in text)


@lru_cache(maxsize=65536)
def _char_pinyin(char: str) -> str:
    # One character at a time: given names are not words, and the cache makes 1M names fast.
    return "".join(lazy_pinyin(char)).replace("v", "u")


def _comparisons(records: int, *, term_frequencies: bool) -> list[Any]:
    """The comparisons, each level with a prior (m, u) used until training replaces it.

    Phone and e-mail agreement get a fixed u of ``IDENTIFIER_SHARING / records``: random
    sampling almost never sees two people share one, and term frequencies would treat a
    number held by two records as a common value.
    """

    def level(creator: Any, m: float, u: float, tf: str | None = None) -> Any:
        if tf is not None and term_frequencies:
            creator.configure(tf_adjustment_column=tf)
        return creator.configure(m_probability=m, u_probability=u)

    def exact(column: str, m: float, u: float, tf: bool = False) -> Any:
        return level(cll.ExactMatchLevel(column), m, u, column if tf else None)

    def identifier(column: str, m: float, share: float) -> Any:
        u = min(share * IDENTIFIER_SHARING / records, 0.5)
        return cll.ExactMatchLevel(column).configure(
            m_probability=m, u_probability=u, fix_u_probability=True
        )

    def comparison(name: str, null_column: str, *levels: Any) -> Any:
        return cl.CustomComparison(
            output_column_name=name, comparison_levels=[cll.NullLevel(null_column), *levels]
        )

    # Day > 12 swaps to no valid date, so it can never equal another record's birth_text.
    birth_swap = cll.CustomLevel("birth_swap_l = birth_text_r", label_for_charts="Day/month swap")
    birth_week = cll.AbsoluteDateDifferenceLevel(
        "birth_date", input_is_string=False, threshold=7, metric="day"
    )
    return [
        comparison(
            "name",
            "name_key",
            exact("name_norm", 0.58, 0.001, tf=True),
            exact("name_key", 0.25, 0.002, tf=True),
            level(cll.JaroWinklerLevel("name_key", 0.92), 0.1, 0.01),
            level(cll.JaroWinklerLevel("name_key", 0.8), 0.05, 0.05),
            level(cll.ElseLevel(), 0.02, 0.937),
        ),
        comparison(
            "birth_date",
            "birth_date",
            exact("birth_date", 0.85, 0.0001),
            level(birth_swap, 0.02, 0.0001),
            level(cll.LevenshteinLevel("birth_text", 1), 0.05, 0.002),
            level(birth_week, 0.02, 0.0005),
            level(cll.ElseLevel(), 0.06, 0.9974),
        ),
        comparison("phone", "phone", identifier("phone", 0.8, 1), level(cll.ElseLevel(), 0.2, 1)),
        comparison(
            "email",
            "email",
            identifier("email", 0.6, 1),
            identifier("email_user", 0.1, 10),
            level(cll.ElseLevel(), 0.3, 1),
        ),
        comparison(
            "city", "city", exact("city", 0.9, 0.1, tf=True), level(cll.ElseLevel(), 0.1, 0.9)
        ),
    ]


_BLOCKING_KEYS: dict[str, tuple[str, ...]] = {
    "bk_phone": ("phone",),
    "bk_email": ("email",),
    "bk_name_birth": ("name_key", "birth_date"),
    "bk_name_city": ("name_key", "city"),
    "bk_birth_city": ("birth_date", "city"),
}
# EM sessions: each comparison is estimated in at least one of them.
_TRAINING_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("phone",),
    ("email",),
    ("name_key", "birth_date"),
)


def _capped_key(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """Number the distinct combinations of `columns`; null where a part is null or too common."""
    group = frame.groupby(list(columns), sort=False, dropna=True).ngroup()
    codes = group.fillna(-1).to_numpy(dtype=np.int64)
    sizes = np.bincount(codes + 1)  # slot 0 counts the rows with a null part
    keep = (codes >= 0) & (sizes[codes + 1] <= MAX_BLOCK_SIZE)
    return pd.Series(codes, dtype="Int64").where(keep)


def _pairs_sharing(frame: pd.DataFrame, columns: list[str]) -> int:
    """Count the record pairs that agree on every one of `columns` (all non-null)."""
    sizes = frame.dropna(subset=columns).groupby(columns, sort=False).size()
    return int((sizes * (sizes - 1) // 2).sum())


def _match_prior(frame: pd.DataFrame) -> float:
    """Estimate the probability that two random records match from shared phones/e-mails."""
    n = len(frame)
    total = n * (n - 1) / 2
    shared = (
        _pairs_sharing(frame, ["phone"])
        + _pairs_sharing(frame, ["email"])
        - _pairs_sharing(frame, ["phone", "email"])
    )
    expected = max(shared / DETERMINISTIC_RECALL, MIN_DUPLICATE_SHARE * n)
    return min(expected / total, MAX_PRIOR)


def _train(linker: Linker, frame: pd.DataFrame, settings: MatchSettings) -> None:
    """Estimate u by random sampling, then m by EM on each usable training block."""
    linker.training.estimate_u_using_random_sampling(
        max_pairs=settings.max_pairs, seed=settings.seed
    )
    for columns in _TRAINING_BLOCKS:
        if _pairs_sharing(frame, list(columns)) >= MIN_EM_PAIRS:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns), max_pairs=EM_MAX_PAIRS
            )


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    """Give every column an explicit type, so all-null columns are still text or dates."""
    types = {"birth_date": pa.date32()} | {key: pa.int64() for key in _BLOCKING_KEYS}
    fields = [pa.field(c, types.get(c, pa.string())) for c in frame.columns]
    return pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)


def _text(values: pd.Series) -> pd.Series:
    """Stripped text as Python objects, None for missing or empty values."""
    text = values.astype("string").str.strip().reset_index(drop=True)
    return text.where(text.notna() & (text != ""), None).astype(object)


def _map_unique(values: pd.Series, function: Any) -> pd.Series:
    """Apply `function` once per distinct non-null value (names repeat a lot)."""
    distinct = values.dropna().unique()
    lookup = {value: function(value) for value in distinct}
    return values.map(lookup).astype(object).where(values.notna(), None)


def _empty_pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype=t) for c, t in zip(PAIR_COLUMNS, _PAIR_TYPES, strict=True)}
    )


@contextmanager
def _quiet_splink() -> Iterator[None]:
    """Keep Splink's progress messages and notices off the console; errors still raise."""
    splink_logger = logging.getLogger("splink")
    level = splink_logger.level
    splink_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        splink_logger.setLevel(level)
