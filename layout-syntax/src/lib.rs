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
//! `allow(code, ...)` on a struct or field lists advisory codes not to report. The
//! parsed lists are [`StructAttrs::allow`] and [`FieldAttrs::allow`] (each code with the
//! span of its name); [`StructAttrs::allows`] and [`FieldAttrs::allows`] take a code
//! name as `layout::Code::as_str` spells it. A finding about a field is silenced if the
//! struct or that field allows its code; a finding about the struct, if the struct
//! does. Error-level codes never parse as allowed.
//!
//! ```
//! use layout_syntax::{parse_field_attrs, parse_struct_attrs, Advisory, Ctxt};
//! let item: syn::ItemStruct = syn::parse_quote! {
//!     #[layout(allow(padding_waste))]
//!     struct S { #[layout(group = "a", allow(adjacent-line))] v: u64 }
//! };
//! let cx = Ctxt::new();
//! let s = parse_struct_attrs(&cx, &item.attrs);
//! let f = parse_field_attrs(&cx, &item.fields.iter().next().unwrap().attrs);
//! assert!(cx.check().is_ok());
//! assert!(s.allows("padding-waste") && !s.allows("adjacent-line"));
//! assert!(f.allows("adjacent-line"));
//! assert_eq!(s.allow[0].value, Advisory::PaddingWaste);
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
