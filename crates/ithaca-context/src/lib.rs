//! ithaca-context (under construction).
