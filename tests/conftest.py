"""Shared fixtures: the shipped samples, and copies of them that tests may break."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
AS_OF = dt.date(2026, 11, 23)  # the samples' "today": warnings depend on it


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*.txt from the current templates instead of comparing with them",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(autouse=True)
def send_log(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own school send log (SENFORMS_SEND_LOG), never the real one in the user's data folder."""
    path = tmp_path_factory.mktemp("send-log") / "send-log.jsonl"
    monkeypatch.setenv("SENFORMS_SEND_LOG", str(path))
    return path


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """A private copy of samples/ (workbook, JSON, CSV, evidence) that a test may change."""
    target = tmp_path / "samples"
    shutil.copytree(SAMPLES, target)
    return target


@pytest.fixture(scope="session")
def sample_register():
    from senforms.inputs import load_register

    return load_register(SAMPLES / "register.xlsx", as_of=AS_OF).register


def sample_json(tmp_path: Path, change=None) -> Path:  # noqa: ANN001
    """samples/register.json copied into tmp_path, changed first by `change` (given the parsed data)."""
    data = json.loads((SAMPLES / "register.json").read_text(encoding="utf-8"))
    if change is not None:
        change(data)
    path = tmp_path / "register.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
