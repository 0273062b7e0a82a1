"""Grid helpers (BARC-compatible) that synthesized programs call."""
