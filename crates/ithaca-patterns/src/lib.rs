//! ithaca-patterns (under construction).
