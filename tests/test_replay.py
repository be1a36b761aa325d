"""Movement replays (issue 12 item 3): the recorder, on the real engine and a
synthetic person, and the shape of what it keeps."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from escape_home import progress_log, synth
from escape_home.engine import ExerciseTracker
from escape_home.instructor.sample import make_log
from escape_home.replay import EDGES, JOINT_NAMES, MAX_FRAMES, ReplayRecorder


def record(script: synth.Script) -> tuple[list[dict[str, Any]], int]:
    """Run the engine and the recorder as the live worker does; (replays, reps)."""
    tracker = ExerciseTracker(script.exercise)
    recorder = ReplayRecorder(script.exercise)
    out: list[dict[str, Any]] = []
    reps = 0
    for pose in synth.generate(script):
        update = tracker.update(pose)
        if update.rep is not None:
            reps += 1
            recorder.rep(update.rep)
        out += recorder.push(pose)
    return out + recorder.flush(), reps


def _xy(frame: list[int], joint: str) -> tuple[int, int]:
    k = JOINT_NAMES.index(joint)
    return frame[1 + 2 * k], frame[2 + 2 * k]


def test_keeps_one_good_rep_with_the_whole_movement() -> None:
    replays, reps = record(synth.reps_script("squat", 4))
    assert reps == 4
    assert [r["kind"] for r in replays] == ["good"]  # one per kind, not per rep
    r = replays[0]
    assert r["fault"] is None and r["rep_index"] == 1
    assert r["joints"] == list(JOINT_NAMES)
    assert 2 <= len(r["frames"]) <= MAX_FRAMES
    times = [f[0] for f in r["frames"]]
    assert times == sorted(times) and times[0] == 0
    # ~15 frames a second, of a camera giving 30
    assert 12 <= (len(times) - 1) / (times[-1] / 1000) <= 16
    # the hips go down and come back up within the track: the whole rep is there
    hip_y = [_xy(f, "right_hip")[1] for f in r["frames"] if _xy(f, "right_hip")[1] >= 0]
    low = max(hip_y)
    assert low - hip_y[0] > 30 and low - hip_y[-1] > 30
    assert all(-1 <= v <= 1000 for f in r["frames"] for v in f[1:])


def test_a_flagged_rep_names_its_fault_and_the_joints_to_draw() -> None:
    script = synth.reps_script("squat", 3, faults=synth.Faults(trunk=30.0))
    replays, reps = record(script)
    assert reps == 3
    flagged = [r for r in replays if r["kind"] == "flagged"]
    assert len(flagged) == 1
    fault = flagged[0]["fault"]
    assert fault is not None
    assert fault["key"] in ("forward_lean", "trunk_ahead_of_shins")
    assert fault["value"] > fault["threshold"] and fault["op"] == ">"
    assert fault["reference"] == "vertical"
    assert len(fault["joints"]) == 2
    assert all(j in JOINT_NAMES for j in fault["joints"])
    # the joints named are seen in the track, so the page can draw the angle
    seen = [
        all(_xy(f, j)[0] >= 0 for j in fault["joints"]) for f in flagged[0]["frames"]
    ]
    assert sum(seen) > len(seen) // 2


def test_a_long_rep_is_thinned_to_the_size_limit() -> None:
    script = synth.reps_script("squat", 1, out_s=5.0, hold_s=1.0, back_s=5.0)
    replays, _ = record(script)
    assert replays and len(replays[0]["frames"]) == MAX_FRAMES
    assert replays[0]["frames"][-1][0] > 8_000  # still spans the whole rep


def test_no_reps_no_replay() -> None:
    rest = synth.Script("squat", (synth.Segment("rest", dur_s=4.0),))
    assert record(rest) == ([], 0)


def test_the_log_carries_replays_and_the_schema_checks_them() -> None:
    replays, _ = record(synth.reps_script("squat", 2))
    log = make_log(sessions=1)
    log["sessions"][0]["replays"] = replays
    assert progress_log.validate(json.loads(progress_log.dumps(log)))
    bad = replace_joint(log, "left_eyebrow")
    with pytest.raises(progress_log.InvalidProgressLog):
        progress_log.validate(bad)


def replace_joint(log: dict[str, Any], name: str) -> dict[str, Any]:
    out = json.loads(json.dumps(log))
    out["sessions"][0]["replays"][0]["joints"][0] = name
    return out


def test_edges_join_kept_joints() -> None:
    assert all(a in JOINT_NAMES and b in JOINT_NAMES for a, b in EDGES)


def test_mirrored_camera_still_draws_the_seen_side() -> None:
    script = replace(
        synth.reps_script("squat", 2, faults=synth.Faults(trunk=30.0)), yaw=-90.0
    )
    replays, _ = record(script)
    fault = next(r["fault"] for r in replays if r["kind"] == "flagged")
    assert fault["joints"][0].startswith("right_")
