//! The grammar's keywords, as named constants.

/// The attribute itself: `#[layout(...)]`.
pub const LAYOUT: &str = "layout";
/// `#[repr(...)]`.
pub const REPR: &str = "repr";

/// Struct: `size = N`, the expected `size_of`.
pub const SIZE: &str = "size";
/// Struct: `align = N` (power of two), the expected `align_of`.
pub const ALIGN: &str = "align";
/// Struct: `line = N` (power of two), the cache-line size to check against.
/// Field: `line = K`, the cache line the field lies wholly inside.
pub const LINE: &str = "line";
/// Struct: `max_padding = N`, the most bytes of compiler-inserted padding.
pub const MAX_PADDING: &str = "max_padding";
/// Struct flag: `layout-cli fix` leaves the struct alone.
pub const FIXED: &str = "fixed";

/// Struct or field: `allow(code, ...)`, advisory codes not to report.
pub const ALLOW: &str = "allow";

/// Field: `offset = N`, the expected `offset_of!`.
pub const OFFSET: &str = "offset";
/// Field: `group = "name"`; fields of different groups never share a cache line.
pub const GROUP: &str = "group";
/// Field flag: no other non-pad field shares any of this field's cache lines.
pub const ISOLATED: &str = "isolated";
/// Field flag: padding, exempt from the sharing rules.
pub const PAD: &str = "pad";

/// Every struct-level key.
pub const STRUCT_KEYS: &[&str] = &[SIZE, ALIGN, LINE, MAX_PADDING, FIXED, ALLOW];
/// Every field-level key.
pub const FIELD_KEYS: &[&str] = &[OFFSET, LINE, GROUP, ISOLATED, PAD, ALLOW];
