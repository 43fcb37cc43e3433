//! ithaca-rt (under construction).
