"""The `persona` command: thin typer commands over the library (DESIGN.md section 8).

Every command takes `--project DIR` and `--json`. Exit codes: 0 success, 1 a user error (a clear
message, no traceback), 2 a usage error. Commands live in `data` (the pipeline), `identity`
and `tags`; `common` holds the app, the shared options and the output helpers.
"""

from __future__ import annotations

from persona.cli import data, identity, tags
from persona.cli.common import app, main

__all__ = ["app", "data", "identity", "main", "tags"]
