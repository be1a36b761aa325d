-- Self-management tools (issue 14 item 3), kept in the progress log: the flare-up
-- plan (one per person, its answers as the log's JSON), pacing plans (one row per
-- activity planned) and questions to ask in class.
CREATE TABLE flare_plan (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    data TEXT NOT NULL,                      -- the log's flare_plan, without updated_at
    updated_at TEXT NOT NULL
);
CREATE TABLE pacing_plan (
    id TEXT PRIMARY KEY,                     -- uuid
    created_at TEXT NOT NULL,
    activity TEXT NOT NULL,
    usual_min INTEGER NOT NULL CHECK (usual_min BETWEEN 1 AND 240),
    start_min INTEGER NOT NULL,
    step_min INTEGER NOT NULL,
    goal_min INTEGER,
    weeks TEXT NOT NULL                      -- JSON list of minutes, week 1 first
);
CREATE TABLE class_question (
    id TEXT PRIMARY KEY,                     -- uuid
    asked_at TEXT NOT NULL,
    text TEXT NOT NULL
);
