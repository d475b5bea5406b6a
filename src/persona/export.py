"""Writing tables out for people: CSV for Excel, xlsx, JSON, JSON lines, parquet.

Text cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) are written with a leading apostrophe in CSV and xlsx, as the
OWASP guidance on CSV injection says; numbers, and text that is only a signed number such as
``+8613812345678``, are left as they are.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from persona.model.errors import ProjectError

FORMATS = (".csv", ".xlsx", ".json", ".jsonl", ".ndjson", ".parquet")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these is run as a formula by Excel, LibreOffice or Sheets."""
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def write_frame(
    frame: pd.DataFrame, path: Path, fmt: str | None = None, *, bom: bool = True
) -> int:
    """Write a DataFrame by `fmt` (csv, xlsx, json, jsonl, parquet) or else its file suffix.

    CSV is UTF-8, with a byte-order mark unless `bom` is false, so Excel opens Chinese text
    correctly; in CSV and xlsx a list (keywords, several keys) is one cell with its items joined
    by ``|`` and formula-like text is neutralised (`neutralise_formulas`). JSON is one array of
    objects (not ASCII-escaped, dates as ISO text); JSON lines one object per line.

    Args:
        frame: The rows to write.
        path: The file (its folder is made when missing).
        fmt: The format; default: from the suffix of `path`.
        bom: Start a CSV with the UTF-8 byte-order mark (ignored for other formats).

    Returns:
        The number of rows written.

    Raises:
        ProjectError: for an unknown format or a path that cannot be written.
    """
    suffix = f".{fmt.lower().lstrip('.')}" if fmt else path.suffix.lower()
    if suffix not in FORMATS:
        raise ProjectError(
            f"cannot export to {path}: unknown format {suffix.lstrip('.')!r}; "
            "use csv, xlsx, json, jsonl or parquet"
        )
    if suffix in (".csv", ".xlsx"):
        frame = neutralise_formulas(_flat_lists(frame))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            frame.to_csv(path, index=False, encoding="utf-8-sig" if bom else "utf-8")
        elif suffix == ".xlsx":
            frame.to_excel(path, index=False)
        elif suffix == ".parquet":
            frame.to_parquet(path, index=False)
        elif suffix == ".json":
            text = json.dumps(json_rows(frame), ensure_ascii=False, indent=1, default=json_value)
            path.write_text(text + "\n", encoding="utf-8")
        else:
            frame.to_json(path, orient="records", lines=True, force_ascii=False)
    except OSError as exc:
        raise ProjectError(f"cannot write {path}: {exc}") from None
    return len(frame)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` in which no text cell starts like a spreadsheet formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading
    apostrophe (``=1+1`` -> ``'=1+1``), unless it is only a signed number (``-12.5``, an E.164
    phone ``+8613812345678``), which no spreadsheet runs as a formula. Non-text cells are kept.

    Example:
        >>> neutralise_formulas(pd.DataFrame({"a": ["=1+1", "-3", "ok"]}))["a"].tolist()
        ["'=1+1", '-3', 'ok']
    """
    safe = frame.copy()
    for column in safe.columns:
        values = safe[column]
        if values.dtype == "object" or pd.api.types.is_string_dtype(values.dtype):
            safe[column] = values.map(_neutralised).astype(values.dtype)
    return safe


def _neutralised(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return value if _PLAIN_NUMBER.fullmatch(value) else "'" + value
    return value


def json_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of `frame` as dicts of plain Python values (missing values as None)."""
    plain = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k): json_value(v) if v is not None else None for k, v in row.items()}
        for row in plain.to_dict(orient="records")
    ]


def json_value(value: Any) -> Any:
    """A value JSON can hold: dates as ISO text, numpy scalars and arrays as Python ones."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return value.tolist()
    if isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def _flat_lists(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns holding lists (or arrays) as text joined by ``|``; other columns as they are."""
    flat = frame.copy()
    for column in flat.columns:
        values = flat[column]
        if values.dtype == "object" and values.map(_is_list).any():
            flat[column] = values.map(lambda v: "|".join(map(str, v)) if _is_list(v) else v)
    return flat


def _is_list(value: object) -> bool:
    return hasattr(value, "__len__") and not isinstance(value, str | bytes | dict)
