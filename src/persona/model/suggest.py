"""Did-you-mean suggestions for misspelt names."""

from __future__ import annotations

import difflib


def did_you_mean(word: str, choices: list[str]) -> str:
    """Return "; did you mean 'x'?" for the closest choice, or "" when none is close.

    Example:
        >>> did_you_mean("colums", ["columns", "path"])
        "; did you mean 'columns'?"
    """
    match = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not match:
        lowered = {c.lower(): c for c in choices}
        match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
        match = [lowered[m] for m in match]
    return f"; did you mean {match[0]!r}?" if match else ""
