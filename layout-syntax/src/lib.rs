//! The `#[layout(...)]` and `#[repr(...)]` grammar, parsed once.
//!
//! `layout-derive` and `layout-cli` both turn attributes into the typed model here, so
//! the two can never accept different input or word an error differently. Parsing never
//! panics: every problem is recorded in a [`Ctxt`] with the span of the offending token,
//! and parsing goes on so that all problems are reported together.
//!
//! ```
//! use layout_syntax::{parse_field_attrs, Ctxt};
//! let field: syn::Field = syn::parse_quote!(#[layout(line = 1, isolated)] v: u64);
//! let cx = Ctxt::new();
//! let attrs = parse_field_attrs(&cx, &field.attrs);
//! assert!(cx.check().is_ok());
//! assert_eq!(attrs.line.map(|l| l.value), Some(1));
//! assert!(attrs.isolated.is_some());
//! ```
//!
//! `cfg_attr` is not expanded here: rustc expands it before a derive runs, and
//! `layout-cli` must evaluate it for each target before calling these functions.

mod allow;
mod attr;
mod ctxt;
pub mod kw;
mod repr;
mod suggest;

pub use allow::{Advisory, ERROR_CODES};
pub use attr::{FieldAttrs, StructAttrs, parse_field_attrs, parse_struct_attrs};
pub use ctxt::{Ctxt, Spanned};
pub use repr::{Repr, ReprKind, parse_repr};

#[cfg(test)]
mod tests;
