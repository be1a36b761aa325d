"""Building and installing the pose `.task` bundles."""

from __future__ import annotations

import hashlib
import subprocess
import zipfile
from pathlib import Path

import pytest

from escape_home import cli, modelbuild
from escape_home.errors import ModelError
from escape_home.modelbuild import (
    DETECTOR_MEMBER,
    LANDMARKS_MEMBER,
    VARIANTS,
    _Network,
)

REPO_MODELS = Path(__file__).resolve().parents[1] / "models"
FAKE_DET = b"\x18\x00\x00\x00TFL3 fake detector"
FAKE_FULL = b"\x18\x00\x00\x00TFL3 fake full landmarks"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty models folder, used instead of the repository's."""
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("ESCAPE_HOME_MODELS", str(folder))
    return folder


@pytest.fixture
def fake_wheel(models: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cached 'wheel' with tiny fake networks whose hashes are the pinned ones."""
    cache = models / ".cache"
    cache.mkdir()
    wheel = cache / "mediapipe-0.10.14-cp311-cp311-manylinux_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(modelbuild._DETECTOR.member, FAKE_DET)
        zf.writestr(modelbuild._LANDMARKS["full"].member, FAKE_FULL)
    monkeypatch.setattr(
        modelbuild,
        "_DETECTOR",
        _Network("wheel", modelbuild._DETECTOR.member, _sha(FAKE_DET)),
    )
    landmarks = dict(modelbuild._LANDMARKS)
    landmarks["full"] = _Network("wheel", landmarks["full"].member, _sha(FAKE_FULL))
    monkeypatch.setattr(modelbuild, "_LANDMARKS", landmarks)
    # The fakes are not real TFLite models: skip the metadata step.
    monkeypatch.setattr(modelbuild, "add_metadata", lambda data, kind: data)
    return wheel


def _no_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the test tried to download something")

    monkeypatch.setattr(modelbuild.subprocess, "run", refuse)


@pytest.mark.parametrize("name", VARIANTS)
def test_repository_bundles_are_valid_and_load(name: str) -> None:
    path = REPO_MODELS / f"pose_landmarker_{name}.task"
    if not path.is_file():
        pytest.skip(f"{path.name} is not built (run `escape-home models {name}`)")
    with zipfile.ZipFile(path) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        assert set(infos) == {DETECTOR_MEMBER, LANDMARKS_MEMBER}
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos.values())
        for member in infos:
            data = zf.read(member)
            assert data[4:8] == b"TFL3"
            assert b"TFLITE_METADATA" in data, f"{member} lacks metadata"
    from escape_home.pose import PoseEstimator

    with PoseEstimator(path) as est:  # MediaPipe accepts the bundle
        assert est.model_path == path


def test_model_path_follows_env_and_rejects_unknown_names(models: Path) -> None:
    assert modelbuild.model_path("lite") == models / "pose_landmarker_lite.task"
    with pytest.raises(ModelError, match="lite, full, heavy"):
        modelbuild.model_path("medium")


def test_ensure_model_names_the_command_to_run(models: Path) -> None:
    with pytest.raises(ModelError, match="escape-home models heavy"):
        modelbuild.ensure_model("heavy")


def test_build_writes_a_stored_bundle_and_is_idempotent(
    fake_wheel: Path,
    models: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _no_downloads(monkeypatch)
    assert modelbuild.main(["full"], None, False) == 0
    path = models / "pose_landmarker_full.task"
    with zipfile.ZipFile(path) as zf:
        assert zf.read(DETECTOR_MEMBER) == FAKE_DET
        assert zf.read(LANDMARKS_MEMBER) == FAKE_FULL
    mtime = path.stat().st_mtime_ns
    assert modelbuild.main(["full"], None, False) == 0
    assert path.stat().st_mtime_ns == mtime
    assert "already built" in capsys.readouterr().out


def test_interrupted_build_leaves_no_file(
    fake_wheel: Path, models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_downloads(monkeypatch)
    real_writestr = zipfile.ZipFile.writestr
    calls = []

    def writestr_then_die(self: zipfile.ZipFile, name: str, data: bytes) -> None:
        calls.append(name)
        if len(calls) == 2:  # after the first member is written
            raise KeyboardInterrupt
        real_writestr(self, name, data)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", writestr_then_die)
    with pytest.raises(KeyboardInterrupt):
        modelbuild.build("full")
    assert calls == [DETECTOR_MEMBER, LANDMARKS_MEMBER]
    leftovers = [p.name for p in models.iterdir() if p.name != ".cache"]
    assert leftovers == []


def test_hash_mismatch_is_a_model_error(
    fake_wheel: Path, models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_downloads(monkeypatch)
    monkeypatch.setattr(
        modelbuild,
        "_DETECTOR",
        _Network("wheel", modelbuild._DETECTOR.member, "0" * 64),
    )
    with pytest.raises(ModelError, match="sha256"):
        modelbuild.build("full")
    assert not (models / "pose_landmarker_full.task").exists()


def test_unreachable_registry_is_one_clear_line(
    models: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def pip_fails(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(
            cmd, 1, "", "WARNING: Retrying...\nERROR: No matching distribution found\n"
        )

    monkeypatch.setattr(modelbuild.subprocess, "run", pip_fails)
    assert cli.main(["models", "full"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "Could not download mediapipe==0.10.14" in err
    assert "No matching distribution found" in err
    assert not any(models.glob("*.task"))


def test_without_npm_lite_is_skipped_with_advice(
    fake_wheel: Path,
    models: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _no_downloads(monkeypatch)
    monkeypatch.setattr(modelbuild.shutil, "which", lambda name: None)
    assert modelbuild.main(["full", "lite"], None, False) == 0
    out = capsys.readouterr().out
    assert "skipped lite" in out and "npm" in out
    assert (models / "pose_landmarker_full.task").is_file()
    assert not (models / "pose_landmarker_lite.task").exists()


def test_npm_failure_skips_lite_and_heavy_unless_asked_for(
    fake_wheel: Path,
    models: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def npm_fails(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(cmd, 1, "", "npm ERR! network ETIMEDOUT\n")

    monkeypatch.setattr(modelbuild.subprocess, "run", npm_fails)
    monkeypatch.setattr(modelbuild.shutil, "which", lambda name: "/usr/bin/npm")
    assert modelbuild.main([], None, False) == 0  # full is enough to run
    out = capsys.readouterr().out
    assert "skipped lite" in out and "ETIMEDOUT" in out
    assert (models / "pose_landmarker_full.task").is_file()
    with pytest.raises(ModelError, match="ETIMEDOUT"):
        modelbuild.main(["heavy"], None, False)


def _task(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_task_installs_a_valid_bundle_by_its_file_name(
    models: Path, tmp_path: Path
) -> None:
    src = _task(
        tmp_path / "pose_landmarker_heavy.task",
        {DETECTOR_MEMBER: FAKE_DET, LANDMARKS_MEMBER: FAKE_FULL},
    )
    assert modelbuild.main([], str(src), False) == 0
    with zipfile.ZipFile(models / "pose_landmarker_heavy.task") as zf:
        assert zf.read(LANDMARKS_MEMBER) == FAKE_FULL


@pytest.mark.parametrize(
    ("content", "names", "message"),
    [
        (b"not a zip", ["full"], "not a .task bundle"),
        ({DETECTOR_MEMBER: FAKE_DET}, ["full"], "lacks pose_landmarks_detector"),
        (
            {DETECTOR_MEMBER: b"xx", LANDMARKS_MEMBER: FAKE_FULL},
            ["full"],
            "not a TFLite",
        ),
        ({DETECTOR_MEMBER: FAKE_DET, LANDMARKS_MEMBER: FAKE_FULL}, [], "Cannot tell"),
    ],
)
def test_task_rejects_bad_files_clearly(
    models: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes | dict[str, bytes],
    names: list[str],
    message: str,
) -> None:
    path = tmp_path / "download.task"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        _task(path, content)
    assert cli.main(["models", *names, "--task", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not any(models.glob("*.task"))


def test_real_build_from_the_cached_wheel(
    models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wheels = sorted((REPO_MODELS / ".cache").glob(modelbuild.WHEEL_GLOB))
    if not wheels:
        pytest.skip(
            "no cached mediapipe wheel in models/.cache (run `escape-home models`)"
        )
    _no_downloads(monkeypatch)
    (models / ".cache").mkdir()
    (models / ".cache" / wheels[0].name).symlink_to(wheels[0])
    path = modelbuild.build("full")
    assert path is not None
    with zipfile.ZipFile(path) as zf:
        built = {m: zf.read(m) for m in (DETECTOR_MEMBER, LANDMARKS_MEMBER)}
    assert all(b"TFLITE_METADATA" in data for data in built.values())
    repo_bundle = REPO_MODELS / "pose_landmarker_full.task"
    if repo_bundle.is_file():  # the build is deterministic, member by member
        with zipfile.ZipFile(repo_bundle) as zf:
            assert built == {m: zf.read(m) for m in built}
