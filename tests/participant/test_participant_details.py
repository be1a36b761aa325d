"""Participant app v2 (issue 10, the rest of defect 8) in real Chromium: charts
that name only what they draw, in plain dates and units, with next-day pain; the
strength check's picture and button in view; tips that clear and praise for good
reps; a red flag remembered at the next launch; a favicon; pages that fit at 200%
zoom and on a 1024x600 screen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from participant_support import (
    SIZES,
    FakeTracker,
    fake_factories,
    new_context,
    spoken,
)
from test_participant_browser import check_page

from escape_home.events import Cue, Rep
from escape_home.participant import progress_store, store

pytestmark = [pytest.mark.browser, pytest.mark.clips]

SQUAT_STEP = 2

IN_VIEW = """ids => ids.map(id => {
  const e = document.getElementById(id);
  if (!e) { return id + ' missing'; }
  const r = e.getBoundingClientRect();
  const ok = r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 &&
    r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5;
  return ok ? null : id + ' at ' + [r.left, r.top, r.right, r.bottom].map(Math.round)
    + ' in ' + innerWidth + 'x' + innerHeight;
}).filter(x => x)"""


# ------------------------------------------------------------------ charts


def seed_progress(app: Any, sid: str) -> None:
    """Session 1 done with marching (knee lift in lower-leg lengths), next-day
    pain, and one result of each strength check (one with a usual range, one
    with an average cut-off)."""

    def write(c: Any) -> None:
        st = store.start_set(c, sid, "marching", 1, None, 60)
        for i in range(6):
            rep = Rep(
                i + 1, "left", i, i + 0.8, {"peak": 1.0, "trough": 0.2, "rom": 1.1}
            )
            store.add_rep(c, st, rep)
        store.end_set(c, st, "done")
        store.update_session(c, sid, pain_after=3, exertion=4, pain_next_day=2)
        store.finish_session(c, sid)
        progress_store.add_test(
            c, "chair_stand_30s", 9.0, "reps", {"low": 12, "high": 17}, sid
        )
        progress_store.add_test(c, "five_times_sts", 14.2, "s", {"high": 11.4}, sid)

    app.extensions["escape_home.writer"].call(write)


#: For each chart: its legend, its labels and axis titles, and for each legend
#: entry how many pixels of its colour the chart area holds (what is drawn).
CHARTS = """() => Array.from(document.querySelectorAll('canvas')).map(c => {
  const ch = Chart.getChart(c); const a = ch.chartArea; const r = devicePixelRatio;
  const px = c.getContext('2d').getImageData(a.left * r, a.top * r,
    (a.right - a.left) * r, (a.bottom - a.top) * r).data;
  const near = hex => { const v = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16));
    let n = 0;
    for (let i = 0; i < px.length; i += 4) {
      const d = Math.abs(px[i] - v[0]) + Math.abs(px[i + 1] - v[1])
        + Math.abs(px[i + 2] - v[2]);
      if (d < 30 && px[i + 3] > 200) { n += 1; } }
    return n; };
  const hexes = it => [it.fillStyle, it.strokeStyle]
    .filter(x => /^#[0-9a-f]{6}$/i.test(x));
  return { id: c.id || c.dataset.key, labels: ch.data.labels,
    titles: Object.values(ch.scales).map(s => s.options.title.text),
    legend: ch.legend.legendItems.map(it => [it.text,
      Math.max(0, ...hexes(it).map(near))]) };
})"""


def test_charts_name_only_what_they_draw_in_plain_dates_and_units(
    serve: Callable[..., Any], context: Any
) -> None:
    server, sid = serve()
    seed_progress(server.app, sid)
    page = context.new_page()
    page.goto(server.url + "/progress")
    charts = {c["id"]: c for c in page.evaluate(CHARTS)}
    # Every legend entry is drawn (one week, one session, one result each).
    for c in charts.values():
        for text, pixels in c["legend"]:
            assert pixels >= 5, f"{c['id']}: '{text}' is in the legend, not drawn"
    weeks = charts["chart-weeks"]
    assert any(t.startswith("Aim") for t, _ in weeks["legend"])
    tests = charts["chair_stand_30s"]
    assert any(
        "Usual range" in t and "12 to 17 stands" in t for t, _ in tests["legend"]
    )
    five = charts["five_times_sts"]
    assert any("cut-off" in t and "11.4 seconds" in t for t, _ in five["legend"])
    # Next-day pain is on the pain chart.
    assert "Next day" in [t for t, _ in charts["chart-pain"]["legend"]]
    # Dates as people say them: "1 Dec", never 2026-12-01.
    day = re.compile(r"^\d{1,2} [A-Z][a-z]{2}$")
    assert all(day.match(x) for x in tests["labels"] + five["labels"]), tests["labels"]
    assert all(re.match(r"^Week of \d{1,2} [A-Z][a-z]{2}$", w) for w in weeks["labels"])
    assert not re.search(r"\d{4}-\d\d-\d\d", page.inner_text("main"))
    # Units: the knee lift of marching is in lower-leg lengths, said on the chart
    # and in its table.
    marching = charts["marching"]
    assert any("lower-leg lengths" in t for t, _ in marching["legend"])
    assert any(t and "lower-leg lengths" in t.lower() for t in marching["titles"])
    heads = page.locator("th").all_text_contents()  # in a closed "Show as a table"
    assert "Range of movement (lower-leg lengths)" in heads, heads
    check_page(page, "70-progress-charts")
    page.goto(server.url + "/tests")
    assert not re.search(r"\d{4}-\d\d-\d\d", page.inner_text("main"))


# ---------------------------------------------------------- strength check


@pytest.mark.parametrize(("name", "viewport", "scale"), SIZES[:2])
def test_strength_check_shows_the_picture_and_the_button(
    serve: Callable[..., Any],
    browser: Any,
    name: str,
    viewport: dict[str, int],
    scale: int,
) -> None:
    server, _ = serve()
    ctx = new_context(browser, viewport, scale)
    try:
        page = ctx.new_page()
        page.goto(server.url + "/tests/chair_stand_30s")
        page.wait_for_function(
            "() => document.getElementById('video').naturalWidth > 0", timeout=15_000
        )
        out = page.evaluate(IN_VIEW, ["video", "start"])
        assert not out, out
        check_page(page, f"71-strength-check-{name}", full_page=False)
    finally:
        ctx.close()


# ------------------------------------------------------------ tips, praise


class TipTracker(FakeTracker):
    """A rep every `every` frames: the first two lean forward (with the engine's
    tip on them), the rest are good (no fault, no tip)."""

    def update(self, pose: Any) -> Any:
        from dataclasses import replace

        upd = super().update(pose)
        if upd.rep is None:
            return upd
        if self.reps <= 2:  # FakeTracker's reps carry the trunk fault
            return replace(upd, cue=Cue("trunk_flexion", "Stand up tall"))
        good = Rep(upd.rep.index, "both", upd.rep.start_s, upd.rep.end_s, {"rom": 80.0})
        return replace(upd, rep=good)


def test_a_tip_clears_once_put_right_and_good_reps_are_praised(
    serve: Callable[..., Any], context: Any, programme_path: Any
) -> None:
    import json

    data = json.loads(programme_path.read_text())
    data["exercises"]["squat"]["levels"][0]["target_reps"] = 40
    programme_path.write_text(json.dumps(data))
    server, sid = serve(
        fake_factories(make_tracker=lambda ex: TipTracker(ex, every=30)),
        step=SQUAT_STEP,
    )
    page = context.new_page()
    page.goto(f"{server.url}/session/{sid}/play")
    page.evaluate(
        """() => { window.__cues = []; const c = document.getElementById('cue');
        new MutationObserver(() => window.__cues.push(c.textContent))
          .observe(c, {childList: true, characterData: true, subtree: true}); }"""
    )
    page.get_by_role("button", name="Start", exact=True).click()
    cue = page.locator("#cue")
    page.wait_for_function(
        "() => document.getElementById('cue').textContent === 'Stand up tall'",
        timeout=30_000,
    )
    # The third rep is good: the tip gives way, and says so.
    page.wait_for_function(
        "() => document.getElementById('cue').textContent === \"That's better\"",
        timeout=30_000,
    )
    assert "good" in (cue.get_attribute("class") or "")
    # Now and then a good rep is praised; the same words shown and said.
    page.wait_for_function(
        "() => document.getElementById('cue').textContent === 'Good, keep going'",
        timeout=30_000,
    )
    shown = page.evaluate("() => window.__cues")
    assert shown.index("Stand up tall") < shown.index("That's better"), shown
    # What is said is what was shown. (A newer tip or praise replaces one still
    # waiting to be said, so on a busy machine one may be skipped.)
    said = spoken(page)
    praise = [t for t in said if t in ("That's better", "Good, keep going")]
    assert "Stand up tall" in said and praise, said
    assert set(praise) <= set(shown), (praise, shown)
    check_page(page, "72-set-praise", full_page=False)


# ------------------------------------------------------------ red flag


def test_a_red_flag_is_shown_again_at_the_next_launch_until_dealt_with(
    serve: Callable[..., Any], context: Any
) -> None:
    server, _ = serve()
    page = context.new_page()
    page.goto(server.url + "/safety")
    for radio in page.get_by_role("radio", name="No").all():
        radio.check()
    page.locator("input[name=chest_pain][value=yes]").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Please do not exercise today").wait_for()

    def launch_again() -> Any:
        nonlocal server
        server.close()  # the app is closed; the next day it is started again
        server, _ = serve(seed=False, port=server.port)
        page.goto(server.url + "/")
        return page.locator("#red-flag")

    flag = launch_again()
    assert flag.is_visible(), "the red flag was forgotten"
    text = flag.inner_text()
    assert "call 999" in text and "NHS 111" in text, text
    assert "chest pain" in text.lower()
    check_page(page, "73-home-red-flag")
    # Still there at the launch after, until the person says it is dealt with.
    flag = launch_again()
    assert flag.is_visible()
    page.get_by_role("button", name="I have had advice, or it has passed").click()
    page.wait_for_url(server.url + "/")
    assert page.locator("#red-flag").count() == 0
    assert launch_again().count() == 0


# ------------------------------------------------------------ favicon


def test_every_page_has_the_apps_own_icon(
    serve: Callable[..., Any], context: Any
) -> None:
    server, sid = serve()
    missing: list[str] = []
    page = context.new_page()
    page.on(
        "response",
        lambda r: missing.append(r.url) if r.status == 404 else None,
    )
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    for path in ("/", "/progress", "/tests", "/settings", f"/session/{sid}/camera"):
        page.goto(server.url + path)
        href = page.locator("link[rel=icon]").get_attribute("href")
        assert href, f"{path}: no icon"
        resp = page.request.get(server.url + href)
        assert resp.ok and resp.headers["content-type"].startswith("image/svg+xml")
    page.wait_for_timeout(500)
    assert not missing, missing
    assert not [e for e in errors if "favicon" in e], errors


# ------------------------------------------------ 200% zoom and 1024x600


FITS = """() => [document.scrollingElement.scrollWidth, innerWidth]"""


@pytest.mark.parametrize(("name", "viewport", "scale"), SIZES[1:])
def test_topic_camera_check_and_settings_fit(
    serve: Callable[..., Any],
    browser: Any,
    name: str,
    viewport: dict[str, int],
    scale: int,
) -> None:
    """No sideways scrolling, and the main button can be reached (scrolled to, it
    is wholly in view)."""
    server, sid = serve()
    ctx = new_context(browser, viewport, scale)
    try:
        page = ctx.new_page()
        pages = [
            (f"/session/{sid}/camera", "continue", "camera-check"),
            (f"/session/{sid}/play", "primary", "topic"),
            ("/settings", None, "settings"),
            ("/lessons", None, "lessons"),
        ]
        for path, button, label in pages:
            page.goto(server.url + path)
            page.wait_for_load_state()
            wide = page.evaluate(FITS)
            assert wide[0] <= wide[1], f"{label}: scrolls sideways {wide}"
            if button:
                page.locator(f"#{button}").scroll_into_view_if_needed()
                out = page.evaluate(IN_VIEW, [button])
                assert not out, (label, out)
            check_page(page, f"74-{label}-{name}", full_page=False)
        page.goto(server.url + "/settings")
        page.get_by_role(
            "button", name="Link this computer"
        ).scroll_into_view_if_needed()
        out = page.evaluate(
            """() => { const b = [...document.querySelectorAll('button')].find(
              x => x.textContent.includes('Link this computer'));
              const r = b.getBoundingClientRect();
              return r.left >= 0 && r.right <= innerWidth; }"""
        )
        assert out, "the Link button is cut off"
    finally:
        ctx.close()


def test_the_counter_label_is_not_clipped_at_200pc(
    serve: Callable[..., Any], browser: Any, programme_path: Any
) -> None:
    import json

    data = json.loads(programme_path.read_text())
    data["exercises"]["squat"]["levels"][0]["target_reps"] = 40
    programme_path.write_text(json.dumps(data))
    never = fake_factories(make_tracker=lambda ex: FakeTracker(ex, every=10**9))
    server, sid = serve(never, step=SQUAT_STEP)
    name, viewport, scale = SIZES[2]
    ctx = new_context(browser, viewport, scale)
    try:
        page = ctx.new_page()
        page.goto(f"{server.url}/session/{sid}/play")
        page.get_by_role("button", name="Start", exact=True).click()
        page.locator("#count-box:not(.hidden)").wait_for(timeout=30_000)
        assert page.locator("#count-of").inner_text() == "of 40 repetitions"
        clipped = page.evaluate(
            """() => { const e = document.getElementById('count-of');
            const side = document.getElementById('side').getBoundingClientRect();
            const r = e.getBoundingClientRect();
            return [e.scrollWidth > e.clientWidth + 1, r.left < side.left - 0.5,
                    r.right > side.right + 0.5, r.bottom > side.bottom + 0.5]; }"""
        )
        assert not any(clipped), clipped
        out = page.evaluate(IN_VIEW, ["counter", "count-of", "pause"])
        assert not out, out
        check_page(page, f"75-set-40-reps-{name}", full_page=False)
    finally:
        ctx.close()


# ------------------------------------------------------------ session length


def test_home_gives_session_ones_own_length(client: Any, person: Any) -> None:
    """Home said "about 45 minutes" while session 1 takes about 15-20: the length
    comes from the session's own plan."""
    person.sign_up()
    page = client.get("/").get_data(as_text=True)
    said = re.search(r"It takes about (\d+) minutes", page)
    assert said, page
    assert int(said.group(1)) <= 25, said.group(0)


# ------------------------------------------ every page at the three sizes


NO_SIDEWAYS = "() => document.scrollingElement.scrollWidth <= innerWidth"


@pytest.mark.parametrize(("name", "viewport", "scale"), SIZES)
def test_every_page_at_three_sizes(
    serve: Callable[..., Any],
    browser: Any,
    programme_path: Any,
    name: str,
    viewport: dict[str, int],
    scale: int,
) -> None:
    """Screenshots of every participant page (tests/artifacts/participant-80-*),
    each without sideways scrolling and axe-clean, walked as a person would."""
    import json

    from participant_support import SynthPerson

    data = json.loads(programme_path.read_text())
    data["exercises"]["squat"]["levels"][0]["target_reps"] = 40
    programme_path.write_text(json.dumps(data))

    server, _ = serve(
        fake_factories(
            make_estimator=lambda m: SynthPerson(),
            make_tracker=lambda ex: TipTracker(ex, every=12),
        ),
        seed=False,
    )
    ctx = new_context(browser, viewport, scale)
    shots: list[str] = []

    def shot(label: str) -> None:
        page.wait_for_load_state()
        assert page.evaluate(NO_SIDEWAYS), f"{label}: scrolls sideways at {name}"
        check_page(page, f"80-{label}-{name}")
        shots.append(label)

    try:
        page = ctx.new_page()
        page.goto(server.url + "/")
        shot("profile")
        page.get_by_label("Your first name or a nickname").fill("Ann")
        page.get_by_label("My knee (or knees)").check()
        page.get_by_label("Your age").select_option("70-74")
        page.get_by_label("Female").check()
        page.get_by_role("button", name="Save and continue").click()
        page.wait_for_url(server.url + "/")
        shot("home-first")
        page.goto(server.url + "/safety")
        shot("safety")
        for radio in page.get_by_role("radio", name="No").all():
            radio.check()
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(re.compile(r".*/pain-before$"))
        shot("pain-before")
        page.locator("label", has_text=re.compile(r"^2$")).click()
        page.get_by_role("button", name="Continue").click()
        page.wait_for_url(re.compile(r".*/camera$"))
        page.locator("#ready:not(.hidden)").wait_for(timeout=20_000)
        shot("camera-check")
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("heading", name=re.compile("Today's topic")).wait_for()
        shot("topic")
        page.get_by_role("button", name="Next").click()
        page.get_by_role("heading", name=re.compile("Warm-up")).wait_for()
        shot("warm-up")
        page.get_by_role("button", name="Skip this").click()
        page.get_by_role("heading", name="Mini squat").wait_for()
        shot("exercise-card")
        page.get_by_role("button", name="Start", exact=True).click()
        page.locator("#count-box:not(.hidden)").wait_for(timeout=30_000)
        page.locator("#cue:not(:empty)").wait_for(timeout=20_000)
        out = page.evaluate(IN_VIEW, ["video", "counter", "cue", "pause"])
        assert not out, out
        shot("set")
        page.get_by_role("button", name="Skip this").click()
        page.get_by_role("heading", name=re.compile("Cool-down")).wait_for()
        shot("cool-down")
        page.get_by_role("button", name="Stop the session").click()
        shot("stop-question")
        page.get_by_role("button", name="Yes, stop now").click()
        page.wait_for_url(re.compile(r".*/after\?stopped=1$"))
        shot("pain-after")
        for i in (0, 1):
            page.locator("fieldset").nth(i).locator(
                "label", has_text=re.compile("^3$")
            ).click()
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(re.compile(r".*/summary$"))
        shot("summary")
        for path, label in (
            ("/progress", "progress"),
            ("/tests", "strength-checks"),
            ("/tests/five_times_sts", "strength-check"),
            ("/settings", "settings"),
            ("/lessons", "lessons"),
            ("/lessons/1", "lesson"),
            ("/check/start", "belief-check"),
            ("/plans", "plans"),
            ("/plans/flare-up", "flare-up-plan"),
            ("/plans/pacing", "pacing"),
            ("/week", "week"),
            ("/goals", "goals"),
            ("/no-such-page", "not-found"),
        ):
            page.goto(server.url + path)
            shot(label)
        page.goto(server.url + "/safety")
        page.locator("input[name=chest_pain][value=yes]").check()
        for radio in page.get_by_role("radio", name="No").all():
            if not radio.is_checked() and radio.get_attribute("name") != "chest_pain":
                radio.check()
        page.get_by_role("button", name="Continue").click()
        page.get_by_role("heading", name="Please do not exercise today").wait_for()
        shot("stop-advice")
        page.goto(server.url + "/")
        shot("home-red-flag")
    finally:
        ctx.close()
    assert len(shots) == 28, shots
