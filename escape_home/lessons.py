"""The twelve lessons, read from ``data/lessons.toml``, and a readability check.

One lesson per session (issue 14): short screens, each with a picture, read aloud by
the app's voice, ending with "true or not?" questions on the beliefs ESCAPE-pain
targets. Every lesson names its public sources and carries a ``reviewed_by`` field
that stays empty until a physiotherapist signs it off.

The readability measures (Flesch reading ease and Flesch-Kincaid grade) are
implemented here, with a simple syllable counter, so that no extra package is needed;
they are estimates, close enough to keep the text at the target reading age.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from escape_home.errors import EscapeHomeError

NUM_LESSONS = 12
#: The mistaken beliefs the programme sets out to change; every question names one.
BELIEFS: dict[str, str] = {
    "rest_is_best": "Rest is best for painful joints",
    "exercise_wears_out": "Exercise wears joints out",
    "pain_means_damage": "Pain during exercise means damage",
}
#: Listening pace used for the time estimate: the app speaks at 0.9 of normal speed,
#: about 140 words a minute; an older reader reads at about the same pace.
WORDS_PER_MINUTE = 140
#: Where a lesson picture lives, under web/static.
PICTURE = "img/lessons/{name}.svg"


class LessonError(EscapeHomeError):
    """The lessons file is missing or malformed (the message says where)."""


@dataclass(frozen=True)
class Source:
    title: str
    url: str
    used_for: str


@dataclass(frozen=True)
class Screen:
    heading: str
    picture: str  # a name; the file is PICTURE
    alt: str
    paragraphs: tuple[str, ...]

    @property
    def picture_path(self) -> str:
        return PICTURE.format(name=self.picture)

    @property
    def text(self) -> str:
        return " ".join(self.paragraphs)


@dataclass(frozen=True)
class Question:
    statement: str
    answer: bool  # True: the statement is true
    belief: str  # a key of BELIEFS
    explanation: str


@dataclass(frozen=True)
class Lesson:
    number: int
    title: str
    summary: str
    reviewed_by: str
    reviewed_on: str
    sources: tuple[Source, ...]
    screens: tuple[Screen, ...]
    questions: tuple[Question, ...]
    tool: str = ""
    """A self-management tool the lesson links to: "pacing", "flare_up" or ""."""

    @property
    def reviewed(self) -> bool:
        return bool(self.reviewed_by.strip())

    def all_text(self) -> str:
        """Everything the person reads or hears, in order."""
        parts = [self.title]
        for s in self.screens:
            parts.append(s.heading)
            parts.extend(s.paragraphs)
        for q in self.questions:
            parts.extend((q.statement, q.explanation))
        return " ".join(parts)

    @property
    def minutes(self) -> float:
        """Estimated minutes to listen to (or read) the whole lesson."""
        return len(words(self.all_text())) / WORDS_PER_MINUTE


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"'”’)])\s+")


def _sentences_in(text: str) -> list[str]:
    # A closing quote or bracket stays with its sentence: 'weeks' time." You'.
    return [p for p in _SENTENCE_END.split(text.strip()) if p]


def sentences(text: str) -> list[str]:
    """Split text into sentences (at ., ! or ? followed by a space)."""
    return _sentences_in(text)


def words(text: str) -> list[str]:
    """The words of `text` (numbers count as words; hyphenated words as one)."""
    return re.findall(r"[A-Za-z0-9]+(?:['’-][A-Za-z0-9]+)*", text)


_VOWELS = re.compile(r"[aeiouy]+")


def syllables(word: str) -> int:
    """Estimate the syllables of one English word (a common rule-based count)."""
    w = word.lower().replace("’", "'")
    if w.isdigit():
        return max(1, len(w))  # "12" is said "twelve": about one per digit
    if "-" in w:
        return sum(syllables(p) for p in w.split("-") if p)
    w = re.sub(r"'s$|'", "", w)
    if len(w) <= 3:
        return 1
    # Silent endings: "-es"/"-ed" (not after t/d or a sibilant), a final "e" (not "le").
    w = re.sub(r"(?:[^laeiouy]es|[^td]ed|[^laeiouy]e)$", lambda m: m.group(0)[0], w)
    w = re.sub(r"^y", "", w)
    count = len(_VOWELS.findall(w))
    # Vowels said apart: "ia", "io" (not "tio"/"sio"), "eo", "eoa", "ua", a final "ea".
    count += len(re.findall(r"[^ts]i[ao]|eo|ua|ie[rt]|ea$", w)) + w.count("eoa")
    return max(1, count)


@dataclass(frozen=True)
class Readability:
    words: int
    sentences: int
    syllables: int

    @property
    def words_per_sentence(self) -> float:
        return self.words / max(1, self.sentences)

    @property
    def syllables_per_word(self) -> float:
        return self.syllables / max(1, self.words)

    @property
    def grade(self) -> float:
        """Flesch-Kincaid grade level (US school grade; reading age is about +5)."""
        return 0.39 * self.words_per_sentence + 11.8 * self.syllables_per_word - 15.59

    @property
    def reading_ease(self) -> float:
        """Flesch reading ease (higher is easier; 70-80 is 'fairly easy')."""
        return (
            206.835 - 1.015 * self.words_per_sentence - 84.6 * self.syllables_per_word
        )

    @property
    def reading_age(self) -> float:
        return self.grade + 5


def readability(paragraphs: list[str] | tuple[str, ...] | str) -> Readability:
    """Measure text given as one string or as paragraphs (each ends a sentence)."""
    paras = [paragraphs] if isinstance(paragraphs, str) else list(paragraphs)
    n_sent = sum(len(_sentences_in(p)) for p in paras)
    ws = [w for p in paras for w in words(p)]
    return Readability(len(ws), n_sent, sum(syllables(w) for w in ws))


def _req(d: dict[str, Any], key: str, where: str, kind: type = str) -> Any:
    if key not in d or not isinstance(d[key], kind):
        raise LessonError(f"{where}: '{key}' is missing or not a {kind.__name__}")
    return d[key]


def _paragraphs(text: str) -> tuple[str, ...]:
    return tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip())


def parse_lessons(data: dict[str, Any], where: str = "lessons.toml") -> list[Lesson]:
    """Check the lessons data and return the lessons in session order."""
    out: list[Lesson] = []
    for i, raw in enumerate(_req(data, "lesson", where, list), start=1):
        at = f"{where}: lesson {raw.get('number', i)}"
        screens = []
        for j, s in enumerate(_req(raw, "screen", at, list), start=1):
            sat = f"{at} screen {j}"
            screens.append(
                Screen(
                    heading=_req(s, "heading", sat),
                    picture=_req(s, "picture", sat),
                    alt=_req(s, "alt", sat),
                    paragraphs=_paragraphs(_req(s, "text", sat)),
                )
            )
        questions = []
        for j, q in enumerate(_req(raw, "question", at, list), start=1):
            qat = f"{at} question {j}"
            belief = _req(q, "belief", qat)
            if belief not in BELIEFS:
                raise LessonError(f"{qat}: belief {belief!r} is not one of {BELIEFS}")
            questions.append(
                Question(
                    statement=_req(q, "statement", qat),
                    answer=_req(q, "answer", qat, bool),
                    belief=belief,
                    explanation=" ".join(_req(q, "explanation", qat).split()),
                )
            )
        sources = tuple(
            Source(
                title=_req(s, "title", f"{at} source"),
                url=_req(s, "url", f"{at} source"),
                used_for=_req(s, "used_for", f"{at} source"),
            )
            for s in _req(raw, "source", at, list)
        )
        out.append(
            Lesson(
                number=_req(raw, "number", at, int),
                title=_req(raw, "title", at),
                summary=" ".join(_req(raw, "summary", at).split()),
                reviewed_by=str(raw.get("reviewed_by", "")),
                reviewed_on=str(raw.get("reviewed_on", "")),
                sources=sources,
                screens=tuple(screens),
                questions=tuple(questions),
                tool=_tool(raw, at),
            )
        )
    numbers = [lesson.number for lesson in out]
    if sorted(numbers) != list(range(1, NUM_LESSONS + 1)):
        raise LessonError(f"{where}: lessons must be numbered 1 to 12, got {numbers}")
    return sorted(out, key=lambda lesson: lesson.number)


#: Tools a lesson may point to (``tool`` in lessons.toml): participant endpoints.
TOOLS = {"pacing": "tools.pacing", "flare_up": "tools.flare_up"}


def _tool(raw: dict[str, Any], at: str) -> str:
    tool = str(raw.get("tool", ""))
    if tool and tool not in TOOLS:
        raise LessonError(f"{at}: tool must be one of {sorted(TOOLS)}, not {tool!r}")
    return tool


def load_lessons(path: str | Path | None = None) -> list[Lesson]:
    """Load and check the lessons (the packaged file unless `path` is given)."""
    if path is None:
        return list(_packaged())
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LessonError(f"The lessons file could not be read: {exc}") from exc
    return parse_lessons(data, str(path))


@cache
def _packaged() -> tuple[Lesson, ...]:
    try:
        text = (
            resources.files("escape_home")
            .joinpath("data/lessons.toml")
            .read_text(encoding="utf-8")
        )
        data = tomllib.loads(text)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise LessonError(f"The lessons file could not be read: {exc}") from exc
    return tuple(parse_lessons(data))


def get_lesson(number: int, path: str | Path | None = None) -> Lesson:
    for lesson in load_lessons(path):
        if lesson.number == number:
            return lesson
    raise LessonError(f"There is no lesson {number}")
