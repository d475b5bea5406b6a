"""Planted defects and the counts an ingester is expected to report (truth/quarantine.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

DEFECT_SHARE = 0.0003
"""Share of a source's rows planted per defect class (at least `minimum` rows each)."""


def planted(rows: int, minimum: int = 2, share: float = DEFECT_SHARE) -> int:
    """Return how many rows of one defect class to plant in a source of `rows` rows.

    Example:
        >>> planted(2000), planted(1_000_000)
        (2, 300)
    """
    return max(minimum, round(rows * share))


@dataclass
class SourceLedger:
    """Expected ingest counts of one source, and where each planted defect is."""

    received: int = 0
    skipped: int = 0
    defects: dict[str, int] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def quarantined(self) -> int:
        """Rows expected in quarantine: one per planted defect."""
        return sum(self.defects.values())


class QuarantineLedger:
    """Collects, per source, rows received, duplicates skipped and defects planted."""

    def __init__(self) -> None:
        self.sources: dict[str, SourceLedger] = {}

    def source(self, name: str) -> SourceLedger:
        """Return (creating if needed) the ledger of a source."""
        return self.sources.setdefault(name, SourceLedger())

    def receive(self, name: str, rows: int) -> None:
        """Count `rows` data records written to a source's files."""
        self.source(name).received += rows

    def skip(self, name: str, rows: int) -> None:
        """Count `rows` exact copies of rows that an earlier file of the source holds."""
        self.source(name).skipped += rows

    def plant(self, name: str, defect: str, file: str, lines: Any, values: Any) -> None:
        """Record planted defect rows of one class.

        Args:
            name: The source name.
            defect: The defect class, e.g. ``bad_date``.
            file: The file, relative to the project folder.
            lines: Where each row is: the line in a text file (header = line 1), the sheet row
                in a workbook (header = row 1), or the 1-based row number in a parquet file.
            values: The offending value of each row (for reading, not for matching).
        """
        ledger = self.source(name)
        lines = [int(x) for x in lines]
        ledger.defects[defect] = ledger.defects.get(defect, 0) + len(lines)
        ledger.rows.extend(
            {"file": file, "line": line, "defect": defect, "value": str(value)}
            for line, value in zip(lines, list(values), strict=True)
        )

    def to_json(self) -> dict[str, Any]:
        """Return the quarantine.json document."""
        return {
            "sources": {
                name: {
                    "received": s.received,
                    "quarantined": s.quarantined,
                    "skipped": s.skipped,
                    "loaded": s.received - s.quarantined - s.skipped,
                    "defects": dict(sorted(s.defects.items())),
                    "rows": sorted(s.rows, key=lambda r: (r["file"], r["line"])),
                }
                for name, s in self.sources.items()
            }
        }

    def write(self, path: Path) -> None:
        """Write quarantine.json."""
        text = json.dumps(self.to_json(), ensure_ascii=False, indent=1)
        path.write_text(text + "\n", encoding="utf-8")


class DayPlanner:
    """Spreads each defect class's planted rows over the days of a day-by-day writer.

    Rows a day cannot hold (too few candidates) carry over to the next day.
    """

    def __init__(self, rng: np.random.Generator, counts: dict[str, int], days: int) -> None:
        self._rng = rng
        self._plan = {c: rng.multinomial(n, np.full(days, 1 / days)) for c, n in counts.items()}
        self._carry = dict.fromkeys(counts, 0)

    def take(self, day: int, candidates: int) -> dict[str, np.ndarray]:
        """Return distinct candidate positions (0-based) to spoil today, per defect class."""
        wanted = {c: int(plan[day]) + self._carry[c] for c, plan in self._plan.items()}
        picked = self._rng.permutation(candidates)[: sum(wanted.values())]
        result: dict[str, np.ndarray] = {}
        for defect, count in wanted.items():
            result[defect], picked = np.sort(picked[:count]), picked[count:]
            self._carry[defect] = count - len(result[defect])
        return result
