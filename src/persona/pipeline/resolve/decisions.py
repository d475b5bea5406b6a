"""Human identity decisions, kept in the project folder so that they survive any rebuild.

`identity-decisions.jsonl` holds one JSON object per decision: the action (``link`` or
``split``), the references as the person typed them, the graph nodes they named then, and when.
At every build the references are looked up again in the new graph (so a decision still applies
after the store was deleted and rebuilt from the sources); the remembered nodes are the fallback.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from persona.model.errors import ProjectError

DECISIONS_FILE = "identity-decisions.jsonl"


@dataclass(frozen=True)
class Decision:
    """One human decision about identities."""

    action: str
    ref1: str
    ref2: str | None
    nodes: tuple[str, ...]
    made_at: str


def load_decisions(project_dir: Path) -> list[Decision]:
    """Every decision recorded in the project, oldest first.

    Raises:
        ProjectError: when a line of the file is not a decision.
    """
    path = project_dir / DECISIONS_FILE
    if not path.is_file():
        return []
    decisions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            decisions.append(
                Decision(
                    action=str(data["action"]),
                    ref1=str(data["ref1"]),
                    ref2=None if data.get("ref2") is None else str(data["ref2"]),
                    nodes=tuple(str(n) for n in data.get("nodes", [])),
                    made_at=str(data.get("made_at", "")),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ProjectError(
                f"{path}, line {number}: not a decision ({exc}); fix or remove the line"
            ) from None
    return decisions


def append_decision(
    project_dir: Path, action: str, ref1: str, ref2: str | None, nodes: list[str]
) -> int:
    """Append a decision to the project's file; return its number (1 for the first)."""
    decision = Decision(action, ref1, ref2, tuple(nodes), datetime.now(UTC).isoformat())
    path = project_dir / DECISIONS_FILE
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(decision), ensure_ascii=False) + "\n")
    return len(load_decisions(project_dir))
