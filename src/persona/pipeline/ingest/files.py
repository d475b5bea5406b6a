"""Finding a source's files, telling their format, and sniffing a CSV's dialect."""

from __future__ import annotations

import csv
import glob
import hashlib
import re
from pathlib import Path

from persona.config import Source
from persona.engine.base import CsvDialect
from persona.model.errors import SourceError

FORMATS_BY_SUFFIX = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_DELIMITERS = ",\t;|"


def source_files(source: Source, project_dir: Path) -> list[Path]:
    """Return the files of a file source: one file, every data file of a folder, or a glob.

    Files come in name order, so daily exports load oldest first.

    Raises:
        SourceError: when nothing matches.
    """
    assert source.path is not None
    pattern = Path(source.path)
    if not pattern.is_absolute():
        pattern = project_dir / pattern
    if glob.has_magic(str(pattern)):
        files = sorted(Path(p) for p in glob.glob(str(pattern), recursive=True))
        files = [p for p in files if p.is_file()]
        if not files:
            raise SourceError(
                f"source {source.name!r}: no file matches {source.path!r} "
                f"(looked in {pattern.parent}); check `path:`"
            )
        return files
    if pattern.is_dir():
        files = sorted(p for p in pattern.iterdir() if p.suffix.lower() in FORMATS_BY_SUFFIX)
        if not files:
            raise SourceError(
                f"source {source.name!r}: folder {pattern} has no data files "
                f"({', '.join(sorted(FORMATS_BY_SUFFIX))}); check `path:`"
            )
        return files
    if not pattern.exists():
        raise SourceError(
            f"source {source.name!r}: file {pattern} does not exist; check `path:` in "
            "persona.yaml (relative paths start at the project folder)"
        )
    return [pattern]


def file_format(source: Source, path: Path) -> str:
    """Return the format of one file: the configured one, or the one its suffix says."""
    if source.format != "auto":
        return source.format
    found = FORMATS_BY_SUFFIX.get(path.suffix.lower())
    if found is None:
        raise SourceError(
            f"source {source.name!r}: cannot tell the format of {path} from its suffix "
            f"{path.suffix!r}; set `format:` to one of csv, tsv, parquet, json, jsonl, xlsx"
        )
    return found


def content_hash(path: Path) -> str:
    """Return the SHA-256 of a file's bytes, read in blocks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def sniff_csv(
    path: Path,
    encoding: str,
    *,
    fmt: str,
    delimiter: str | None = None,
    header: bool | None = None,
) -> tuple[CsvDialect, list[str]]:
    """Work out a delimited file's delimiter, header and column names from its start.

    Returns:
        The dialect, and the header names that occur more than once (renamed with _2, _3 ...).

    Raises:
        SourceError: for an empty file.
    """
    with path.open("rb") as handle:
        raw = handle.read(256 * 1024)
    text = raw.decode(encoding, errors="replace").lstrip("\ufeff")
    if not text.strip():
        raise SourceError(
            f"{path}: the file is empty (no header, no rows); the export probably failed, "
            "re-export it or remove it from the source"
        )
    sample = text if len(raw) < 256 * 1024 else text[: text.rfind("\n") + 1] or text
    if delimiter is None:
        delimiter = "\t" if fmt == "tsv" else _sniff_delimiter(sample)
    rows = list(csv.reader(sample.splitlines()[:50], delimiter=delimiter))
    first = rows[0] if rows else []
    if header is None:
        header = _looks_like_header(first, rows[1:])
    if header:
        names, duplicates = _unique_names([c.strip() for c in first])
    else:
        names, duplicates = [f"column_{i + 1}" for i in range(len(first))], []
    return CsvDialect(delimiter, header, tuple(names)), duplicates


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample[:65536], delimiters=_DELIMITERS).delimiter
    except csv.Error:
        line = sample.splitlines()[0] if sample else ""
        counts = {d: line.count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


_NUMBERISH = re.compile(r"^[\s+\-¥$]*[\d.,:/\-\s]+$")


def _looks_like_header(first: list[str], rest: list[list[str]]) -> bool:
    """A first row of distinct, non-empty, non-numeric names is a header.

    The first name may be empty: R's write.csv and pandas' to_csv write a row-name column so.
    """
    names = first[1:] if first and not first[0].strip() else first
    if not names or any(not c.strip() for c in names):
        return False
    if any(_NUMBERISH.match(c) for c in names):
        return False
    return not (rest and all(first == r for r in rest[:3]))


def _unique_names(names: list[str]) -> tuple[list[str], list[str]]:
    seen: dict[str, int] = {}
    out: list[str] = []
    duplicates: list[str] = []
    for i, name in enumerate(names):
        name = name or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            if name not in duplicates:
                duplicates.append(name)
            out.append(f"{name}_{seen[name]}")
        else:
            seen[name] = 1
            out.append(name)
    return out, duplicates


def snake_case(name: str) -> str:
    """Return the snake_case attribute name of a source column (Chinese is kept as is).

    Example:
        >>> snake_case("Member Level")
        'member_level'
        >>> snake_case("会员等级")
        '会员等级'
    """
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    name = re.sub(r"[^\w]+", "_", name, flags=re.UNICODE).strip("_").lower()
    return name or "column"
