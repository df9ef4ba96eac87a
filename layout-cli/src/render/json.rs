//! `--format json`: one document in schema 2, described by `docs/json.md` and checked
//! against the JSON Schema `docs/report.schema.json`.
//!
//! Wire types live here, apart from the domain types of `analysis`, so the schema only
//! changes on purpose (and `schema` is bumped when it does). Schema 2 adds, to schema
//! 1: each struct's `package`, module `path`, `present`, `source`, the reason of every
//! unknown number (`unknown`), the suggested field order (`optimal_order`) and the
//! partner field of a pair finding (`partner`); later, additively, `generic`,
//! `instance_of` and `named_at`, which tell a generic struct's own entry from the
//! entries of its instantiations.

use serde::{Deserialize, Serialize};

use crate::analysis::{Analysis, FileError, Finding, NumberSource, Presence, StructReport};
use crate::render::display_path;

/// Schema version written in every document.
pub const SCHEMA: u32 = 2;

/// The whole document.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Document {
    /// Always [`SCHEMA`].
    pub schema: u32,
    /// One entry per struct per target.
    pub structs: Vec<Struct>,
    /// Input problems.
    pub errors: Vec<Error>,
}

/// One struct on one target.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Struct {
    /// Name as written.
    pub name: String,
    /// Module path and name inside the crate, e.g. `crate::ring::Ring`.
    pub path: String,
    /// The cargo package, `null` when the input is a plain directory or file.
    pub package: Option<String>,
    /// `"yes"`, or `"unknown"` when the struct exists only if a cfg the tool cannot
    /// know holds (the reason is in `present_reason`).
    pub present: String,
    /// Why `present` is `"unknown"`, else `null`.
    pub present_reason: Option<String>,
    /// Where the numbers come from: `"static"` (this tool's engine) or `"rustc"`.
    pub source: String,
    /// Source file, `/`-separated.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Target triple.
    pub target: String,
    /// `#[repr(...)]` contents as written, `Rust` without one.
    pub repr: String,
    /// `size_of`, `null` if unknown.
    pub size: Option<usize>,
    /// `align_of`, `null` if unknown.
    pub align: Option<usize>,
    /// Cache-line size the rules used.
    pub cache_line: usize,
    /// Compiler-inserted padding bytes, `null` if unknown.
    pub padding: Option<usize>,
    /// Size of the best field order, `null` if unknown.
    pub optimal_size: Option<usize>,
    /// The best field order (field names), `null` when it is the current one or unknown.
    pub optimal_order: Option<Vec<String>>,
    /// Why a number of this struct or its fields is `null` (the first reason), else
    /// `null`.
    pub unknown: Option<String>,
    /// Fields in declaration order.
    pub fields: Vec<Field>,
    /// Findings.
    pub diagnostics: Vec<Diagnostic>,
    /// A generic struct's own entry (fields that depend on a parameter have `null`
    /// numbers; its instantiations are entries of their own).
    #[serde(default)]
    pub generic: bool,
    /// For an instantiation's entry (`name` `Pair<u64>`): the generic struct's module
    /// path, `crate::pair::Pair`; else `null`.
    #[serde(default)]
    pub instance_of: Option<String>,
    /// For an instantiation's entry: where it is named; else `null`.
    #[serde(default)]
    pub named_at: Option<NamedAt>,
}

/// Where an instantiation is named.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct NamedAt {
    /// A source file, or the `Cargo.toml` that lists it, `/`-separated.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// For one implied by another instantiation (a field of its definition names it with
    /// the parameters): that one's name; else `null`.
    pub via: Option<String>,
    /// Listed in `[package.metadata.layout] instantiations` (or the workspace's) rather
    /// than named in the source.
    pub listed: bool,
    /// The type as written there, path and all (`super::Pair<u64>`): it names the
    /// instantiation in the module of `file` (for an implied one, the field type of the
    /// generic definition with its parameters replaced by the values).
    pub written: String,
}

/// One field.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Field {
    /// Name; tuple fields are "0", "1", ...
    pub name: String,
    /// Type as written.
    #[serde(rename = "type")]
    pub ty: String,
    /// `offset_of!`, `null` if unknown.
    pub offset: Option<usize>,
    /// `size_of`, `null` if unknown.
    pub size: Option<usize>,
    /// `align_of`, `null` if unknown.
    pub align: Option<usize>,
}

/// One finding.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable kebab-case code.
    pub code: String,
    /// `warning` or `error`.
    pub severity: String,
    /// One line, with the numbers.
    pub message: String,
    /// The field it is about.
    pub field: Option<String>,
    /// The other field of a pair finding.
    pub partner: Option<String>,
    /// 1-based line the finding points at.
    pub line: usize,
}

/// One input problem.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Error {
    /// The file, `/`-separated.
    pub file: String,
    /// 1-based line, if known.
    pub line: Option<usize>,
    /// What went wrong.
    pub message: String,
}

impl Document {
    /// Maps the domain analysis to the wire document.
    pub fn from_analysis(a: &Analysis) -> Document {
        Document {
            schema: SCHEMA,
            structs: a.structs.iter().map(wire_struct).collect(),
            errors: a.errors.iter().map(wire_error).collect(),
        }
    }
}

fn wire_struct(s: &StructReport) -> Struct {
    let (present, present_reason) = match &s.present {
        Presence::Yes => ("yes".to_string(), None),
        Presence::Unknown(why) => ("unknown".to_string(), Some(why.clone())),
    };
    Struct {
        name: s.name.clone(),
        path: s.path.clone(),
        package: (!s.id.package.is_empty()).then(|| s.id.package.clone()),
        present,
        present_reason,
        source: match s.source {
            NumberSource::Static => "static",
            NumberSource::Rustc => "rustc",
        }
        .to_string(),
        file: display_path(&s.file),
        line: s.line,
        column: s.column,
        target: s.target.triple.to_string(),
        repr: s.repr_text.clone(),
        size: s.size,
        align: s.align,
        cache_line: s.line_size,
        padding: s.padding(),
        optimal_size: s.optimal_size,
        optimal_order: s.optimal_order.as_ref().map(|o| {
            o.iter()
                .filter_map(|&i| s.fields.get(i).map(|f| f.name.clone()))
                .collect()
        }),
        unknown: s.unknown.clone(),
        fields: s
            .fields
            .iter()
            .map(|f| Field {
                name: f.name.clone(),
                ty: f.ty.clone(),
                offset: f.offset,
                size: f.size,
                align: f.align,
            })
            .collect(),
        diagnostics: s.diagnostics.iter().map(wire_finding).collect(),
        generic: s.generic,
        instance_of: s.instance.as_ref().map(|i| i.generic.clone()),
        named_at: s.instance.as_ref().map(|i| NamedAt {
            file: display_path(&i.file),
            line: i.line,
            column: i.column,
            via: i.via.clone(),
            listed: i.listed,
            written: i.written.clone(),
        }),
    }
}

fn wire_finding(f: &Finding) -> Diagnostic {
    Diagnostic {
        code: f.code.as_str().to_string(),
        severity: f.severity.as_str().to_string(),
        message: f.message.clone(),
        field: f.field.clone(),
        partner: f.partner.clone(),
        line: f.line,
    }
}

fn wire_error(e: &FileError) -> Error {
    Error {
        file: display_path(&e.file),
        line: e.line,
        message: e.message.clone(),
    }
}

/// The document, pretty-printed, with a trailing newline.
pub fn render(a: &Analysis) -> String {
    let doc = Document::from_analysis(a);
    crate::timings::mark("json: wire document");
    // Serializing plain structs of strings and integers cannot fail.
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample;

    #[test]
    fn document_has_exactly_the_schema_keys() {
        let v: serde_json::Value = serde_json::from_str(&render(&sample::analysis())).unwrap();
        let keys = |v: &serde_json::Value| -> Vec<String> {
            let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(keys(&v), ["errors", "schema", "structs"]);
        assert_eq!(v["schema"], 2);
        let s = &v["structs"][0];
        assert_eq!(
            keys(s),
            [
                "align",
                "cache_line",
                "column",
                "diagnostics",
                "fields",
                "file",
                "generic",
                "instance_of",
                "line",
                "name",
                "named_at",
                "optimal_order",
                "optimal_size",
                "package",
                "padding",
                "path",
                "present",
                "present_reason",
                "repr",
                "size",
                "source",
                "target",
                "unknown"
            ]
        );
        assert_eq!(
            keys(&s["fields"][0]),
            ["align", "name", "offset", "size", "type"]
        );
        assert_eq!(
            keys(&s["diagnostics"][0]),
            ["code", "field", "line", "message", "partner", "severity"]
        );
        assert_eq!(keys(&v["errors"][0]), ["file", "line", "message"]);
    }

    #[test]
    fn values_round_trip_and_unknowns_are_null() {
        let doc: Document = serde_json::from_str(&render(&sample::analysis())).unwrap();
        let w = &doc.structs[0];
        assert_eq!(
            (w.name.as_str(), w.target.as_str()),
            ("Waste", "x86_64-unknown-linux-gnu")
        );
        assert_eq!(
            (w.size, w.align, w.padding, w.optimal_size),
            (Some(24), Some(8), Some(14), Some(16))
        );
        assert_eq!(w.repr, "C");
        assert_eq!(w.path, "crate::Waste");
        assert_eq!((w.present.as_str(), w.source.as_str()), ("yes", "static"));
        assert_eq!(
            w.optimal_order.as_deref(),
            Some(&["b".to_string(), "a".into(), "c".into()][..])
        );
        assert_eq!(
            w.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        assert_eq!(w.diagnostics[0].code, "padding-waste");
        assert_eq!(w.diagnostics[0].field, None);
        let o = &doc.structs[3];
        assert_eq!((o.size, o.align, o.padding), (None, None, None));
        assert_eq!(o.fields[1].offset, None);
        assert_eq!(
            o.unknown.as_deref(),
            Some("type `Foreign` is not defined in this crate")
        );
        assert_eq!(
            doc.structs[1].diagnostics[0].partner.as_deref(),
            Some("head")
        );
        assert_eq!(doc.errors[0].line, Some(3));
        let raw: serde_json::Value = serde_json::from_str(&render(&sample::analysis())).unwrap();
        assert!(raw["structs"][3]["size"].is_null());
    }
}
