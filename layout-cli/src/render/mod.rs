//! Renderers, one module per format.
