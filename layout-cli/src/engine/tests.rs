//! Engine tests on small sources (numbers checked against rustc by `tests/oracle.rs`).
