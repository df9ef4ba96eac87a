//! Cross-target derive fixtures.
