"""The README's promises: the two commands first, every setting documented, CI runs its test command."""

from __future__ import annotations

from pathlib import Path

from assistant.settings import Settings

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_first_lines_are_the_two_commands():
    head = README.splitlines()[:4]
    assert any(line.startswith("./scripts/start.sh") for line in head)
    assert any(line.startswith("./scripts/test.sh") for line in head)


def test_every_setting_is_in_the_settings_table():
    for name in Settings.model_fields:
        assert f"`ASSISTANT_{name.upper()}`" in README, name


def test_ci_runs_the_readme_test_command():
    assert "./scripts/test.sh" in (ROOT / ".ci" / "run").read_text()
