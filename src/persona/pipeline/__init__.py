"""Pipeline stages: ingest, clean, resolve, features, tags, segments, models (one module each)."""

from __future__ import annotations
