"""`escape-home bench accuracy`: rep counts on every labelled shared clip vs the truth.

Videos are analysed end to end (decode, the real pose model, the exercise engine) via
`escape_home.analyse.run_analysis`; landmark-track entries are replayed through the
engine. Balance entries are judged on the number of holds. The markdown table is
printed and kept in docs/benchmarks.md under "## Accuracy".

Metrics (per exercise and overall): exact-match rate; off-by-one rate (|error| <= 1);
mean absolute error normalised by the true count (absolute error when the true count
is 0). Targets: exact >= 90 %, off-by-one 100 %, normalised MAE <= 0.05.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from escape_home.errors import EscapeHomeError

CLIPS_DIR = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "clips"
DOC = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"
TARGET_EXACT, TARGET_OBO, TARGET_MAE = 0.90, 1.0, 0.05


def _truth(item: dict[str, Any]) -> int:
    return int(item["holds"]) if item["exercise"] == "balance" else int(item["reps"])


def _counted(item: dict[str, Any], result: dict[str, Any]) -> int:
    if item["exercise"] == "balance":
        return len(result.get("holds", []))
    return int(result["reps"])


def analyse_entry(
    item: dict[str, Any], clips_dir: Path, model: str = "full"
) -> dict[str, Any]:
    """Analyse one labels.json entry and return the engine's summary."""
    path = clips_dir / item["file"]
    if item.get("kind") == "track":
        from escape_home.engine import analyse_poses
        from escape_home.track import read_track

        _, poses = read_track(path)
        return analyse_poses(item["exercise"], poses)
    from escape_home.analyse import run_analysis

    return run_analysis(path, item["exercise"], model=model, progress=False)


def evaluate(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Exact, off-by-one and normalised MAE per exercise and overall."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[r["exercise"]].append(r)
        groups["overall"].append(r)
    out = {}
    for name, rs in groups.items():
        errs = [abs(r["counted"] - r["true"]) for r in rs]
        norm = [
            e / r["true"] if r["true"] else float(e)
            for e, r in zip(errs, rs, strict=True)
        ]
        out[name] = {
            "n": len(rs),
            "exact": sum(e == 0 for e in errs) / len(rs),
            "obo": sum(e <= 1 for e in errs) / len(rs),
            "mae": sum(norm) / len(rs),
        }
    return out


def table(rows: list[dict[str, Any]], stats: dict[str, dict[str, float]]) -> str:
    """The markdown report: per-clip table, then per-exercise and overall metrics."""
    lines = [
        "Rep counts (holds for balance) on every entry of "
        "`../shared/data/clips/labels.json`: videos through the real pose model "
        "(`full`), tracks replayed through the engine.",
        "",
        "| file | exercise | true | counted | difference | frames with a pose |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['file']} | {r['exercise']} | {r['true']} | {r['counted']} | "
            f"{r['counted'] - r['true']:+d} | {r['posed']} |"
        )
    lines += ["", "| exercise | clips | exact | off-by-one | MAE (normalised) |"]
    lines.append("|---|---:|---:|---:|---:|")
    for name in sorted(stats, key=lambda k: (k == "overall", k)):
        s = stats[name]
        label = f"**{name}**" if name == "overall" else name
        lines.append(
            f"| {label} | {int(s['n'])} | {s['exact']:.0%} | {s['obo']:.0%} | "
            f"{s['mae']:.3f} |"
        )
    o = stats.get("overall", {"exact": 0.0, "obo": 0.0, "mae": 1.0})
    met = (
        o["exact"] >= TARGET_EXACT and o["obo"] >= TARGET_OBO and o["mae"] <= TARGET_MAE
    )
    lines += [
        "",
        f"Target: exact >= {TARGET_EXACT:.0%}, off-by-one {TARGET_OBO:.0%}, "
        f"normalised MAE <= {TARGET_MAE}: **{'met' if met else 'not met'}**. "
        f"Run on {time.strftime('%Y-%m-%d')} ({platform.machine()}, "
        f"Python {platform.python_version()}) with `escape-home bench accuracy`.",
        "",
        '"Frames with a pose" is how many frames the pose stage reported a person '
        "in: frames without one (the exerciser lost, or another person followed) "
        "cannot be counted on, whatever the engine does.",
    ]
    return "\n".join(lines)


def run(
    out: str | None = None, clips_dir: Path = CLIPS_DIR, model: str = "full"
) -> int:
    """Run the benchmark, print the table, record it; 0 if the target is met, else 1.

    Args:
        out: Also write the markdown table to this file.
        clips_dir: Folder holding labels.json and the clips.
        model: Pose model for the videos.
    """
    labels_path = clips_dir / "labels.json"
    if not labels_path.is_file():
        raise EscapeHomeError(f"No labelled clips found: {labels_path} does not exist")
    items = json.loads(labels_path.read_text(encoding="utf-8"))
    rows = []
    for item in items:
        if not (clips_dir / item["file"]).is_file():
            continue
        result = analyse_entry(item, clips_dir, model)
        frames = result.get("frames")
        posed = result.get("frames_with_pose")
        rows.append(
            {
                "file": item["file"],
                "exercise": item["exercise"],
                "true": _truth(item),
                "counted": _counted(item, result),
                "posed": f"{posed}/{frames}" if frames else "track",
            }
        )
    stats = evaluate(rows)
    text = table(rows, stats)
    print(text)
    from escape_home.bench import write_section

    write_section(DOC, "Accuracy", text)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    o = stats.get("overall")
    ok = (
        o is not None
        and o["exact"] >= TARGET_EXACT
        and o["obo"] >= TARGET_OBO
        and o["mae"] <= TARGET_MAE
    )
    return 0 if ok else 1


def main(args: argparse.Namespace) -> int:
    """Entry point for `escape-home bench accuracy [--out FILE]`."""
    return run(getattr(args, "out", None))
