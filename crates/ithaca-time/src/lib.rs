//! ithaca-time (under construction).
