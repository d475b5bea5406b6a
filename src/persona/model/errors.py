"""The error hierarchy: every error Persona raises on purpose derives from `PersonaError`.

A `PersonaError` is a user's mistake or an environment problem that the user can fix; the CLI
prints its message (one paragraph, no traceback) and exits 1.
"""

from __future__ import annotations


class PersonaError(Exception):
    """Root of every error Persona raises for the user to act on."""


class ConfigError(ValueError, PersonaError):
    """persona.yaml (or another definition file) is invalid; the message lists every problem."""


class ProjectError(PersonaError):
    """The project folder is missing, not initialised, or cannot be written."""


class StoreError(PersonaError):
    """The store cannot be opened or upgraded."""


class SourceError(PersonaError):
    """A source cannot be read at all (missing file, unknown format, refused connection ...)."""


class MappingError(ValueError, PersonaError):
    """A source's `columns:` mapping does not fit the data it reads."""


class EngineError(PersonaError):
    """The engine failed on a statement; the message carries the SQL that failed."""

    def __init__(self, message: str, sql: str | None = None) -> None:
        self.sql = sql
        super().__init__(f"{message}\nSQL: {sql}" if sql else message)


class UnknownReferenceError(LookupError, PersonaError):
    """A REF (customer id, record or identifier value) names no customer, or several."""
