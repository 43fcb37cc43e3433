//! ithaca-chan (under construction).
