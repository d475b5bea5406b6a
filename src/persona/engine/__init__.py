"""The engine seam: the only package that touches a database engine (DESIGN.md section 6)."""

from __future__ import annotations
