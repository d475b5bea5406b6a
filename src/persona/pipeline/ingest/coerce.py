"""Type coercion of raw text into canonical field types, as engine SQL (DuckDB dialect).

Each function takes the SQL of a text value and returns the SQL of the typed value, NULL when
the text cannot be read as that type. A non-empty text whose typed value is NULL is a bad value
and sends its row to quarantine with the reason from `REASONS`.
"""

from __future__ import annotations

from persona.model.kinds import FieldType

_DATE_FORMATS = (
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y年%m月%d日",
    "%Y年%m月%d号",
    "%Y%m%d",
)
_TIME_SUFFIXES = (
    "",
    " %H:%M:%S",
    " %H:%M",
    " %H:%M:%S.%f",
    "T%H:%M:%S",
    " %H时%M分%S秒",
    " %H时%M分",
)

_TRUE = ("1", "true", "t", "yes", "y", "on", "是", "同意", "已同意", "允许", "√")
_FALSE = ("0", "false", "f", "no", "n", "off", "否", "不同意", "拒绝", "不允许", "×")


def _sql_list(values: tuple[str, ...]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _strptime_formats(day_first: bool) -> str:
    slashed = "%d/%m/%Y" if day_first else "%m/%d/%Y"
    formats = tuple(d + t for d in (*_DATE_FORMATS, slashed) for t in _TIME_SUFFIXES)
    return "[" + _sql_list(formats) + "]"


SLASHED_DATE = r"^\s*(\d{1,2})/(\d{1,2})/\d{4}"
"""A date written day and month first with slashes: 12/1/2010 (US) or 1/12/2010 (Europe)."""


def coerce(value: str, field_type: FieldType, *, day_first: bool = False) -> str:
    """Return SQL that reads the text `value` as `field_type` (NULL if it cannot).

    Args:
        value: SQL of a text value.
        field_type: The type to read it as.
        day_first: Read dates like 1/12/2010 as 1 December (else as January 12, the US way).

    Example:
        >>> coerce("x", FieldType.TEXT)
        "nullif(x, '')"
    """
    text = f"nullif({value}, '')"
    trimmed = f"nullif(trim({value}), '')"
    match field_type:
        case FieldType.TEXT:
            return text
        case FieldType.JSON:
            return f"case when json_valid({text}) then {text} end"
        case FieldType.NUMBER:
            return (
                f"try_cast(regexp_replace({trimmed}, '^[¥￥$€£]|[,，\\s]|元$', '', 'g') as double)"
            )
        case FieldType.INTEGER:
            number = coerce(value, FieldType.NUMBER)
            return f"case when {number} = round({number}) then {number}::bigint end"
        case FieldType.BOOLEAN:
            lowered = f"lower({trimmed})"
            return (
                f"case when {lowered} in ({_sql_list(_TRUE)}) then true "
                f"when {lowered} in ({_sql_list(_FALSE)}) then false end"
            )
        case FieldType.DATE:
            return (
                f"coalesce(try_cast({trimmed} as date), "
                f"try_strptime({trimmed}, {_strptime_formats(day_first)})::date, "
                f"try_cast(try_cast({trimmed} as timestamptz) as date), "
                f"{_excel_serial(trimmed)}::date)"
            )
        case FieldType.TIMESTAMP:
            epoch = f"try_cast({trimmed} as double)"
            # The plain cast first: it reads the common ISO forms and costs least.
            return (
                f"coalesce(try_cast({trimmed} as timestamptz), "
                f"case when regexp_full_match({trimmed}, '\\d{{13}}(\\.\\d*)?') "
                f"then to_timestamp({epoch} / 1000) "
                f"when regexp_full_match({trimmed}, '\\d{{9,10}}(\\.\\d*)?') "
                f"then to_timestamp({epoch}) end, "
                f"try_strptime({trimmed}, {_strptime_formats(day_first)})::timestamptz, "
                f"{_excel_serial(trimmed)}::timestamptz)"
            )
    raise AssertionError(field_type)


def _excel_serial(text: str) -> str:
    """SQL of an Excel serial date (days since 1899-12-30, 10000-99999, maybe with a time)."""
    return (
        f"case when regexp_full_match({text}, '[1-9]\\d{{4}}(\\.\\d+)?') "
        f"then timestamp '1899-12-30' + to_microseconds("
        f"(try_cast({text} as double) * 86400000000)::bigint) end"
    )


REASONS = {
    FieldType.NUMBER: (
        "is not a number; write it like 1234.50 (¥ and thousands separators are fine)"
    ),
    FieldType.INTEGER: "is not a whole number",
    FieldType.BOOLEAN: "is not a yes/no value; use 1/0, true/false, yes/no or 是/否",
    FieldType.DATE: (
        "is not a date; use 2023-01-05, 2023/1/5, 2023年1月5日, 20230105 or an Excel date number"
    ),
    FieldType.TIMESTAMP: (
        "is not a timestamp; use ISO 8601 (2023-01-05 10:00:00, with or without a zone), "
        "2023/1/5 10:00, 2023年1月5日, or epoch seconds/milliseconds"
    ),
    FieldType.JSON: "is not valid JSON",
}
