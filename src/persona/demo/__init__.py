"""Realistic demo data with planted archetypes and ground truth (`persona demo-data`).

Example:
    >>> from persona.demo import generate_demo
    >>> summary = generate_demo(Path("demo"), customers=2000, seed=7, lang="zh")  # doctest: +SKIP
"""

from __future__ import annotations

from persona.demo.generate import DemoSummary, generate_demo

__all__ = ["DemoSummary", "generate_demo"]
