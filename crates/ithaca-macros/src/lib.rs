//! ithaca-macros (under construction).
