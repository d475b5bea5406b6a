"""Vectorised text building on Arrow string arrays: ids, numbers, dates, phones, CSV lines.

Every function works on whole columns at once; nothing loops over rows in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Str = Any
"""An Arrow string array or scalar string (pyarrow ships without type hints)."""

_ALPHABET = np.array(list("0123456789abcdefghijklmnopqrstuv"))
_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def mix64(values: np.ndarray, salt: int | np.ndarray) -> np.ndarray:
    """Hash integers to well-spread uint64 values (splitmix64), deterministic for a salt.

    Example:
        >>> int(mix64(np.array([1]), 7)[0]) == int(mix64(np.array([1]), 7)[0])
        True
    """
    with np.errstate(over="ignore"):
        seed = np.asarray(salt).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = np.asarray(values).astype(np.uint64) + seed
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return np.asarray((z ^ (z >> np.uint64(31))) & _MASK64, dtype=np.uint64)


def base32(values: np.ndarray, width: int) -> Str:
    """Render uint64 values as `width` lowercase base-32 characters (0-9, a-v)."""
    digits = np.stack(
        [(values >> np.uint64(5 * k)) & np.uint64(31) for k in range(width)], axis=1
    ).astype(np.intp)
    chars = np.ascontiguousarray(_ALPHABET[digits])
    return pa.array(chars.view(f"<U{width}").ravel())


def num(values: np.ndarray, width: int = 0) -> Str:
    """Render integers as decimal strings, zero-padded to `width`."""
    text = pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string())
    return pc.utf8_lpad(text, width=width, padding="0") if width else text


def money(cents: np.ndarray) -> Str:
    """Render integer cents as ``1234.50``."""
    cents = np.asarray(cents, dtype=np.int64)
    return join(num(cents // 100), ".", num(cents % 100, 2))


def thousands(cents: np.ndarray) -> Str:
    """Render integer cents as ``1,234.50`` (values below 1000 have no separator)."""
    cents = np.asarray(cents, dtype=np.int64)
    yuan = cents // 100
    grouped = join(num(yuan // 1000), ",", num(yuan % 1000, 3))
    head = pc.if_else(pa.array(yuan >= 1000), grouped, num(yuan))
    return join(head, ".", num(cents % 100, 2))


def pick(options: Sequence[str], index: np.ndarray) -> Str:
    """Return `options[index]` for every index, as an Arrow string array."""
    return pa.array(list(options), type=pa.string()).take(pa.array(np.asarray(index, np.int64)))


def join(*parts: Str, skip_nulls: bool = False) -> Str:
    """Concatenate string arrays and literal strings element-wise.

    Args:
        *parts: Arrow string arrays of one length, or Python strings repeated on every row.
        skip_nulls: Leave out null parts instead of making the whole result null.

    Returns:
        One Arrow string array.
    """
    handling = "skip" if skip_nulls else "emit_null"
    return pc.binary_join_element_wise(*parts, "", null_handling=handling)


def where(mask: np.ndarray, yes: Str, no: Str) -> Str:
    """Choose `yes` where `mask` holds, else `no` (arrays or scalars)."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), yes, no)


def nulls_where(mask: np.ndarray, values: Str) -> Str:
    """Return `values` with nulls where `mask` holds."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), pa.scalar(None, pa.string()), values)


def full_width(values: Str) -> Str:
    """Turn ASCII digits, plus and minus into their full-width forms (０１２...)."""
    for ascii_char, wide in zip("0123456789+-", "０１２３４５６７８９＋－", strict=True):
        values = pc.replace_substring(values, ascii_char, wide)
    return values


def phone_text(digits: np.ndarray, style: np.ndarray) -> Str:
    """Render 11-digit mobile numbers in one of seven real-world styles per row.

    Styles: 0 ``13812345678``, 1 ``138-1234-5678``, 2 ``+86 138 1234 5678``,
    3 ``0086 13812345678``, 4 ``+8613812345678``, 5 ``138 1234 5678``, 6 full-width digits.
    """
    raw = num(digits)
    a = pc.utf8_slice_codeunits(raw, 0, 3)
    b = pc.utf8_slice_codeunits(raw, 3, 7)
    c = pc.utf8_slice_codeunits(raw, 7, 11)
    options = [
        raw,
        join(a, "-", b, "-", c),
        join("+86 ", a, " ", b, " ", c),
        join("0086 ", raw),
        join("+86", raw),
        join(a, " ", b, " ", c),
        full_width(raw),
    ]
    return pc.choose(pa.array(np.asarray(style, dtype=np.int8)), *options)


def date_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split datetime64[D] values into year, month and day integer arrays."""
    days = days.astype("datetime64[D]")
    years = days.astype("datetime64[Y]")
    months = days.astype("datetime64[M]")
    year = years.astype(np.int64) + 1970
    month = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    day = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def date_text(days: np.ndarray, style: np.ndarray | None = None) -> Str:
    """Render dates in one of four styles per row (ISO when `style` is None).

    Styles: 0 ``1990-01-05``, 1 ``1990/1/5``, 2 ``1990年1月5日``, 3 ``19900105``.
    """
    days = np.asarray(days).astype("datetime64[D]")
    if style is None:
        return pa.array(np.datetime_as_string(days, unit="D"))

    def iso(rows: np.ndarray) -> Str:
        return pa.array(np.datetime_as_string(days[rows], unit="D"))

    def slash(rows: np.ndarray) -> Str:
        y, m, d = date_parts(days[rows])
        return join(num(y), "/", num(m), "/", num(d))

    def chinese(rows: np.ndarray) -> Str:
        y, m, d = date_parts(days[rows])
        return join(num(y), "年", num(m), "月", num(d), "日")

    def compact(rows: np.ndarray) -> Str:
        y, m, d = date_parts(days[rows])
        return join(num(y), num(m, 2), num(d, 2))

    return by_case(np.asarray(style), [iso, slash, chinese, compact])


def by_case(case: np.ndarray, builders: Sequence[Callable[[np.ndarray], Str]]) -> Str:
    """Build each row with the builder its case selects, running each builder only on its rows.

    Args:
        case: The builder index of every row.
        builders: Functions from row positions to an Arrow string array (or scalar) for them.

    Returns:
        One Arrow string array in row order.
    """
    case = np.asarray(case, dtype=np.int64)
    order = np.argsort(case, kind="stable")
    bounds = np.searchsorted(case[order], np.arange(len(builders) + 1))
    pieces = []
    for index, build in enumerate(builders):
        rows = order[bounds[index] : bounds[index + 1]]
        if len(rows):
            piece = build(rows)
            if isinstance(piece, pa.Scalar):
                piece = pa.array([piece.as_py()] * len(rows), pa.string())
            pieces.append(piece)
    if not pieces:
        return pa.array([], pa.string())
    inverse = np.empty(len(case), dtype=np.int64)
    inverse[order] = np.arange(len(case))
    return pa.concat_arrays(pieces).take(pa.array(inverse))


@cache
def _clock_table() -> Str:
    second = np.arange(86400)
    return join(num(second // 3600, 2), ":", num(second // 60 % 60, 2), ":", num(second % 60, 2))


def clock(seconds_of_day: np.ndarray) -> Str:
    """Render seconds since midnight as ``HH:MM:SS``."""
    return _clock_table().take(pa.array(np.asarray(seconds_of_day, dtype=np.int64)))


def datetime_text(seconds: np.ndarray, sep: str = " ") -> Str:
    """Render local epoch seconds (naive local time as int) as ``2026-10-31 22:15:03``."""
    seconds = np.asarray(seconds, dtype=np.int64)
    return join(date_text(seconds // 86400), sep, clock(seconds % 86400))


def slash_datetime_text(seconds: np.ndarray) -> Str:
    """Render local epoch seconds as ``2026/10/31 22:15`` (no seconds, no padding)."""
    seconds = np.asarray(seconds, dtype=np.int64)
    hhmm = pc.utf8_slice_codeunits(clock(seconds % 86400), 0, 5)
    return join(date_text(seconds // 86400, np.ones(len(seconds), np.int8)), " ", hhmm)


def csv_field(values: Str) -> Str:
    """Quote values that hold a comma, quote or line break, as CSV requires."""
    values = pc.fill_null(values, "")
    needs = pc.match_substring_regex(values, '[,"\\r\\n]')
    quoted = join('"', pc.replace_substring(values, '"', '""'), '"')
    return pc.if_else(needs, quoted, values)


def csv_lines(columns: Sequence[Str]) -> Str:
    """Join columns into CSV lines (without line ends), quoting where needed."""
    fields = [csv_field(c) for c in columns]
    return pc.binary_join_element_wise(*fields, ",")


def xml_escape(values: Str) -> Str:
    """Escape ``&``, ``<`` and ``>`` for XML text."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        values = pc.replace_substring(values, char, entity)
    return values


def write_lines(handle: IO[bytes], lines: Str, newline: str = "\n", encoding: str = "") -> int:
    """Write every line plus `newline` to a binary file; return the number of lines.

    Args:
        handle: A file opened in binary mode.
        lines: Arrow string array without nulls.
        newline: The line end to add after every line.
        encoding: Re-encode the UTF-8 text to this codec (e.g. ``gbk``); empty keeps UTF-8.
    """
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    if len(lines) == 0:
        return 0
    ended = pc.binary_join_element_wise(lines, newline, "").cast(pa.large_string())
    offsets = np.frombuffer(ended.buffers()[1], dtype=np.int64)
    start, end = int(offsets[ended.offset]), int(offsets[ended.offset + len(ended)])
    data = ended.buffers()[2].slice(start, end - start)
    if encoding:
        handle.write(data.to_pybytes().decode("utf-8").encode(encoding))
    else:
        handle.write(memoryview(data))
    return len(lines)
