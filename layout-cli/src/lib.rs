//! layout-cli library.
