"""The set-up scripts: CI installs what the README's set-up installs, and runs the README's tests."""

from __future__ import annotations

import re

from .conftest import ROOT


def ci_packages() -> set[str]:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(line for line in script.splitlines() if "apt-get install" in line)
    return {word for word in line.split("apt-get install", 1)[1].split() if not word.startswith("-")}


def setup_packages() -> set[str]:
    script = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    block = re.search(r"PACKAGES=\((.*?)\n\)", script, re.S).group(1)
    return {line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()}


def test_ci_installs_libreoffice_and_the_same_packages_as_the_readme_set_up():
    assert {"libreoffice-writer-nogui", "python3-uno", "fonts-crosextra-carlito", "fonts-noto-cjk"} <= ci_packages()
    assert ci_packages() == setup_packages()


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```\n(.*?)\n```", readme, re.S)
    assert commands[:2] == ["bash scripts/setup.sh && .venv/bin/senforms demo", ".venv/bin/python -m pytest"]
    ci_lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci_lines[-1] == commands[1]
    # the README's set-up, then ruff and the type checker, then the tests
    setup, ruff, mypy = (ci_lines.index(line) for line in ("bash scripts/setup.sh", ".venv/bin/ruff check src tests tools benchmarks", ".venv/bin/mypy"))
    assert setup < ruff < len(ci_lines) - 1 and setup < mypy < len(ci_lines) - 1


def test_readme_layout_names_every_module_and_few_stay_at_the_top():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") : readme.index("Exit codes:")]
    package = ROOT / "src" / "senforms"
    unnamed = [str(p.relative_to(package)) for p in package.rglob("*.py") if p.stem != "__init__" and not re.search(rf"\b{re.escape(p.stem)}\b", layout)]
    assert unnamed == []
    top = sorted(p.name for p in package.glob("*.py"))
    assert len(top) <= 6, top  # the rest live in the pipeline's stages
