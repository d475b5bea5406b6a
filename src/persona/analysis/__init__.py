"""Analysis over a built project: audiences (precise positioning, docs/audiences.md)."""

from __future__ import annotations
