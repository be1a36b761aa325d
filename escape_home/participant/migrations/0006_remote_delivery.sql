-- Reserved for the remote delivery changes (no schema change yet).
SELECT 1;
