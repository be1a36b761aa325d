-- Goals (session 6 asks people to write one down) and the week plan (the days and
-- time the person means to do their sessions). Goals go in the progress log
-- (minor version 2, `goals`); the week plan stays on this computer.
CREATE TABLE goal (
    id TEXT PRIMARY KEY,                     -- uuid
    set_at TEXT NOT NULL,                    -- when it was written (UTC)
    text TEXT NOT NULL,
    done_at TEXT                             -- when it was ticked off, or NULL
);
CREATE TABLE week_plan (
    id INTEGER PRIMARY KEY CHECK (id = 1),   -- one plan per person
    days TEXT NOT NULL,                      -- JSON list of weekdays, 0 = Monday
    at_time TEXT NOT NULL,                   -- local wall-clock time, HH:MM
    reminder_min INTEGER NOT NULL,           -- calendar reminder, minutes before
    updated_at TEXT NOT NULL
);
