"""Reports and user-facing text: persona cards, charts, HTML/PDF reports, i18n (zh-CN, en)."""

from __future__ import annotations
