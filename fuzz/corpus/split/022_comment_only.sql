-- This migration intentionally does nothing.
-- It was squashed into a later one; kept for history.

/* nothing to see here; */
