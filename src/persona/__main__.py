"""`python -m persona` runs the CLI."""

from __future__ import annotations

from persona.cli import main

main()
