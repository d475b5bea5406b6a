"""Privacy by design: PII classes, masking, consent, forget, k-anonymity (DESIGN.md section 9)."""

from __future__ import annotations
