"""Probabilistic identity resolution: Splink (Fellegi-Sunter) on DuckDB over profile records.

`predict_matches` takes cleaned profile records from any number of sources and returns the
record pairs that are probably the same person. It trains an unsupervised model on the records
themselves (u by random sampling, m by expectation maximisation), so it needs no labels; the
same input and seed give the same result bit for bit. Names are compared on their characters
and on a pinyin key, so 张伟, 張偉, "Zhang Wei" and "WEI Zhang" can match; a name missing its
given or family name, or with a typo in one of them, still agrees on the other word. Address,
postcode and ID number are compared when the records have them.

Inputs that are too small to train on (under `MIN_TRAINING_RECORDS` records) are scored with
fixed prior parameters and no term-frequency adjustments.

Example:
    >>> pairs = predict_matches(records, MatchSettings(threshold=0.95))  # doctest: +SKIP
    >>> list(pairs.columns)  # doctest: +SKIP
    ['record_id_l', 'record_id_r', 'match_probability', 'match_weight']
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from persona.pipeline.names import name_key, normalise_name

INPUT_COLUMNS = ("record_id", "source", "name", "birth_date", "phone", "email", "city")
OPTIONAL_COLUMNS = ("address", "postcode", "id_number")
"""Compared when present; a missing column is unknown on every record."""
IDENTIFIER_COLUMNS = ("phone", "email", "id_number")
"""Compared as identifiers: a value shared by too many records is a placeholder and ignored."""
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
"""Assumed share of true pairs that share a phone, an e-mail or an ID number (sets the prior)."""
IDENTIFIER_SHARING = 0.05
"""Assumed share of people whose phone (or e-mail, ID number) another person also has."""
MIN_DUPLICATE_SHARE = 0.01
"""The prior assumes at least this share of records has a duplicate."""
MAX_PRIOR = 0.001
"""At most one random pair in a thousand is taken to match, however dense a small input is."""


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
            ``email`` (lower case or None) and ``city`` (canonical name or None); optionally
            ``address``, ``postcode`` and ``id_number``; other columns are ignored.
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
        comparisons=_comparisons(frame, term_frequencies=trained),
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
        pinyin/latin words) and its first and last word ``name_first`` / ``name_last``,
        ``birth_date`` / ``birth_text`` / ``birth_swap``, ``phone``, ``email``, ``email_user``,
        ``city``, ``address_norm``, ``postcode``, ``id_number`` and the blocking keys ``bk_*``.
        A phone, e-mail or ID number shared by more than `MAX_BLOCK_SIZE` records is a
        placeholder and becomes null.

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
    # name_key's words are sorted: a swapped, lost or misspelt word leaves the other in place.
    frame["name_first"] = _map_unique(frame["name_key"], lambda key: key.split()[0])
    frame["name_last"] = _map_unique(frame["name_key"], lambda key: key.split()[-1])
    birth = pd.to_datetime(records["birth_date"], errors="coerce").reset_index(drop=True)
    frame["birth_date"] = birth.dt.date.where(birth.notna(), None)
    frame["birth_text"] = birth.dt.strftime("%Y-%m-%d").where(birth.notna(), None)
    frame["birth_swap"] = birth.dt.strftime("%Y-%d-%m").where(birth.notna(), None)
    for column in ("phone", "email", "city"):
        frame[column] = _text(records[column])
    unknown = pd.Series([None] * len(frame), dtype=object)
    optional = {
        column: _text(records[column]) if column in records.columns else unknown
        for column in OPTIONAL_COLUMNS
    }
    frame["address_norm"] = _map_unique(optional["address"], normalise_name)
    frame["postcode"] = _map_unique(
        optional["postcode"], lambda code: "".join(code.split()).upper()
    )
    frame["id_number"] = optional["id_number"]
    for column in IDENTIFIER_COLUMNS:
        frame[column] = frame[column].where(_capped_key(frame, (column,)).notna(), None)
    for key, columns in _BLOCKING_KEYS.items():
        frame[key] = _capped_key(frame, columns)
    user = frame["email"].astype("string").str.extract(r"^([^@]+)@", expand=False)
    frame["email_user"] = user.astype(object).where(user.notna(), None)
    return frame


def _comparisons(frame: pd.DataFrame, *, term_frequencies: bool) -> list[Any]:
    """The comparisons, each level with a prior (m, u) used until training replaces it.

    Identifier agreement (phone, e-mail, ID number) gets a fixed u of ``IDENTIFIER_SHARING /
    records``: random sampling almost never sees two people share one, and term frequencies
    would treat a number held by two records as a common value. Address, postcode and ID
    number are compared only when at least two records have one.
    """
    records = len(frame)

    def level(creator: Any, m: float, u: float, tf: str | None = None) -> Any:
        if tf is not None and term_frequencies:
            creator.configure(tf_adjustment_column=tf)
        return creator.configure(m_probability=m, u_probability=u)

    def exact(column: str, m: float, u: float, tf: bool = False) -> Any:
        return level(cll.ExactMatchLevel(column), m, u, column if tf else None)

    def identifier(creator: Any, m: float, share: float) -> Any:
        u = min(share * IDENTIFIER_SHARING / records, 0.5)
        return creator.configure(m_probability=m, u_probability=u, fix_u_probability=True)

    def comparison(name: str, null_column: str, *levels: Any) -> Any:
        return cl.CustomComparison(
            output_column_name=name, comparison_levels=[cll.NullLevel(null_column), *levels]
        )

    # Day > 12 swaps to no valid date, so it can never equal another record's birth_text.
    birth_swap = cll.CustomLevel("birth_swap_l = birth_text_r", label_for_charts="Day/month swap")
    birth_week = cll.AbsoluteDateDifferenceLevel(
        "birth_date", input_is_string=False, threshold=7, metric="day"
    )
    name_word = cll.CustomLevel(
        "name_first_l = name_first_r or name_last_l = name_last_r",
        label_for_charts="One name word agrees",
    )
    comparisons = [
        comparison(
            "name",
            "name_key",
            exact("name_norm", 0.57, 0.001, tf=True),
            exact("name_key", 0.25, 0.002, tf=True),
            level(cll.JaroWinklerLevel("name_key", 0.92), 0.1, 0.01),
            level(name_word, 0.03, 0.01),
            level(cll.JaroWinklerLevel("name_key", 0.8), 0.03, 0.05),
            level(cll.ElseLevel(), 0.02, 0.927),
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
        comparison(
            "phone",
            "phone",
            identifier(cll.ExactMatchLevel("phone"), 0.8, 1),
            level(cll.ElseLevel(), 0.2, 1),
        ),
        comparison(
            "email",
            "email",
            identifier(cll.ExactMatchLevel("email"), 0.6, 1),
            identifier(cll.ExactMatchLevel("email_user"), 0.1, 10),
            level(cll.ElseLevel(), 0.3, 1),
        ),
        comparison(
            "city",
            "city",
            exact("city", 0.9, 0.1, tf=True),
            level(cll.JaroWinklerLevel("city", 0.9), 0.04, 0.005),
            level(cll.ElseLevel(), 0.06, 0.895),
        ),
    ]
    optional = {
        "address_norm": comparison(
            "address",
            "address_norm",
            exact("address_norm", 0.75, 0.001, tf=True),
            level(cll.JaroWinklerLevel("address_norm", 0.9), 0.15, 0.01),
            level(cll.ElseLevel(), 0.1, 0.989),
        ),
        "postcode": comparison(
            "postcode",
            "postcode",
            exact("postcode", 0.85, 0.002, tf=True),
            level(cll.DamerauLevenshteinLevel("postcode", 1), 0.1, 0.02),
            level(cll.ElseLevel(), 0.05, 0.978),
        ),
        "id_number": comparison(
            "id_number",
            "id_number",
            identifier(cll.ExactMatchLevel("id_number"), 0.85, 1),
            identifier(cll.DamerauLevenshteinLevel("id_number", 1), 0.1, 10),
            level(cll.ElseLevel(), 0.05, 1),
        ),
    }
    present = [column for column in optional if frame[column].notna().sum() >= 2]
    return comparisons + [optional[c] for c in present]


_BLOCKING_KEYS: dict[str, tuple[str, ...]] = {
    "bk_phone": ("phone",),
    "bk_email": ("email",),
    "bk_id_number": ("id_number",),
    "bk_name_birth": ("name_key", "birth_date"),
    "bk_name_city": ("name_key", "city"),
    "bk_birth_city": ("birth_date", "city"),
    "bk_first_birth": ("name_first", "birth_date"),
    "bk_last_birth": ("name_last", "birth_date"),
    "bk_first_city": ("name_first", "city"),
    "bk_last_city": ("name_last", "city"),
    "bk_first_postcode": ("name_first", "postcode"),
    "bk_last_postcode": ("name_last", "postcode"),
    "bk_birth_postcode": ("birth_date", "postcode"),
    "bk_address_postcode": ("address_norm", "postcode"),
    "bk_address_birth": ("address_norm", "birth_date"),
    "bk_address_city": ("address_norm", "city"),
}
# EM sessions: each comparison is estimated in at least one of them.
_TRAINING_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("phone",),
    ("email",),
    ("id_number",),
    ("name_key", "birth_date"),
    ("address_norm", "postcode"),
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
    """Estimate the probability that two random records match from shared identifiers."""
    n = len(frame)
    total = n * (n - 1) / 2
    # Pairs sharing at least one identifier, by inclusion-exclusion over the identifier types.
    shared = sum(
        (1 if size % 2 else -1) * _pairs_sharing(frame, list(columns))
        for size in range(1, len(IDENTIFIER_COLUMNS) + 1)
        for columns in combinations(IDENTIFIER_COLUMNS, size)
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
