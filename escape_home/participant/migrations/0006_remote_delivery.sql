-- The instructor's exercise plan (issue 12 item 1), kept so the app follows it offline.
-- One row: the last good plan fetched (message "plan", JSON), and the plan the person
-- was last told about (the next Home page says what changed since then).
CREATE TABLE instructor_plan (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    seen_body TEXT NOT NULL DEFAULT '{"items": {}}',
    problem TEXT  -- why the newest plan fetched could not be used, or NULL
);

-- A level the person moved to from the plan's (a step back when pain says so, or up
-- by the programme's rule): kept while the plan still names that level (a new level
-- from the instructor replaces it).
CREATE TABLE plan_step_back (
    exercise TEXT PRIMARY KEY,
    from_level INTEGER NOT NULL,
    to_level INTEGER NOT NULL,
    changed_at TEXT NOT NULL
);

-- What each set followed of the plan (progress log minor version 2 set fields).
ALTER TABLE exercise_set ADD COLUMN plan_version INTEGER;
ALTER TABLE exercise_set ADD COLUMN stepped_back_from INTEGER;
ALTER TABLE exercise_set ADD COLUMN swapped_from TEXT;
