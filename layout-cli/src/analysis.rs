//! The data the layout engine hands to diagnostics, renderers, `fix` and `snapshot`.
//!
//! Domain types, not wire types: `render::json` maps these to the documented JSON
//! schema (`docs/json.md`). One [`StructReport`] per struct per target. Unknown numbers are `None`, with the
//! reason in `unknown`.

use std::path::PathBuf;

use layout::target::TargetInfo;
use layout::{Code, FieldIntent, FieldLayout, ReprInfo, Severity, StructExpect};

/// Everything `report` found in the paths it was given.
#[derive(Debug, Default)]
pub struct Analysis {
    /// Struct layouts, grouped by file then source order, then target order.
    pub structs: Vec<StructReport>,
    /// Files that could not be read or parsed, types that recurse, overflow, ...
    /// Other files are still reported.
    pub errors: Vec<FileError>,
}

/// A problem with the input, not with a layout: `layout-cli` exits 2 when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    /// The file (as given or found under a given directory).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// What went wrong, for a person.
    pub message: String,
}

/// Named `{ a: T }`, tuple `(T)` or unit struct.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StructKind {
    /// `struct S { a: T }`.
    Named,
    /// `struct S(T);` — fields are named "0", "1", ...
    Tuple,
    /// `struct S;`.
    Unit,
}

/// Which struct a report is about, independent of the target and of line numbers:
/// what snapshots, SARIF fingerprints and grouped output key on.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StructId {
    /// The cargo package (empty when the input is a plain directory or file).
    pub package: String,
    /// The crate target inside the package (`lib`, a bin's name, ...; empty for plain
    /// files).
    pub krate: String,
    /// Module path inside the crate, e.g. `crate::ring`.
    pub module: String,
    /// The struct's name.
    pub name: String,
    /// 0 for the first struct of this name in this module, 1 for the next: several
    /// `#[cfg]` variants of one name are told apart by their order in the source.
    pub ordinal: u32,
}

impl StructId {
    /// `package::module::Name` (`module` starting after `crate`), with `#N` for
    /// ordinals above 0: stable across runs and line moves.
    pub fn key(&self) -> String {
        let mut s = String::new();
        if !self.package.is_empty() {
            s.push_str(&self.package);
            if !self.krate.is_empty() && self.krate != "lib" {
                s.push('/');
                s.push_str(&self.krate);
            }
            s.push_str("::");
        }
        let module = self.module.strip_prefix("crate").unwrap_or(&self.module);
        let module = module.strip_prefix("::").unwrap_or(module);
        if !module.is_empty() {
            s.push_str(module);
            s.push_str("::");
        }
        s.push_str(&self.name);
        if self.ordinal > 0 {
            s.push_str(&format!("#{}", self.ordinal));
        }
        s
    }
}

/// Where a layout's numbers come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NumberSource {
    /// The static engine (no compiler).
    #[default]
    Static,
    /// rustc itself (`--exact`).
    Rustc,
}

/// Whether the struct exists in the build described.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Presence {
    /// Every cfg that decides it is known and holds.
    #[default]
    Yes,
    /// It exists only if a cfg the tool cannot know holds (e.g. one a build script may
    /// set): the reason.
    Unknown(String),
}

/// One struct on one target.
#[derive(Clone, Debug)]
pub struct StructReport {
    /// Which struct (package, crate, module, name, ordinal).
    pub id: StructId,
    /// Where the numbers come from.
    pub source: NumberSource,
    /// Whether it exists in this build.
    pub present: Presence,
    /// The struct's name.
    pub name: String,
    /// Module path inside the crate, e.g. `crate::ring::Ring` (for disambiguation).
    pub path: String,
    /// Source file.
    pub file: PathBuf,
    /// 1-based line of the struct's name.
    pub line: usize,
    /// 1-based column of the struct's name.
    pub column: usize,
    /// The target this layout is for.
    pub target: &'static TargetInfo,
    /// Named, tuple or unit.
    pub kind: StructKind,
    /// `#[repr]` as the rules need it.
    pub repr: ReprInfo,
    /// `#[repr(...)]` as written (after `cfg_attr` for this target), e.g. `C, align(64)`;
    /// `Rust` when there is none.
    pub repr_text: String,
    /// Struct-level `#[layout(...)]` after `cfg_attr` for this target.
    pub expect: StructExpect,
    /// `#[layout(fixed)]` or a `// layout:ignore` comment: `fix` leaves it alone.
    pub fixed: bool,
    /// Carries `#[derive(CacheLayout)]` or any `#[layout]` attribute.
    pub annotated: bool,
    /// Has generic parameters (lifetimes aside): the generic struct's own entry, whose
    /// fields that depend on a parameter have unknown numbers. Its instantiations are
    /// entries of their own (see `instance`).
    pub generic: bool,
    /// For the entry of a generic struct's instantiation (`Pair<u64>`): which generic
    /// struct and where it was named. `None` for every other entry.
    pub instance: Option<InstanceOf>,
    /// Codes allowed inline on the struct (`#[layout(allow(...))]`, or a
    /// `// layout:allow(...)` comment filled by `levels::apply`): the nearest level.
    pub allowed: Vec<Code>,
    /// Cache-line size the rules use (`expect.line` or the target's).
    pub line_size: usize,
    /// `size_of`, if known.
    pub size: Option<usize>,
    /// `align_of`, if known.
    pub align: Option<usize>,
    /// Size the best field order reaches (`padding-waste`), if known.
    pub optimal_size: Option<usize>,
    /// That order, as indices into `fields`, if it differs from the current one.
    pub optimal_order: Option<Vec<usize>>,
    /// Why any number is unknown (first reason), e.g. "type `Foo` is not defined in this crate".
    pub unknown: Option<String>,
    /// Fields in declaration order; fields `cfg`'d out on this target are absent.
    pub fields: Vec<FieldReport>,
    /// Findings, filled by `diag::diagnose`.
    pub diagnostics: Vec<Finding>,
}

/// Where an instantiation's entry comes from. The entry itself (`name` = `Pair<u64>`)
/// is at the generic struct's definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceOf {
    /// The generic struct's module path and name, e.g. `crate::pair::Pair`.
    pub generic: String,
    /// Where the instantiation is named: a source file, or the `Cargo.toml` whose
    /// `[package.metadata.layout] instantiations` (or the workspace's) lists it.
    pub file: PathBuf,
    /// 1-based line there.
    pub line: usize,
    /// 1-based column there.
    pub column: usize,
    /// For one implied by another instantiation (a field `SpinLock<Batch<B>>` of
    /// `SubmitQueue<TaskBuf>` implies `Batch<TaskBuf>`): that one's text; the position is
    /// then the field type's in the generic definition.
    pub via: Option<String>,
    /// Listed in a manifest rather than named in the source.
    pub listed: bool,
    /// The type as written there, path and all (`super::Pair<u64>`); for an implied
    /// one, the field type of the definition with the parameters replaced.
    pub written: String,
}

/// What kind of thing a field holds, for the `possible-false-sharing` heuristic. A
/// field of one of the crate's own structs has the strongest kind among that struct's
/// fields (atomic, then lock, then cell).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// `Atomic*` (also inside `CachePadded`/arrays).
    Atomic,
    /// `Mutex`, `RwLock`, `Condvar`, `Once`, parking_lot/spin locks.
    Lock,
    /// `Cell`, `UnsafeCell`, `RefCell`.
    Cell,
    /// Anything else.
    Plain,
}

/// One field on one target.
#[derive(Clone, Debug)]
pub struct FieldReport {
    /// Name; tuple fields are "0", "1", ...
    pub name: String,
    /// The type as written, normalised by `quote` (`[u8 ; 64]` printed as `[u8; 64]`).
    pub ty: String,
    /// 1-based line of the field.
    pub line: usize,
    /// 1-based column of the field.
    pub column: usize,
    /// `offset_of!`, if known.
    pub offset: Option<usize>,
    /// `size_of` the type, if known.
    pub size: Option<usize>,
    /// `align_of` the type, if known (not reduced by `packed`).
    pub align: Option<usize>,
    /// Field-level `#[layout(...)]` after `cfg_attr`.
    pub intent: Intent,
    /// For the heuristic.
    pub kind: FieldKind,
}

/// Owned field intent (see `layout::FieldIntent`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Intent {
    /// `offset = N`.
    pub offset: Option<usize>,
    /// `line = K`.
    pub line: Option<usize>,
    /// `group = "name"`.
    pub group: Option<String>,
    /// `isolated`.
    pub isolated: bool,
    /// `pad`.
    pub pad: bool,
    /// `allow(code, ...)`: codes allowed for findings about this field.
    pub allow: Vec<Code>,
}

/// One diagnostic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Stable code.
    pub code: Code,
    /// Severity: the code's default, then as `levels::apply` sets it (`warn`/`deny`).
    pub severity: Severity,
    /// One line for people, with the numbers (never the target's name: findings are
    /// grouped across targets, and the renderers say which targets each holds on).
    pub message: String,
    /// The field it is about, if any.
    pub field: Option<String>,
    /// The other field of a pair finding (`false-sharing`, `not-isolated`,
    /// `adjacent-line`, `possible-false-sharing`), if any.
    pub partner: Option<String>,
    /// 1-based line to point at (the field's, else the struct's).
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl StructReport {
    /// Bytes of compiler-inserted padding, if the layout is known.
    pub fn padding(&self) -> Option<usize> {
        let size = self.size?;
        let mut used = 0usize;
        for f in &self.fields {
            used = used.checked_add(f.size?)?;
        }
        size.checked_sub(used)
    }

    /// The fields as the `layout` crate's rules take them, or `None` if any field's
    /// offset, size or alignment is unknown.
    pub fn field_layouts(&self) -> Option<Vec<FieldLayout<'_>>> {
        self.fields
            .iter()
            .map(|f| {
                Some(FieldLayout {
                    name: &f.name,
                    offset: f.offset?,
                    size: f.size?,
                    align: f.align?,
                    intent: FieldIntent {
                        offset: f.intent.offset,
                        line: f.intent.line,
                        group: f.intent.group.as_deref(),
                        isolated: f.intent.isolated,
                        pad: f.intent.pad,
                    },
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_keys_name_package_crate_module_and_ordinal() {
        let mut id = StructId {
            package: "tokio".into(),
            krate: "lib".into(),
            module: "crate::runtime::context".into(),
            name: "Context".into(),
            ordinal: 0,
        };
        assert_eq!(id.key(), "tokio::runtime::context::Context");
        id.ordinal = 1;
        id.krate = "tool".into();
        assert_eq!(id.key(), "tokio/tool::runtime::context::Context#1");
        let plain = StructId {
            module: "crate".into(),
            name: "S".into(),
            ..Default::default()
        };
        assert_eq!(plain.key(), "S");
    }
}
