"""The `persona` command: thin typer commands over the library (DESIGN.md section 8).

Every command takes `--project DIR` and `--json`. Exit codes: 0 success, 1 a user error (a clear
message, no traceback), 2 a usage error. Commands live in `data` (the pipeline), `identity`,
`tags`, `segments`, `report` (persona cards and the report) and `privacy` (forget, audit);
`common` holds the app, the shared options and the output helpers.
"""

from __future__ import annotations

from persona.cli import audience, data, identity, privacy, report, segments, tags
from persona.cli.common import app, main

__all__ = ["app", "audience", "data", "identity", "main", "privacy", "report", "segments", "tags"]
