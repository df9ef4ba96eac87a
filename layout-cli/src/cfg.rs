//! (engine helper) see engine/mod.rs
