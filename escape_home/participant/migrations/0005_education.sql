-- Education (issue 14 items 4 and 5), kept in the progress log (minor version 2).
-- The beliefs and confidence check: one per stage of data/beliefs.toml, its answers
-- saved one screen at a time (finished_at stays NULL until the last one).
CREATE TABLE belief_check (
    id TEXT PRIMARY KEY,                     -- uuid
    stage TEXT NOT NULL UNIQUE,              -- a stage key of data/beliefs.toml
    session_number INTEGER NOT NULL CHECK (session_number BETWEEN 1 AND 12),
    started_at TEXT NOT NULL,
    finished_at TEXT,
    answers TEXT NOT NULL DEFAULT '{}'       -- JSON {item key: 0-10}
);
-- Listening counts: which lessons were opened, finished (the last screen reached) and
-- answered (the first answer to each "true or not?" question, and whether right).
CREATE TABLE lesson_progress (
    number INTEGER PRIMARY KEY CHECK (number BETWEEN 1 AND 12),
    first_opened_at TEXT NOT NULL,
    times_opened INTEGER NOT NULL DEFAULT 1,
    finished_at TEXT
);
CREATE TABLE lesson_answer (
    number INTEGER NOT NULL REFERENCES lesson_progress (number),
    question INTEGER NOT NULL CHECK (question BETWEEN 1 AND 10),
    answer INTEGER NOT NULL CHECK (answer IN (0, 1)),
    correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
    answered_at TEXT NOT NULL,
    PRIMARY KEY (number, question)
);
