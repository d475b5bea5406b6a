"""Persona: an open-source customer persona engine (客户画像引擎).

Example:
    >>> import persona
    >>> project = persona.Project.open("shop")  # doctest: +SKIP
"""

from __future__ import annotations

from persona.model.errors import PersonaError
from persona.project import BuildResult, Project

__version__ = "0.1.0"
__all__ = ["BuildResult", "PersonaError", "Project", "__version__"]
