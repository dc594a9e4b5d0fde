"""Setup problems are one clear line and exit 2; a batch where every image failed exits 1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from snapscribe.cli import cli

SAMPLE = str(Path(__file__).resolve().parent.parent / "samples" / "cat.jpg")


def run(*args: str, env: dict[str, str]):
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.mark.parametrize("home", ["file-in-the-way/data", "/proc/snapscribe-data"])
def test_unusable_data_dir_is_a_setup_error(tmp_path, home):
    (tmp_path / "file-in-the-way").write_text("not a directory")
    path = home if home.startswith("/") else str(tmp_path / home)
    result = run("caption", SAMPLE, env={"SNAPSCRIBE_HOME": path})
    assert result.exit_code == 2, result.output
    assert "cannot open the data directory or database" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_unwritable_out_is_a_setup_error(tmp_path):
    result = run("caption", SAMPLE, "--out", "/proc/no-such-dir/out.jsonl", env={"SNAPSCRIBE_HOME": str(tmp_path)})
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_missing_clip_model_is_a_setup_error(tmp_path):
    result = run("caption", SAMPLE, "--tagger", "clip", env={"SNAPSCRIBE_HOME": str(tmp_path)})
    assert result.exit_code == 2, result.output
    assert "clip.model_path" in result.output


@pytest.mark.slow
def test_batch_where_every_image_failed_exits_1(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not an image at all")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    result = run(
        "caption",
        str(bad),
        str(empty),
        "--format",
        "jsonl",
        "--no-progress",
        env={"SNAPSCRIBE_HOME": str(tmp_path / "home")},
    )
    assert result.exit_code == 1, result.output
    assert result.output.count('"status": "error"') + result.output.count('"status":"error"') == 2
    ok = run(
        "caption",
        str(bad),
        SAMPLE,
        "--format",
        "jsonl",
        "--no-progress",
        env={"SNAPSCRIBE_HOME": str(tmp_path / "home")},
    )
    assert ok.exit_code == 0, ok.output


@pytest.fixture
def full_disk(tmp_path):
    """A 256 KiB tmpfs: room for an empty database, not for a batch of results."""
    import shutil
    import subprocess

    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.slow
def test_full_data_dir_is_a_setup_error_not_error_records(full_disk):
    samples = str(Path(SAMPLE).parent)
    result = run("caption", samples, "--format", "jsonl", "--no-progress", env={"SNAPSCRIBE_HOME": str(full_disk)})
    assert result.exit_code == 2, result.output
    assert "database or disk is full" in result.output
    assert "Traceback" not in result.output and '"internal_error"' not in result.output
