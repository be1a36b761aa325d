"""Helpers for the participant tests: clips, a live server, axe-core, a Person."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[2]
CLIPS = ROOT / ".." / "shared" / "data" / "clips"
ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # Timers and speech in a page Chromium thinks is in the background are slowed
    # to a crawl; the hands-free flow runs on timers, so keep every page awake.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]


def clip(name: str) -> Path:
    path = CLIPS / name
    if not path.exists():
        pytest.skip(f"clip {name} not found in {CLIPS}")
    return path


def clip_label(name: str) -> dict[str, Any]:
    labels = json.loads((CLIPS / "labels.json").read_text())
    found: dict[str, Any] = next(x for x in labels if x["file"] == name)
    return found


class Person:
    """Actions a participant takes, as a fixture (flaskr's AuthActions)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def sign_up(self, age_band: str = "65-69", sex: str = "female") -> None:
        self.client.post(
            "/profile",
            data={"nickname": "Ann", "joint": "knee", "age_band": age_band, "sex": sex},
        )

    def link(self, server: str, code: str) -> None:
        """Settings: link this computer to the instructor's `server` with `code`."""
        r = self.client.post(
            "/settings",
            data={"action": "enrol", "server": server, "code": code},
            follow_redirects=True,
        )
        assert "now linked" in r.get_data(as_text=True)

    def start_session(self, answer: str = "no", pain: int | None = 2) -> str:
        """Pass the safety check and answer pain-before (unless `pain` is None)."""
        page = self.client.get("/safety").get_data(as_text=True)
        import re

        keys = re.findall(r'name="([a-z_]+)" value="no"', page)
        resp = self.client.post("/safety", data={k: answer for k in keys})
        if resp.status_code != 302:
            return ""
        sid = str(resp.headers["Location"]).split("/")[2]
        if pain is not None:
            self.client.post(f"/session/{sid}/pain-before", data={"pain": str(pain)})
        return sid


class LiveServer:
    """The app served by waitress on a free port, in a thread."""

    def __init__(self, app: Flask) -> None:
        import waitress.server

        self.app = app
        self.server = waitress.server.create_server(
            app, host="127.0.0.1", port=0, threads=12
        )
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()

    def close(self) -> None:
        live = self.app.extensions.get("escape_home.live")
        if live is not None:
            live.stop()  # ends the picture and state streams first
        self.server.close()
        self.app.extensions["escape_home.remote"].stop()
        self.app.extensions["escape_home.writer"].close()


class PortServer(LiveServer):
    """A LiveServer on a chosen port (0: any), so a restarted app keeps the
    page's origin; `close()` stops it as a crash would (open connections too)."""

    def __init__(self, app: Flask, port: int = 0) -> None:
        import waitress.server

        self.app = app
        self.server = waitress.server.create_server(
            app, host="127.0.0.1", port=port, threads=12
        )
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.port = int(self.server.effective_port)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        self.closed = False

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        from waitress import wasyncore

        live = self.app.extensions.get("escape_home.live")
        if live is not None:
            live.stop()
        wasyncore.close_all(self.server._map)
        self.server.close()
        self.thread.join(timeout=5)
        self.app.extensions["escape_home.remote"].stop()
        self.app.extensions["escape_home.writer"].close()


#: Switches the hands-free auto-start off in every page of a browser context: a
#: test that presses the buttons itself must not race the spoken countdown (the
#: card's Start button goes once the countdown begins).
AUTOSTART_OFF = "localStorage.setItem('eh-autostart', '0')"

#: (name, viewport, device scale factor): 100% on 1280x800, 100% on 1024x600 and
#: 200% zoom on 1280x800 (a 640x400 CSS viewport at two device pixels per pixel).
SIZES = [
    ("1280x800", {"width": 1280, "height": 800}, 1),
    ("1024x600", {"width": 1024, "height": 600}, 1),
    ("1280x800-200pc", {"width": 640, "height": 400}, 2),
]


def new_context(
    browser: Any,
    viewport: dict[str, int] | None = None,
    scale: int = 1,
    autostart: bool = False,
) -> Any:
    """A browser context with the recording voice, auto-start off unless asked."""
    ctx = browser.new_context(
        viewport=viewport or {"width": 1280, "height": 800}, device_scale_factor=scale
    )
    ctx.add_init_script(FAKE_SPEECH)
    ctx.add_init_script(
        AUTOSTART_OFF if not autostart else "localStorage.setItem('eh-autostart', '1')"
    )
    return ctx


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core in the page; return the serious and critical violations."""
    if not AXE.exists():
        pytest.skip("axe-core missing: run `npm install` in tests/js")
    # Evaluated through the DevTools protocol, so the page's CSP (no inline
    # scripts) does not block it and needs no weakening for the test.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [v for v in result if v["impact"] in ("serious", "critical")]


class FakeEstimator:
    """Stands in for the pose model: finds nobody, instantly."""

    def process(self, image: Any, timestamp_s: float, frame_index: int) -> Any:
        from escape_home.landmarks import Pose

        return Pose.empty(timestamp_s, image.shape[1], image.shape[0], frame_index)

    def close(self) -> None:
        pass


class FakeTracker:
    """Stands in for the engine: completes one rep every `every` frames."""

    def __init__(self, exercise: str, every: int = 3) -> None:
        self.exercise = exercise
        self.every = every
        self.frames = 0
        self.reps = 0

    def update(self, pose: Any) -> Any:
        from escape_home.events import Fault, FrameUpdate, Rep

        self.frames += 1
        rep = None
        if self.frames % self.every == 0:
            self.reps += 1
            t = pose.timestamp_s
            rep = Rep(
                self.reps,
                "both",
                max(0.0, t - 1),
                t,
                {"rom": 80.0 + self.reps},
                (Fault("trunk_flexion", "Stand up tall", 61.0, 55.0, "deg"),),
            )
        return FrameUpdate(
            pose.timestamp_s, self.reps, {"both": self.reps}, "up", None, rep=rep
        )

    def summary(self) -> dict[str, Any]:
        return {"reps": self.reps}


def fake_factories(**extra: Any) -> dict[str, Any]:
    return {
        "make_estimator": lambda model: FakeEstimator(),
        "make_tracker": lambda exercise: FakeTracker(exercise),
        **extra,
    }


class SynthPerson:
    """Stands in for the pose model with a synthetic person doing sit-to-stands.

    Plays `escape_home.synth` poses on the clock the live worker passes in (looped),
    so the real engine and `standard_tests` see a person stand up every
    `cycle_s` seconds, whatever the camera shows.
    """

    def __init__(
        self, up_s: float = 0.6, down_s: float = 0.6, script: Any = None
    ) -> None:
        from escape_home import synth as sy

        if script is None:  # another exercise: pass its synth.Script
            script = sy.reps_script(
                "sit_to_stand",
                8,
                out_s=up_s,
                hold_s=0.2,
                back_s=down_s,
                rest_s=0.3,
                seated_home=True,
                yaw=90,
                noise=0.002,
            )
        self.fps = script.fps
        self.poses = sy.generate(script)
        self.t0: float | None = None

    def process(self, image: Any, timestamp_s: float, frame_index: int) -> Any:
        from dataclasses import replace

        if self.t0 is None:
            self.t0 = timestamp_s
        i = int((timestamp_s - self.t0) * self.fps) % len(self.poses)
        return replace(self.poses[i], timestamp_s=timestamp_s, frame_index=frame_index)

    def close(self) -> None:
        pass


#: Replaces the browser's voice with a recorder (headless Chromium has no voices):
#: `window.__spoken` lists {text, start, end, cut} per utterance (kept across the
#: pages of a tab); each takes `window.__msPerChar` ms per character (20 unless a
#: test says otherwise), queues like the real speechSynthesis, and `cancel()`
#: marks the one being said as cut.
FAKE_SPEECH = """
(() => {
  const spoken = JSON.parse(sessionStorage.getItem("__spoken") || "[]");
  const keep = () => sessionStorage.setItem("__spoken", JSON.stringify(spoken));
  window.__spoken = spoken; window.__msPerChar = 20;
  const queue = []; let current = null;
  function pump() {
    if (current || !queue.length) { return; }
    current = queue.shift();
    const rec = { text: current.text, start: Date.now(), end: null, cut: false };
    spoken.push(rec); keep();
    const mine = current;
    mine.__rec = rec;
    setTimeout(function () {
      if (current !== mine) { return; }
      rec.end = Date.now(); current = null; keep();
      if (mine.onend) { mine.onend(new Event("end")); }
      pump();
    }, window.__msPerChar * mine.text.length);
  }
  const fake = {
    get speaking() { return current !== null; },
    get pending() { return queue.length > 0; },
    get paused() { return false; },
    speak: function (u) { queue.push(u); pump(); },
    cancel: function () {
      queue.length = 0;
      if (current) {
        current.__rec.cut = true; current.__rec.end = Date.now(); keep();
      }
      current = null;
    },
    pause: function () {}, resume: function () {},
    getVoices: function () { return []; },
    addEventListener: function () {}, removeEventListener: function () {},
  };
  Object.defineProperty(window, "speechSynthesis", { value: fake, configurable: true });
})();
"""


def spoken(page: Any) -> list[str]:
    """The texts the page has said so far (see FAKE_SPEECH)."""
    texts: list[str] = page.evaluate("() => window.__spoken.map(u => u.text)")
    return texts


def seed_session(app: Flask, pain: bool = True, step: int = 0) -> str:
    """Make a profile and an open session through `app` itself (its CSRF check
    is off meanwhile); return the session id. `pain`: answer pain-before; `step`:
    where the session stands."""
    csrf = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        c = app.test_client()
        person = Person(c)
        person.sign_up()
        sid = person.start_session(pain=2 if pain else None)
        if step:
            c.post(f"/api/session/{sid}/step", json={"step": step})
    finally:
        app.config["WTF_CSRF_ENABLED"] = csrf
    return sid


class WarningTracker(FakeTracker):
    """Counts nothing; after `after` frames reports `warning` on every frame."""

    def __init__(self, exercise: str, warning: str, after: int = 5) -> None:
        super().__init__(exercise)
        self.warning = warning
        self.after = after

    def update(self, pose: Any) -> Any:
        from escape_home.events import FrameUpdate

        self.frames += 1
        warning = self.warning if self.frames > self.after else None
        return FrameUpdate(
            pose.timestamp_s, 0, {"both": 0}, "idle", None, warning=warning
        )


class CueTracker(FakeTracker):
    """Counts nothing; gives a tip and, if `warning`, a warning on every frame."""

    def __init__(
        self,
        exercise: str,
        cue: str = "Keep your back straight and your chest up",
        warning: str | None = None,
    ) -> None:
        super().__init__(exercise)
        self.cue = cue
        self.warning = warning

    def update(self, pose: Any) -> Any:
        from escape_home.events import Cue, FrameUpdate

        self.frames += 1
        return FrameUpdate(
            pose.timestamp_s,
            0,
            {"both": 0},
            "down",
            None,
            cue=Cue("trunk_flexion", self.cue),
            warning=self.warning,
        )


def join_class(page: Any, base: str, timeout: float = 20_000) -> None:
    """In the browser: Home's "Join the class", the safety check (all No), pain
    before 2, then past the camera check without a camera (either link)."""
    page.goto(base + "/")
    page.locator("#class-live").wait_for(state="visible", timeout=timeout)
    page.get_by_role("link", name="Join the class").click()
    for radio in page.get_by_label("No", exact=True).all():
        radio.check()
    page.get_by_role("button", name="Continue").click()
    page.locator('input[name="pain"][value="2"]').check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/camera", timeout=timeout)
    off = page.get_by_role("link", name="Carry on without the camera")
    (off if off.count() else page.get_by_role("link", name="Continue")).click()
    page.wait_for_url("**/play*", timeout=timeout)
