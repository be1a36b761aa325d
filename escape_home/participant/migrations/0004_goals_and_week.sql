-- Reserved for the goals and week changes (no schema change yet).
SELECT 1;
