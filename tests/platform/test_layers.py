"""The layering is a contract that the suite checks (pyproject.toml, ``[tool.importlinter]``):
each app imports only from the apps below it, so telephony never reaches up into routing and
routing never into the apps that will sit above it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = (
    "coverage_platform",
    "foundation",
    "tenancy",
    "scheduling",
    "telephony",
    "routing",
    "intake",
)


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_code_keeps_the_layers_contract() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_breaks_the_contract(tmp_path: Path) -> None:
    # If the contract lost a layer or stopped being checked, this planted import would pass.
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "telephony" / "planted.py").write_text("from routing import engine  # noqa\n")

    result = _lint_imports(tmp_path)

    assert result.returncode == 1
    assert "telephony is not allowed to import routing" in result.stdout
    assert "telephony.planted -> routing.engine" in result.stdout
