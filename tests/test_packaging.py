"""A plain (non-editable) install must find the shipped indicators/, rubrics/, reports/."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    pytest.importorskip("hatchling")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    (found,) = out.glob("evaluator-*.whl")
    return found


def test_wheel_carries_shipped_content(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in ROOT.glob("indicators/*.yaml"):
        assert f"evaluator/_shipped/indicators/{shipped.name}" in names
    for shipped in ROOT.glob("calendars/*.yaml"):
        assert f"evaluator/_shipped/calendars/{shipped.name}" in names
    for shipped in ROOT.glob("rubrics/*.yaml"):
        assert f"evaluator/_shipped/rubrics/{shipped.name}" in names


def test_installed_wheel_loads_shipped_systems(wheel: Path, tmp_path: Path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "import evaluator, sys;"
        "from evaluator.shipped import shipped_system;"
        "from evaluator.systems import load_system;"
        "s = load_system(shipped_system('station-annual'));"
        "print(evaluator.__file__); print(s.id, len(s.leaves))"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,  # not the source tree, so the repository's folders are not in reach
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    package_file, summary = run.stdout.strip().splitlines()
    assert package_file.startswith(str(target))
    assert summary.startswith("station-annual ")
