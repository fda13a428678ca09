"""`frontdesk plugin new NAME --package` makes a package that really installs, is found through
its entry point and answers (issue 10 item 7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from frontdesk import cli


def test_scaffolded_package_installs_is_found_and_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["plugin", "new", "teapots", "--package", "--dir", str(tmp_path)]) == 0
    assert "frontdesk-teapots" in capsys.readouterr().out
    root = tmp_path / "frontdesk-teapots"
    assert 'teapots = "frontdesk_teapots:plugin_dirs"' in (root / "pyproject.toml").read_text()

    # A real install, as pip does it for a user, into a folder of its own (no network: the
    # build uses this venv's setuptools, and frontdesk itself is already installed).
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run([*pip, "--target", str(target), str(root)], check=True, capture_output=True)
    installed = target / "frontdesk_teapots" / "teapots"
    assert (installed / "plugin.toml").is_file() and (
        installed / "knowledge" / "about.md"
    ).is_file()

    env = {
        **os.environ,
        "PYTHONPATH": str(target),
        "FRONTDESK_HOME": str(tmp_path / "home"),
        "FRONTDESK_BUNDLED_PLUGINS": "false",
        "FRONTDESK_PLUGINS_PATH": "",
    }
    # The package's own test, run against the installed copy (its src/ is not on the path):
    # found through the entry point of package frontdesk-teapots, ingested, routed, answered.
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "tests")],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 passed" in ran.stdout


def test_package_name_is_checked_and_an_existing_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["plugin", "new", "Bad Name", "--package", "--dir", str(tmp_path)]) == 2
    assert "must start with a lowercase letter" in capsys.readouterr().err
    assert cli.main(["plugin", "new", "pots", "--package", "--dir", str(tmp_path)]) == 0
    assert cli.main(["plugin", "new", "pots", "--package", "--dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
