//! The #[layout] grammar.
