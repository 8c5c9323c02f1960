"""The documentation's promises: the two commands first, a short README whose links resolve, CI runs
its test command, and an architecture page that names every module."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGES = ("assistant", "index", "bots")


def test_first_lines_are_the_two_commands():
    head = README.splitlines()[:4]
    assert any(line.startswith("./scripts/start.sh") for line in head)
    assert any(line.startswith("./scripts/test.sh") for line in head)


def test_readme_is_short_and_its_links_resolve():
    assert len(README.encode()) <= 12_500
    for page in [ROOT / "README.md", *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:")) or "shared/docs" in target:
                continue
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_ci_runs_the_readme_test_command():
    assert "./scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_architecture_names_every_module():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if path.name == "__init__.py":
                relative = relative.rsplit("/", 1)[0] + "/"
            if relative not in page:
                missing.append(relative)
    assert not missing, f"docs/architecture.md does not name: {missing}"
