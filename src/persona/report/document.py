"""Write the persona report to a file: HTML (self-contained) or PDF, in Chinese or English.

Example:
    >>> from persona import Project
    >>> with Project.open("shop") as project:                # doctest: +SKIP
    ...     project.report("out/report.pdf", lang="en")
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from persona.model.errors import ProjectError
from persona.report.labels import Lang

if TYPE_CHECKING:
    from persona.project import Project

FORMATS = ("html", "pdf")


def report_path(
    project: Project, path: Path | None, fmt: str | None, lang: Lang
) -> tuple[Path, str]:
    """Where the report goes and in which format.

    The format is `fmt`, else the file's suffix, else html; the default file is
    ``out/persona-report-<lang>.<format>`` in the project folder.

    Raises:
        ProjectError: for an unknown format, or a suffix that contradicts it.
    """
    suffix = path.suffix.lower().lstrip(".") if path is not None else ""
    chosen = (fmt or (suffix if suffix in FORMATS else "html")).lower()
    if chosen not in FORMATS:
        raise ProjectError(f"unknown report format {fmt!r}; use html or pdf")
    if path is None:
        return project.root / "out" / f"persona-report-{lang}.{chosen}", chosen
    if suffix in FORMATS and suffix != chosen:
        raise ProjectError(
            f"{path} ends in .{suffix} but the format is {chosen}; change the file name or --format"
        )
    return path, chosen


def write_report(
    project: Project, path: Path | None = None, fmt: str | None = None, lang: Lang = "zh"
) -> Path:
    """Write the report; return the file written (see `report_path` for the defaults).

    Raises:
        ProjectError: before the segments stage has run, for an unknown format, or when the
            file cannot be written.
    """
    from persona.report.html import render_html

    target, chosen = report_path(project, path, fmt, lang)
    html = render_html(project, lang)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ProjectError(f"cannot create {target.parent}: {exc}") from None
    if chosen == "pdf":
        from persona.report.pdf import write_pdf

        write_pdf(html, target)
    else:
        try:
            target.write_text(html, encoding="utf-8")
        except OSError as exc:
            raise ProjectError(f"cannot write {target}: {exc}") from None
    return target
