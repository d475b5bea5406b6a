"""Every CLI command and config key is documented and has help text."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from persona.cli import app
from persona.config import (
    CleaningConfig,
    IdentityConfig,
    LifecycleConfig,
    PersonasConfig,
    PriorityWeights,
    PrivacyConfig,
    ProjectConfig,
    SegmentationConfig,
    SegmentRule,
    Source,
    TaggingConfig,
)
from persona.model.tags import LabelRule, SequenceStep, TagDefinition

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _commands() -> dict[str, object]:
    group = typer.main.get_group(app)
    return dict(group.commands)


def test_every_command_has_help_and_a_section_in_cli_md() -> None:
    cli_md = (DOCS / "cli.md").read_text()
    commands = _commands()
    assert {
        "init",
        "schema",
        "demo-data",
        "ingest",
        "status",
        "quarantine",
        "build",
        "demo",
    } <= set(commands)
    for name, command in commands.items():
        assert getattr(command, "help", None), f"{name} has no help text"
        assert re.search(rf"^## `persona {re.escape(name)}\b", cli_md, re.M), name
        for sub, subcommand in getattr(command, "commands", {}).items():
            assert getattr(subcommand, "help", None), f"{name} {sub} has no help text"
            heading = rf"^## `persona {re.escape(name)} [^`]*\b{re.escape(sub)}\b"
            assert re.search(heading, cli_md, re.M), f"{name} {sub}"


def test_every_option_has_help_and_is_in_cli_md() -> None:
    cli_md = (DOCS / "cli.md").read_text()
    commands = list(_commands().items())
    for name, group in list(commands):
        commands += [(f"{name} {sub}", c) for sub, c in getattr(group, "commands", {}).items()]
    for name, command in commands:
        for param in getattr(command, "params", []):
            if param.param_type_name != "option":
                continue
            assert param.help, f"{name} {param.opts} has no help"
            assert any(opt in cli_md for opt in param.opts), f"{name} {param.opts} undocumented"


def test_every_config_key_is_in_configuration_md() -> None:
    text = "".join(
        (DOCS / name).read_text()
        for name in (
            "configuration.md",
            "cleaning.md",
            "identity.md",
            "tags.md",
            "report.md",
            "segments.md",
        )
    )
    models = (
        ProjectConfig,
        Source,
        CleaningConfig,
        IdentityConfig,
        TaggingConfig,
        LifecycleConfig,
        TagDefinition,
        LabelRule,
        SequenceStep,
        PrivacyConfig,
        PersonasConfig,
        SegmentationConfig,
        SegmentRule,
        PriorityWeights,
    )
    for model in models:
        for key, field in model.model_fields.items():
            assert f"`{key}`" in text, f"{model.__name__}.{key} undocumented"
            assert field.description, f"{model.__name__}.{key} has no description"
