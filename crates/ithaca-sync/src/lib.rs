//! ithaca-sync (under construction).
