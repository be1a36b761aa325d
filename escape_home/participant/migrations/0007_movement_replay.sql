-- Movement replays (issue 12 item 3): with the participant's consent, the landmark
-- track (numbers only, never the picture) of the first flagged and the first good
-- rep of each exercise in a session. The JSON is exactly the log's session
-- `replays[]` item (escape_home/replay.py).
CREATE TABLE rep_replay (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES session (id),
    set_id INTEGER NOT NULL REFERENCES exercise_set (id),
    exercise TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('flagged', 'good')),
    track TEXT NOT NULL,
    kept_at TEXT NOT NULL,
    UNIQUE (session_id, exercise, kind)
);
