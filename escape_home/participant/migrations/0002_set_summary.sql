-- Keep the engine's end-of-set summary with each set: reps started but not finished,
-- and the set-up warnings shown during it (both go into the progress log).
ALTER TABLE exercise_set ADD COLUMN partial_reps INTEGER;
ALTER TABLE exercise_set ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
