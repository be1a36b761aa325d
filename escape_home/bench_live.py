"""`escape-home bench live`: can the live pipeline keep up with a 30 fps camera?

The real participant app runs in this process (waitress, real pose model, real
engine) on a 640x480, 30 fps copy of a squat clip played at its own speed, as a
webcam would deliver it. A client reads the MJPEG picture like the browser does, and
another reads the live-state stream (server-sent events). We report:

- per-stage times per processed frame (pose, engine, overlay, JPEG),
- the age of a frame when the pipeline picks it up, early and late in the run (no
  growing lag: old frames are dropped, never queued),
- capture-to-page latency of each completed rep: from the capture of the frame on
  which the rep completed to the moment the state carrying it reached the client.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2

from escape_home.errors import SourceError

CLIP = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "data"
    / "clips"
    / "squat__yuyoujiang__1.mp4"
)
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
SIZE = (640, 480)
FPS = 30.0
PLAYS = 3


def main(args: argparse.Namespace) -> int:
    """Entry point used by `escape-home bench live`."""
    return run(getattr(args, "out", None))


def make_clip(out: Path, plays: int = PLAYS) -> Path:
    """Write the squat clip `plays` times over at 640x480, 30 fps."""
    if not CLIP.is_file():
        raise SourceError(f"The benchmark clip {CLIP} is missing.")
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter.fourcc(*"mp4v"), FPS, SIZE)
    for _ in range(plays):
        cap = cv2.VideoCapture(str(CLIP))
        while True:
            ok, image = cap.read()
            if not ok:
                break
            writer.write(cv2.resize(image, SIZE, interpolation=cv2.INTER_AREA))
        cap.release()
    writer.release()
    return out


def _read_mjpeg(port: int, stop: threading.Event) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/live/video.mjpg")
    resp = conn.getresponse()
    while not stop.is_set():
        if not resp.read(65536):
            break
    conn.close()


def _read_events(port: int, stop: threading.Event, latencies: list[float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/live/events")
    resp = conn.getresponse()
    reps = 0
    while not stop.is_set():
        line = resp.readline()
        if not line:
            break
        if not line.startswith(b"data: "):
            continue
        received = time.monotonic()
        state = json.loads(line[6:])
        if state["reps"] > reps and state["rep_capture_t"] is not None:
            latencies.append((received - state["rep_capture_t"]) * 1000)
        reps = state["reps"]
    conn.close()


def _stats(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return (float("nan"),) * 3
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return statistics.fmean(values), p95, ordered[-1]


def measure(model: str = "full") -> dict[str, Any]:
    """Run the app on the clip; return the raw measurements."""
    import waitress.server

    from escape_home.participant import create_app

    with tempfile.TemporaryDirectory() as tmp:
        video = make_clip(Path(tmp) / "clip.mp4")
        app = create_app(
            {
                "DATABASE": str(Path(tmp) / "log.sqlite3"),
                "SOURCE": str(video),
                "MODEL": model,
            }
        )
        worker = app.extensions["escape_home.live"]
        server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=8)
        port = int(server.effective_port)
        threading.Thread(target=server.run, daemon=True).start()
        stop = threading.Event()
        latencies: list[float] = []
        clients = [
            threading.Thread(target=_read_mjpeg, args=(port, stop), daemon=True),
            threading.Thread(
                target=_read_events, args=(port, stop, latencies), daemon=True
            ),
        ]
        while worker.state().camera["status"] != "ok":
            time.sleep(0.05)  # the model is loaded and frames are flowing
        for c in clients:
            c.start()
        time.sleep(1.0)
        load = os.getloadavg()[0]
        worker.keep_timings = True
        dropped0 = worker.camera.dropped
        worker.begin("exercise", "squat", set_id=None)  # counts, logs nothing
        started = time.monotonic()
        duration = PLAYS * 10.7 - 0.5
        time.sleep(duration)
        elapsed = time.monotonic() - started
        reps = worker.state().reps
        stop.set()
        processed = len(worker.timings["pose"])
        dropped = worker.camera.dropped - dropped0
        timings = {k: list(v) for k, v in worker.timings.items()}
        worker.stop()  # ends the streams, then the server can close cleanly
        for c in clients:
            c.join(timeout=5)
        server.close()
        app.extensions["escape_home.remote"].stop()
        app.extensions["escape_home.writer"].close()
    return {
        "load": load,
        "timings": timings,
        "latencies": latencies,
        "processed": processed,
        "dropped": dropped,
        "elapsed": elapsed,
        "reps": reps,
        "model": model,
    }


def table(m: dict[str, Any]) -> str:
    """The markdown section body for docs/benchmarks.md."""
    t = m["timings"]
    third = max(1, len(t["age"]) // 3)
    rows = [
        ("pose estimation", t["pose"]),
        ("exercise engine", t["track"]),
        ("overlay drawing", t["draw"]),
        ("JPEG encoding", t["encode"]),
        ("frame age at pick-up, first third", t["age"][:third]),
        ("frame age at pick-up, last third", t["age"][-third:]),
        ("capture to annotated picture ready", t["total"]),
        ("capture to page, completed rep (SSE)", m["latencies"]),
    ]
    lines = [
        f"The participant app itself (waitress, `{m['model']}` model, exercise engine, "
        "MJPEG and event-stream clients connected) on a 640x480, 30 fps copy of "
        f"`squat__yuyoujiang__1.mp4` played {PLAYS} times at its own speed, as a "
        "webcam delivers it. Measured by `escape-home bench live` on this machine "
        f"({time.strftime('%Y-%m-%d')}, 2 cores, 1-minute load average "
        f"{m['load']:.1f} when it started"
        + (": other jobs were running)." if m["load"] > 1.5 else ": a quiet machine)."),
        "",
        "| stage (ms per frame) | mean | p95 | max |",
        "|---|---:|---:|---:|",
    ]
    for name, values in rows:
        mean, p95, top = _stats(values)
        lines.append(f"| {name} | {mean:.1f} | {p95:.1f} | {top:.1f} |")
    fps = m["processed"] / m["elapsed"]
    offered = m["processed"] + m["dropped"]
    lines += [
        "",
        f"- Frames offered by the source: {offered} "
        f"({offered / m['elapsed']:.1f} fps); "
        f"processed: {m['processed']} ({fps:.1f} fps); dropped (never queued): "
        f"{m['dropped']} ({100 * m['dropped'] / max(offered, 1):.0f}%).",
        f"- Reps counted: {m['reps']} (the clip has 3 per play, {PLAYS} plays); "
        f"{len(m['latencies'])} reached the page.",
        "- No growing lag: frame age at pick-up is the same early and late, because "
        "the pipeline always takes the newest frame.",
    ]
    return "\n".join(lines)


def run(out: str | None = None, model: str = "full") -> int:
    """Measure, print the table, and write the `## Live` section of the docs."""
    from escape_home.bench import write_section

    body = table(measure(model))
    print(body)
    write_section(DOC, "Live", body)
    if out:
        Path(out).write_text(body + "\n", encoding="utf-8")
    return 0
