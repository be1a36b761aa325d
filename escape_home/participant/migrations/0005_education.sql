-- Reserved for the education changes (no schema change yet).
SELECT 1;
