# ruff: noqa: E501  (SVG path strings read best on one line each)
"""Draw the lesson pictures (web/static/img/lessons/*.svg): simple, flat, labelled.

Each picture has a <title> and <desc> (the first alt text the lessons give it), so
it reads the same opened on its own. Run: python tools/draw_lesson_pictures.py
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from escape_home.lessons import load_lessons

OUT = Path(__file__).resolve().parents[1] / "web" / "static" / "img" / "lessons"
B, G, A, R, K, S, L = (
    "#0b4f8a",
    "#0a6b2d",
    "#c98a00",
    "#a1141b",
    "#333",
    "#f2c9a0",
    "#dbe7f3",
)


def person(x: float, y: float, c: str = B, s: float = 1.0) -> str:
    """A standing stick figure, feet at (x, y)."""
    h = 70 * s
    return (
        f'<circle cx="{x}" cy="{y - h}" r="{9 * s}" fill="{S}" stroke="{K}" stroke-width="2"/>'
        f'<path d="M{x} {y - h + 9 * s}V{y - 28 * s}M{x} {y - 28 * s}L{x - 12 * s} {y}'
        f"M{x} {y - 28 * s}L{x + 12 * s} {y}M{x - 16 * s} {y - h + 26 * s}"
        f'L{x + 16 * s} {y - h + 26 * s}" stroke="{c}" stroke-width="{6 * s}" '
        'stroke-linecap="round" fill="none"/>'
    )


def knee_joint(x: float, y: float) -> str:
    return (
        f'<rect x="{x - 14}" y="{y - 60}" width="28" height="52" rx="10" fill="#f4efe1" stroke="{K}" stroke-width="2"/>'
        f'<rect x="{x - 14}" y="{y + 8}" width="28" height="52" rx="10" fill="#f4efe1" stroke="{K}" stroke-width="2"/>'
        f'<path d="M{x - 14} {y - 10}h28M{x - 14} {y + 10}h28" stroke="{B}" stroke-width="5"/>'
    )


def star(cx: float, cy: float, r: float, c: str = A) -> str:
    import math

    pts = []
    for i in range(10):
        rr = r if i % 2 == 0 else r * 0.45
        a = math.pi / 2 + i * math.pi / 5
        pts.append(f"{cx + rr * math.cos(a):.1f},{cy - rr * math.sin(a):.1f}")
    return (
        f'<polygon points="{" ".join(pts)}" fill="{c}" stroke="{K}" stroke-width="2"/>'
    )


def dial(level: float) -> str:
    import math

    a = math.pi * (1 - level)
    x, y = 100 + 50 * math.cos(a), 105 - 50 * math.sin(a)
    return (
        f'<path d="M40 105A60 60 0 0 1 160 105" fill="none" stroke="{L}" stroke-width="18"/>'
        f'<path d="M40 105A60 60 0 0 1 {100 + 60 * math.cos(a):.1f} {105 - 60 * math.sin(a):.1f}" '
        f'fill="none" stroke="{R if level > 0.5 else G}" stroke-width="18"/>'
        f'<circle cx="100" cy="105" r="10" fill="{K}"/>'
        f'<path d="M100 105L{x:.1f} {y:.1f}" stroke="{K}" stroke-width="6" stroke-linecap="round"/>'
    )


FACE = (
    '<circle cx="150" cy="45" r="20" fill="#ffe59a" stroke="#333" stroke-width="2"/>'
    '<path d="M141 50q9 8 18 0" stroke="#333" stroke-width="3" fill="none"/>'
    '<circle cx="143" cy="40" r="2.5"/><circle cx="157" cy="40" r="2.5"/>'
)

DRAW: dict[str, str] = {
    "calendar": (
        f'<rect x="30" y="20" width="140" height="115" rx="8" fill="#fff" stroke="{K}" stroke-width="3"/>'
        f'<rect x="30" y="20" width="140" height="22" rx="8" fill="{B}"/>'
        + "".join(
            f'<rect x="{40 + c * 22}" y="{50 + r * 40}" width="16" height="16" rx="3" fill="{L}" stroke="{K}"/>'
            + (
                f'<path d="M{42 + c * 22} {58 + r * 40}l5 5l8-10" stroke="{G}" stroke-width="3" fill="none"/>'
                if c in (0, 3)
                else ""
            )
            for r in range(2)
            for c in range(6)
        )
    ),
    "session": "".join(
        f'<rect x="{8 + i * 38}" y="55" width="32" height="40" rx="6" fill="{c}" stroke="{K}" stroke-width="2"/>'
        for i, c in enumerate((L, "#ffe59a", B, "#ffe59a", "#cde8d5"))
    )
    + "".join(
        f'<path d="M{41 + i * 38} 75h5" stroke="{K}" stroke-width="3"/>'
        for i in range(4)
    ),
    "balance": person(100, 135)
    + f'<rect x="18" y="30" width="58" height="34" rx="5" fill="#cde8d5" stroke="{K}" stroke-width="2"/>'
    f'<path d="M30 47h34" stroke="{G}" stroke-width="6"/>'
    f'<rect x="124" y="30" width="58" height="34" rx="5" fill="#ffe59a" stroke="{K}" stroke-width="2"/>'
    f'<path d="M136 47h34M153 36v22" stroke="{A}" stroke-width="6"/>',
    "talk": (
        f'<path d="M20 25h80a10 10 0 0 1 10 10v35a10 10 0 0 1-10 10H50l-18 16v-16H20a10 10 0 0 1-10-10V35a10 10 0 0 1 10-10z" fill="{L}" stroke="{K}" stroke-width="2"/>'
        '<text x="60" y="67" font-size="40" text-anchor="middle" font-family="Arial" font-weight="bold" fill="#0b4f8a">?</text>'
        f'<path d="M100 60h80a10 10 0 0 1 10 10v35a10 10 0 0 1-10 10h-12v16l-18-16h-60a10 10 0 0 1-10-10V70a10 10 0 0 1 10-10z" fill="#ffe59a" stroke="{K}" stroke-width="2"/>'
        f'<circle cx="140" cy="84" r="11" fill="#fff" stroke="{K}" stroke-width="2"/><rect x="135" y="95" width="10" height="8" fill="{K}"/>'
    ),
    "chair": (
        f'<path d="M45 40v90M45 85h50v45M95 85v-5" stroke="{B}" stroke-width="8" stroke-linecap="round" fill="none"/>'
        f'<rect x="40" y="78" width="60" height="10" rx="3" fill="{B}"/>'
        f'<rect x="120" y="60" width="70" height="12" fill="#8a6a4a"/><rect x="125" y="72" width="60" height="63" fill="#c9ab86" stroke="{K}"/>'
    ),
    "knee": knee_joint(100, 75)
    + f'<path d="M70 20q-8 55 4 110M130 20q8 55-4 110" stroke="{R}" stroke-width="10" fill="none" stroke-linecap="round" opacity=".7"/>',
    "fluid": knee_joint(100, 75)
    + "".join(f'<circle cx="{x}" cy="75" r="3.5" fill="{B}"/>' for x in (90, 100, 110))
    + f'<path d="M60 60l15 10-15 10M140 60l-15 10 15 10" stroke="{G}" stroke-width="4" fill="none"/>',
    "repair": knee_joint(80, 75)
    + f'<path d="M130 110l35-35m-8-12a14 14 0 1 0 20 20l-6-2-6-6-2-6z" stroke="{K}" stroke-width="6" fill="{L}" stroke-linecap="round"/>',
    "muscle": (
        f'<path d="M85 15h30l5 60-8 60H92l-8-60z" fill="{S}" stroke="{K}" stroke-width="2"/>'
        f'<path d="M88 20q-10 35 4 60h18q12-25 4-60z" fill="{R}" opacity=".75"/>'
        f'<path d="M140 90v-50M128 52l12-14 12 14" stroke="{G}" stroke-width="6" fill="none" stroke-linecap="round"/>'
    ),
    "walk": person(90, 135)
    + f'<rect x="110" y="90" width="26" height="30" rx="3" fill="{A}" stroke="{K}" stroke-width="2"/>'
    f'<path d="M116 90q7-12 14 0" stroke="{K}" stroke-width="2" fill="none"/><path d="M10 137h180" stroke="{G}" stroke-width="4"/>',
    "alarm": (
        f'<path d="M70 105q0-60 30-60t30 60z" fill="{A}" stroke="{K}" stroke-width="3"/>'
        f'<rect x="62" y="103" width="76" height="10" rx="4" fill="{A}" stroke="{K}" stroke-width="2"/>'
        f'<circle cx="100" cy="120" r="7" fill="{K}"/>'
        f'<path d="M50 60l-15-8M48 80h-18M150 60l15-8M152 80h18" stroke="{R}" stroke-width="5" stroke-linecap="round"/>'
    ),
    "dial": dial(0.9),
    "dial_down": dial(0.2) + FACE,
    "shield": knee_joint(70, 75)
    + f'<path d="M140 30l35 12v30q0 35-35 50q-35-15-35-50V42z" fill="#cde8d5" stroke="{G}" stroke-width="4"/>'
    f'<path d="M125 75l10 10 20-22" stroke="{G}" stroke-width="6" fill="none"/>',
    "traffic": (
        f'<rect x="75" y="10" width="50" height="130" rx="12" fill="{K}"/>'
        f'<circle cx="100" cy="35" r="15" fill="{G}"/><circle cx="100" cy="75" r="15" fill="{A}"/>'
        f'<circle cx="100" cy="115" r="15" fill="{R}"/>'
    ),
    "heart": f'<path d="M100 130C30 85 40 30 75 30q18 0 25 20q7-20 25-20c35 0 45 55-25 100z" fill="{R}" stroke="{K}" stroke-width="3"/>'
    '<circle cx="85" cy="65" r="4" fill="#fff"/><circle cx="115" cy="65" r="4" fill="#fff"/>'
    '<path d="M85 82q15 14 30 0" stroke="#fff" stroke-width="4" fill="none"/>',
    "wave": f'<path d="M10 130V20h0" stroke="{K}" stroke-width="2"/><path d="M10 130h185" stroke="{K}" stroke-width="2"/>'
    f'<path d="M12 100L35 25L55 120L80 30L100 125L125 25L145 120L170 30L190 110" stroke="{R}" stroke-width="5" fill="none" stroke-linejoin="round"/>',
    "steady": f'<path d="M10 130V20" stroke="{K}" stroke-width="2"/><path d="M10 130h185" stroke="{K}" stroke-width="2"/>'
    f'<path d="M12 110q20-6 40-10t40-12t45-14t55-20" stroke="{G}" stroke-width="6" fill="none"/>',
    "timer": f'<circle cx="70" cy="80" r="42" fill="#fff" stroke="{B}" stroke-width="6"/>'
    f'<path d="M70 80V50M70 80l20 12" stroke="{K}" stroke-width="5" stroke-linecap="round"/><rect x="62" y="26" width="16" height="10" fill="{B}"/>'
    f'<path d="M150 20v90" stroke="#8a6a4a" stroke-width="6"/><path d="M130 110h40l-6 28h-28z" fill="{A}" stroke="{K}" stroke-width="2"/>',
    "notebook": f'<rect x="40" y="20" width="110" height="115" rx="6" fill="#fff" stroke="{K}" stroke-width="3"/>'
    + "".join(
        f'<path d="M55 {45 + i * 18}h80" stroke="{L}" stroke-width="4"/>'
        for i in range(5)
    )
    + f'<path d="M160 30l18 10-48 85-16 6 0-18z" fill="{A}" stroke="{K}" stroke-width="2"/>',
    "steps": "".join(
        f'<rect x="{20 + i * 35}" y="{115 - i * 22}" width="35" height="{22 + i * 22}" fill="{L}" stroke="{K}" stroke-width="2"/>'
        for i in range(5)
    )
    + f'<path d="M175 27V5" stroke="{K}" stroke-width="3"/><path d="M175 5l20 7-20 7z" fill="{R}"/>',
    "star": star(100, 78, 60),
    "target": "".join(
        f'<circle cx="90" cy="78" r="{r}" fill="{c}" stroke="{K}" stroke-width="2"/>'
        for r, c in ((60, "#fff"), (44, R), (28, "#fff"), (12, R))
    )
    + f'<path d="M90 78L175 25" stroke="{K}" stroke-width="5"/><path d="M165 20l18-2-4 16z" fill="{B}"/>',
    "scale10": f'<path d="M15 85h170" stroke="{K}" stroke-width="4"/>'
    + "".join(
        f'<path d="M{15 + i * 17} 78v14" stroke="{K}" stroke-width="3"/>'
        f'<text x="{15 + i * 17}" y="115" font-size="13" text-anchor="middle" font-family="Arial">{i}</text>'
        for i in range(11)
    )
    + f'<path d="M151 70l-10-22h20z" fill="{G}"/>',
    "smile": f'<circle cx="100" cy="78" r="55" fill="#ffe59a" stroke="{K}" stroke-width="3"/>'
    '<circle cx="80" cy="65" r="6"/><circle cx="120" cy="65" r="6"/>'
    f'<path d="M72 92q28 28 56 0" stroke="{K}" stroke-width="5" fill="none" stroke-linecap="round"/>',
    "pills": f'<rect x="25" y="60" width="90" height="60" rx="6" fill="#fff" stroke="{K}" stroke-width="3"/>'
    + "".join(
        f'<circle cx="{45 + c * 25}" cy="{78 + r * 25}" r="8" fill="{L}" stroke="{B}" stroke-width="2"/>'
        for r in range(2)
        for c in range(3)
    )
    + f'<rect x="135" y="30" width="30" height="90" rx="6" fill="{B}"/><rect x="140" y="18" width="20" height="14" fill="{K}"/>',
    "heat": f'<path d="M55 50h90q10 0 10 10v60q0 10-10 10H55q-10 0-10-10V60q0-10 10-10z" fill="{R}" opacity=".85" stroke="{K}" stroke-width="3"/>'
    f'<rect x="88" y="36" width="24" height="16" fill="{K}"/>'
    f'<path d="M70 30q-8-10 0-20M100 28q-8-10 0-20M130 30q-8-10 0-20" stroke="{A}" stroke-width="4" fill="none"/>',
    "ice": f'<rect x="40" y="45" width="120" height="80" rx="12" fill="#dff3ff" stroke="{B}" stroke-width="4"/>'
    + "".join(
        f'<circle cx="{60 + (i % 5) * 20}" cy="{65 + (i // 5) * 20}" r="7" fill="#7cc47c" stroke="{G}"/>'
        for i in range(15)
    ),
    "scales": f'<rect x="40" y="40" width="120" height="90" rx="14" fill="{L}" stroke="{K}" stroke-width="3"/>'
    f'<rect x="75" y="50" width="50" height="24" rx="4" fill="#fff" stroke="{K}" stroke-width="2"/>'
    f'<path d="M100 70l8-14" stroke="{R}" stroke-width="3"/>',
    "plate": f'<circle cx="100" cy="78" r="62" fill="#fff" stroke="{K}" stroke-width="3"/>'
    f'<path d="M100 78V16A62 62 0 0 0 100 140z" fill="#7cc47c"/>'
    f'<path d="M100 78V16A62 62 0 0 1 162 78z" fill="#f2d28a"/>'
    f'<path d="M100 78h62A62 62 0 0 1 100 140z" fill="#e7a08a"/>'
    f'<circle cx="100" cy="78" r="62" fill="none" stroke="{K}" stroke-width="3"/>',
    "swap": f'<circle cx="45" cy="78" r="22" fill="#c9ab86" stroke="{K}" stroke-width="2"/>'
    '<circle cx="155" cy="80" r="22" fill="#c8312f" stroke="#333" stroke-width="2"/>'
    '<path d="M155 58q2-10 8-12" stroke="#0a6b2d" stroke-width="4" fill="none"/>'
    f'<path d="M75 60q25-25 50 0M125 96q-25 25-50 0" stroke="{B}" stroke-width="5" fill="none"/>'
    f'<path d="M118 50l10 12-14 2zM82 106l-10-12 14-2z" fill="{B}"/>',
    "breathe": '<path d="M50 135v-40h70v40M50 95V50" stroke="#8a6a4a" stroke-width="8" fill="none"/>'
    + f'<circle cx="85" cy="45" r="12" fill="{S}" stroke="{K}" stroke-width="2"/>'
    f'<path d="M79 44h5M88 44h5" stroke="{K}" stroke-width="2"/>'
    f'<path d="M85 57v35h30v40" stroke="{B}" stroke-width="8" fill="none" stroke-linecap="round"/>'
    f'<path d="M140 40q15 10 0 20t0 20" stroke="{G}" stroke-width="4" fill="none"/>',
    "sleep": f'<path d="M150 20a30 30 0 1 0 25 45a24 24 0 1 1-25-45z" fill="#ffe59a" stroke="{K}" stroke-width="2"/>'
    f'<rect x="20" y="95" width="150" height="25" rx="6" fill="{B}"/><rect x="25" y="85" width="40" height="15" rx="6" fill="#fff" stroke="{K}"/>'
    f'<path d="M20 90v45M170 110v25" stroke="{K}" stroke-width="5"/>'
    + star(60, 35, 10, "#ffe59a")
    + star(100, 22, 8, "#ffe59a"),
    "phone": f'<rect x="50" y="75" width="100" height="55" rx="10" fill="{B}"/>'
    f'<path d="M40 70q60-45 120 0l-10 14q-50-30-100 0z" fill="{K}"/>'
    + "".join(
        f'<circle cx="{80 + c * 20}" cy="{92 + r * 16}" r="5" fill="#fff"/>'
        for r in range(2)
        for c in range(3)
    ),
    "plan": f'<rect x="45" y="15" width="110" height="125" rx="6" fill="#fff" stroke="{K}" stroke-width="3"/>'
    + "".join(
        f'<rect x="58" y="{35 + i * 33}" width="18" height="18" fill="#fff" stroke="{K}" stroke-width="2"/>'
        f'<path d="M60 {44 + i * 33}l5 6 10-13" stroke="{G}" stroke-width="4" fill="none"/>'
        f'<path d="M86 {44 + i * 33}h55" stroke="{L}" stroke-width="6"/>'
        for i in range(3)
    ),
    "group": person(55, 135, G, 0.9)
    + person(100, 135, B, 1.0)
    + person(145, 135, A, 0.9)
    + f'<path d="M10 137h180" stroke="{G}" stroke-width="4"/>',
    "shoe": f'<path d="M30 100q0-40 30-40q10 20 40 22q40 4 60 18q10 8 10 20H30z" fill="{B}" stroke="{K}" stroke-width="3"/>'
    f'<rect x="28" y="118" width="145" height="14" rx="6" fill="#f4efe1" stroke="{K}" stroke-width="2"/>'
    '<path d="M70 70l10 10M82 68l10 10M94 70l8 10" stroke="#fff" stroke-width="3"/>',
    "water": f'<path d="M70 25h60l-8 110H78z" fill="#dff3ff" stroke="{K}" stroke-width="3"/>'
    f'<path d="M74 60h52l-5 73H79z" fill="#8cc8ec"/>',
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    alts: dict[str, str] = {}
    for lesson in load_lessons():
        for s in lesson.screens:
            alts.setdefault(s.picture, s.alt)
    missing = sorted(set(alts) - set(DRAW))
    if missing:
        raise SystemExit(f"No drawing for: {', '.join(missing)}")
    for name, alt in sorted(alts.items()):
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 150" '
            f'width="200" height="150" role="img" aria-labelledby="t d">'
            f'<title id="t">{escape(name.replace("_", " ").capitalize())}</title>'
            f'<desc id="d">{escape(alt)}</desc>'
            '<rect width="200" height="150" fill="#fff"/>'
            f"{DRAW[name]}</svg>\n"
        )
        (OUT / f"{name}.svg").write_text(svg, encoding="utf-8")
    print(f"{len(alts)} pictures in {OUT}")


if __name__ == "__main__":
    main()
