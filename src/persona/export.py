"""Writing tables out for people: CSV for Excel, xlsx, JSON lines, parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from persona.model.errors import ProjectError

FORMATS = (".csv", ".xlsx", ".jsonl", ".ndjson", ".parquet")


def write_frame(frame: pd.DataFrame, path: Path, fmt: str | None = None) -> int:
    """Write a DataFrame by `fmt` (csv, xlsx, jsonl, parquet) or else its file suffix.

    Returns the number of rows written.

    CSV is UTF-8 with a byte-order mark, so Excel opens Chinese text correctly; in CSV and
    xlsx a list (keywords, several keys) is one cell with its items joined by ``|``.

    Raises:
        ProjectError: for an unknown suffix or a path that cannot be written.
    """
    suffix = f".{fmt}" if fmt else path.suffix.lower()
    if suffix not in FORMATS:
        raise ProjectError(
            f"cannot export to {path}: unknown suffix {suffix!r}; "
            "use .csv, .xlsx, .jsonl or .parquet"
        )
    if suffix in (".csv", ".xlsx"):
        frame = _flat_lists(frame)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            frame.to_csv(path, index=False, encoding="utf-8-sig")
        elif suffix == ".xlsx":
            frame.to_excel(path, index=False)
        elif suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            frame.to_json(path, orient="records", lines=True, force_ascii=False)
    except OSError as exc:
        raise ProjectError(f"cannot write {path}: {exc}") from None
    return len(frame)


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
