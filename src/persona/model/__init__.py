"""Pure domain model: data kinds, canonical fields, errors. Imports nothing else of the project."""

from __future__ import annotations
