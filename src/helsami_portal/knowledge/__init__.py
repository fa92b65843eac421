"""Small, documented clinical knowledge tables used by server-side checks."""
