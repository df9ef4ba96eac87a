//! Hand-made analyses for unit tests of `diag` and the renderers, independent of the
//! engine. Every number here is what rustc gives for the struct in the comment.

use std::path::PathBuf;

use layout::target::{self, TargetInfo};
use layout::{ReprInfo, StructExpect};

use crate::analysis::{
    Analysis, FieldKind, FieldReport, FileError, Intent, StructKind, StructReport,
};

pub(crate) fn field(
    name: &str,
    ty: &str,
    at: (usize, usize, usize),
    kind: FieldKind,
) -> FieldReport {
    FieldReport {
        name: name.to_string(),
        ty: ty.to_string(),
        line: 0,
        column: 5,
        offset: Some(at.0),
        size: Some(at.1),
        align: Some(at.2),
        intent: Intent::default(),
        kind,
    }
}

pub(crate) fn report(
    name: &str,
    line: usize,
    t: &'static TargetInfo,
    repr: ReprInfo,
    size: usize,
    align: usize,
    mut fields: Vec<FieldReport>,
) -> StructReport {
    for (i, f) in fields.iter_mut().enumerate() {
        f.line = line + 1 + i;
    }
    let mut repr_text = Vec::new();
    if repr.c {
        repr_text.push("C".to_string());
    }
    if let Some(a) = repr.align {
        repr_text.push(format!("align({a})"));
    }
    if let Some(p) = repr.packed {
        repr_text.push(format!("packed({p})"));
    }
    StructReport {
        id: crate::analysis::StructId {
            name: name.to_string(),
            module: "crate".into(),
            ..Default::default()
        },
        source: Default::default(),
        present: Default::default(),
        name: name.to_string(),
        path: format!("crate::{name}"),
        file: PathBuf::from("src/lib.rs"),
        line,
        column: 12,
        target: t,
        kind: StructKind::Named,
        repr,
        repr_text: if repr_text.is_empty() {
            "Rust".to_string()
        } else {
            repr_text.join(", ")
        },
        expect: StructExpect::default(),
        fixed: false,
        annotated: false,
        generic: false,
        instance: None,
        allowed: Vec::new(),
        line_size: t.cache_line,
        size: Some(size),
        align: Some(align),
        optimal_size: None,
        optimal_order: None,
        unknown: None,
        fields,
        diagnostics: Vec::new(),
    }
}

pub(crate) const C: ReprInfo = ReprInfo {
    c: true,
    transparent: false,
    packed: None,
    align: None,
};

pub(crate) fn x86() -> &'static TargetInfo {
    target::find("x86_64-linux").expect("row")
}

/// `#[repr(C)] struct Waste { a: u8, b: u64, c: u8 }`: 24 bytes, best order 16.
pub(crate) fn waste() -> StructReport {
    let mut s = report(
        "Waste",
        1,
        x86(),
        C,
        24,
        8,
        vec![
            field("a", "u8", (0, 1, 1), FieldKind::Plain),
            field("b", "u64", (8, 8, 8), FieldKind::Plain),
            field("c", "u8", (16, 1, 1), FieldKind::Plain),
        ],
    );
    s.optimal_size = Some(16);
    s.optimal_order = Some(vec![1, 0, 2]);
    s
}

/// `#[repr(C, align(64))] struct Ring { #[layout(group = "p")] head: AtomicU64,
/// #[layout(group = "c")] tail: AtomicU64 }`: 64 bytes, both on line 0.
pub(crate) fn ring() -> StructReport {
    let mut head = field("head", "AtomicU64", (0, 8, 8), FieldKind::Atomic);
    head.intent.group = Some("p".into());
    let mut tail = field("tail", "AtomicU64", (8, 8, 8), FieldKind::Atomic);
    tail.intent.group = Some("c".into());
    let repr = ReprInfo {
        align: Some(64),
        ..C
    };
    let mut s = report("Ring", 10, x86(), repr, 64, 64, vec![head, tail]);
    s.annotated = true;
    s
}

/// `struct Counters { hits: AtomicU64, misses: AtomicU64, name: String }` (repr(Rust):
/// rustc keeps this order, all 8-aligned): 40 bytes, no intent.
pub(crate) fn counters() -> StructReport {
    report(
        "Counters",
        20,
        x86(),
        ReprInfo::default(),
        40,
        8,
        vec![
            field("hits", "AtomicU64", (0, 8, 8), FieldKind::Atomic),
            field("misses", "AtomicU64", (8, 8, 8), FieldKind::Atomic),
            field("name", "String", (16, 24, 8), FieldKind::Plain),
        ],
    )
}

/// `#[repr(C)] struct Opaque { a: u32, b: Foreign }` with `Foreign` unknown.
pub(crate) fn opaque() -> StructReport {
    let mut b = field("b", "Foreign", (0, 0, 0), FieldKind::Plain);
    b.offset = None;
    b.size = None;
    b.align = None;
    let mut s = report(
        "Opaque",
        30,
        x86(),
        C,
        0,
        0,
        vec![field("a", "u32", (0, 4, 4), FieldKind::Plain), b],
    );
    s.size = None;
    s.align = None;
    s.unknown = Some("type `Foreign` is not defined in this crate".into());
    s
}

/// All of the above plus a file that does not parse.
pub(crate) fn analysis() -> Analysis {
    let mut a = Analysis {
        structs: vec![waste(), ring(), counters(), opaque()],
        errors: vec![FileError {
            file: PathBuf::from("src/broken.rs"),
            line: Some(3),
            column: Some(1),
            message: "expected `;`".into(),
        }],
    };
    crate::diag::diagnose(&mut a);
    a
}
