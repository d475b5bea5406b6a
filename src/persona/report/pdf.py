"""The persona report as PDF: the HTML report laid out for A4 by WeasyPrint.

WeasyPrint finds Noto Sans CJK through fontconfig (Debian fonts-noto-cjk) and embeds the
glyphs it uses, so Chinese text prints and can be searched and copied. It is imported on first
use (it takes about a second).
"""

from __future__ import annotations

import logging
from pathlib import Path

from persona.model.errors import ProjectError


def write_pdf(html: str, path: Path) -> None:
    """Lay out the report's HTML and write it to `path` as PDF.

    Raises:
        ProjectError: when the file cannot be written.
    """
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=html, base_url=str(path.parent))
    try:
        document.write_pdf(path)
    except OSError as exc:
        raise ProjectError(f"cannot write {path}: {exc}") from None
