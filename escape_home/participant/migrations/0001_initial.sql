-- The participant's progress log. Times are ISO 8601 UTC strings; JSON columns hold
-- small dicts/lists exactly as they go into the exported progress log.

CREATE TABLE profile (
    id INTEGER PRIMARY KEY CHECK (id = 1),  -- one person per app
    participant_uuid TEXT NOT NULL,
    nickname TEXT NOT NULL,
    joint TEXT NOT NULL CHECK (joint IN ('knee', 'hip', 'both')),
    age_band TEXT NOT NULL,
    sex TEXT CHECK (sex IN ('female', 'male')),
    created_at TEXT NOT NULL
);

CREATE TABLE setting (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE session (
    id TEXT PRIMARY KEY,                     -- uuid
    number INTEGER NOT NULL CHECK (number BETWEEN 1 AND 12),
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL DEFAULT 'in_progress'
        CHECK (status IN ('in_progress', 'interrupted', 'completed', 'stopped_safety')),
    step INTEGER NOT NULL DEFAULT 0,          -- where to resume in the session plan
    pain_before INTEGER CHECK (pain_before BETWEEN 0 AND 10),
    pain_after INTEGER CHECK (pain_after BETWEEN 0 AND 10),
    pain_next_day INTEGER CHECK (pain_next_day BETWEEN 0 AND 10),
    exertion INTEGER CHECK (exertion BETWEEN 0 AND 10),
    safety_answers TEXT NOT NULL DEFAULT '{}',
    any_yes INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX session_started ON session (started_at);

CREATE TABLE exercise_set (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES session (id),
    part TEXT NOT NULL DEFAULT 'circuit',
    exercise TEXT NOT NULL,
    level INTEGER NOT NULL DEFAULT 1,
    target_reps INTEGER,
    target_s REAL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    outcome TEXT  -- done, skipped, stopped; NULL while running
);
CREATE INDEX set_session ON exercise_set (session_id);

CREATE TABLE rep (
    id INTEGER PRIMARY KEY,
    set_id INTEGER NOT NULL REFERENCES exercise_set (id),
    idx INTEGER NOT NULL,
    side TEXT NOT NULL,
    start_s REAL NOT NULL,
    end_s REAL NOT NULL,
    metrics TEXT NOT NULL DEFAULT '{}',
    faults TEXT NOT NULL DEFAULT '[]',
    logged_at TEXT NOT NULL
);
CREATE INDEX rep_set ON rep (set_id);

CREATE TABLE hold (
    id INTEGER PRIMARY KEY,
    set_id INTEGER NOT NULL REFERENCES exercise_set (id),
    side TEXT NOT NULL,
    start_s REAL NOT NULL,
    end_s REAL NOT NULL,
    faults TEXT NOT NULL DEFAULT '[]',
    logged_at TEXT NOT NULL
);

CREATE TABLE test_result (
    id TEXT PRIMARY KEY,                      -- uuid
    session_id TEXT REFERENCES session (id),
    kind TEXT NOT NULL CHECK (kind IN ('chair_stand_30s', 'five_times_sts')),
    taken_at TEXT NOT NULL,
    result REAL NOT NULL,
    unit TEXT NOT NULL,
    norm TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE level (
    exercise TEXT PRIMARY KEY,
    level INTEGER NOT NULL,
    changed_at TEXT NOT NULL
);

CREATE TABLE progression (
    session_id TEXT NOT NULL REFERENCES session (id),
    exercise TEXT NOT NULL,
    suggestion TEXT NOT NULL CHECK (suggestion IN ('stay', 'up', 'back')),
    reason TEXT NOT NULL,
    chosen TEXT CHECK (chosen IN ('stay', 'up', 'back')),
    PRIMARY KEY (session_id, exercise)
);
