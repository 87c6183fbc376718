"""The plan derived from site files: addresses, users, schedule; pure and deterministic."""
