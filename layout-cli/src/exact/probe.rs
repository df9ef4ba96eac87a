//! Probes: `const` items that fail type checking on purpose, so rustc prints the number
//! asked for in its diagnostic, and the parser that reads the numbers back.
//!
//! A probe is `const _: () = ([(); ::core::mem::size_of::<S>()], [(); ID]);`. rustc
//! rejects it with ``expected `()`, found `([(); 24], [(); ID])` ``: the first array
//! length is the number (0 survives, unlike a bare `[(); N]` compared with `[(); 0]`),
//! the second names the probe, and the diagnostic's line must be the probe's own line.
//! Each probe is on its own line and carries the struct's `#[cfg]`s. A probe that fails
//! for another reason (its struct is cfg'd out: "cannot find type") fails alone.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::scan::{Decl, Param};

/// What one probe asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ask {
    /// `size_of` the struct.
    Size,
    /// `align_of` the struct.
    Align,
    /// `offset_of!` field i.
    Offset(usize),
    /// `size_of` field i's type.
    FieldSize(usize),
    /// `align_of` field i's type.
    FieldAlign(usize),
}

/// One probe: which struct (index into the package's decl list), what, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    /// Unique in one plan.
    pub id: u32,
    /// Index of the decl in the package's list.
    pub decl: usize,
    /// The instantiation's arguments (`""` for a non-generic struct).
    pub args: String,
    /// What it asks.
    pub ask: Ask,
    /// 1-based line of the probe in the shadow file.
    pub line: usize,
    /// For an instance entry's probe: the index of its instantiation in the request
    /// (`decl` then means nothing).
    pub inst: Option<usize>,
}

/// Text placed in a shadow file beside the decls' probes: an instance entry's probes
/// where it is named, or the impl with their helpers after a generic struct.
#[derive(Clone, Debug, Default)]
pub struct Insert {
    /// Byte offset in the file.
    pub at: usize,
    /// A line of items asking nothing (the helpers' impl), if any.
    pub raw: Option<String>,
    /// The `#[cfg]`s every probe here carries.
    pub cfgs: Vec<String>,
    /// The probes: what each asks and its expression.
    pub asks: Vec<(Ask, String)>,
    /// The instantiation they belong to (index in the request).
    pub inst: Option<usize>,
}

/// The name of an instance helper: `what` (`OFF`, `SZ`, `AL`) of field `field`.
fn helper(what: &str, field: &str) -> String {
    format!("__LAYOUT_CLI_{what}_{}", field.trim_start_matches("r#"))
}

/// The helpers' impl for a generic struct, on one line: per field, `pub(crate)`
/// associated consts with its offset, size and alignment, read by [`instance_asks`]
/// from wherever an instance is named (its fields may be private there; the consts
/// only need the type to be nameable). Each const carries its field's cfgs and fails
/// alone (an unsized field).
pub fn helpers_impl(d: &Decl) -> String {
    let mut out = d.cfgs.join(" ");
    let _ = write!(
        out,
        " #[allow(dead_code, non_upper_case_globals, unused_qualifications)] {} {{",
        d.impl_head
    );
    for f in d.fields.iter().flatten() {
        let cfg = f.cfgs.join(" ");
        let _ = write!(
            out,
            " {cfg} pub(crate) const {}: usize = ::core::mem::offset_of!(Self, {});",
            helper("OFF", &f.name),
            f.name
        );
        let _ = write!(
            out,
            " {cfg} pub(crate) const {}: usize = ::core::mem::size_of::<{}>();",
            helper("SZ", &f.name),
            f.ty
        );
        let _ = write!(
            out,
            " {cfg} pub(crate) const {}: usize = ::core::mem::align_of::<{}>();",
            helper("AL", &f.name),
            f.ty
        );
    }
    out.push_str(" }");
    out
}

/// The trait of an implied instance's projection (`<Outer<X> as crate::T>::T` names the
/// field type path `Inner<X>` of `Outer`'s definition, whatever scope `X` was written
/// in): declared at each crate root, so `crate::` reaches it from any module.
pub fn via_trait(k: usize) -> String {
    format!("__LayoutCliVia{k}")
}

/// The declaration of [`via_trait`] `k`, on one line.
pub fn via_trait_decl(k: usize) -> String {
    format!(
        "#[allow(non_camel_case_types, dead_code)] #[doc(hidden)] trait {} {{ type T: ?Sized; }}",
        via_trait(k)
    )
}

/// The impl of [`via_trait`] `k` for the generic struct `d` whose field type names
/// `path` (with `d`'s parameters), on one line, with `d`'s cfgs.
pub fn via_impl(d: &Decl, k: usize, path: &str) -> String {
    let (ig, ty, wc) = &d.impl_parts;
    format!(
        "{} #[allow(unused_qualifications)] impl {ig} crate::{} for {ty} {wc} {{ type T = {path}; }}",
        d.cfgs.join(" "),
        via_trait(k)
    )
}

/// `outer` projected through [`via_trait`] `k`.
pub fn via_type(outer: &str, k: usize) -> String {
    format!("<{outer} as crate::{}>::T", via_trait(k))
}

/// `written` made nameable at module level: lifetimes other than `'static` become
/// `'static` (as for a struct with only lifetime parameters), and `Self` the naming
/// struct's name when it has no parameters.
pub fn instance_type(written: &str, self_name: Option<&str>) -> String {
    let chars: Vec<char> = written.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    let word = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let mut j = i + 1;
            while j < chars.len() && word(chars[j]) {
                j += 1;
            }
            let name: String = chars[i + 1..j].iter().collect();
            // A char literal (`'a'`) is left as it is.
            if chars.get(j) == Some(&'\'') || name == "static" || name.is_empty() {
                out.push('\'');
                out.push_str(&name);
            } else {
                out.push_str("'static");
            }
            i = j;
            continue;
        }
        let start = i == 0 || !word(chars[i - 1]);
        if start && word(c) {
            let mut j = i;
            while j < chars.len() && word(chars[j]) {
                j += 1;
            }
            let w: String = chars[i..j].iter().collect();
            match (w.as_str(), self_name) {
                ("Self", Some(n)) => out.push_str(n),
                _ => out.push_str(&w),
            }
            i = j;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The probe expressions for an instance entry named `ty` (nameable where they go) of
/// the generic struct `d`: size and alignment, and per field its offset, size and
/// alignment, from the helpers' consts when `helpers` (the impl of [`helpers_impl`] is
/// in the same crate), else the offset only, with `offset_of!` (public fields only).
pub fn instance_asks(d: &Decl, ty: &str, helpers: bool) -> Vec<(Ask, String)> {
    let mut out = vec![
        (Ask::Size, format!("::core::mem::size_of::<{ty}>()")),
        (Ask::Align, format!("::core::mem::align_of::<{ty}>()")),
    ];
    for (i, f) in d.fields.iter().flatten().enumerate() {
        if helpers {
            out.push((
                Ask::Offset(i),
                format!("<{ty}>::{}", helper("OFF", &f.name)),
            ));
            out.push((
                Ask::FieldSize(i),
                format!("<{ty}>::{}", helper("SZ", &f.name)),
            ));
            out.push((
                Ask::FieldAlign(i),
                format!("<{ty}>::{}", helper("AL", &f.name)),
            ));
        } else {
            out.push((
                Ask::Offset(i),
                format!("::core::mem::offset_of!({ty}, {})", f.name),
            ));
        }
    }
    out
}

/// The type expression naming the struct with `args`.
pub fn struct_type(d: &Decl, args: &str) -> String {
    format!("{}{args}", d.name)
}

/// Arguments for a struct whose only parameters are lifetimes: `<'static, ...>`.
pub fn lifetime_args(d: &Decl) -> Option<String> {
    if d.params.is_empty() {
        return Some(String::new());
    }
    if d.is_generic() {
        return None;
    }
    Some(format!("<{}>", vec!["'static"; d.params.len()].join(", ")))
}

/// `ty` with the struct's lifetime parameters replaced by `'static` and `Self` by the
/// struct itself, or `None` if it may mention a type or const parameter.
fn field_type(d: &Decl, args: &str, ty: &str) -> Option<String> {
    if d.is_generic() {
        return None;
    }
    let names: Vec<&str> = d
        .params
        .iter()
        .filter_map(|p| match p {
            Param::Lifetime(l) => Some(l.trim_start_matches('\'')),
            _ => None,
        })
        .collect();
    let mut out = String::new();
    let chars: Vec<char> = ty.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let word_start = i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if c == '\'' {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            let name: String = chars[i + 1..j].iter().collect();
            if names.contains(&name.as_str()) {
                out.push_str("'static");
            } else {
                out.push('\'');
                out.push_str(&name);
            }
            i = j;
            continue;
        }
        if word_start && chars[i..].starts_with(&['S', 'e', 'l', 'f']) {
            let after = chars.get(i + 4);
            if !after.is_some_and(|c| c.is_alphanumeric() || *c == '_') {
                out.push_str(&struct_type(d, args));
                i += 4;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    Some(out)
}

/// The probe expressions for one struct instantiation.
pub fn asks(d: &Decl, args: &str) -> Vec<(Ask, String)> {
    let ty = struct_type(d, args);
    let mut out = vec![
        (Ask::Size, format!("::core::mem::size_of::<{ty}>()")),
        (Ask::Align, format!("::core::mem::align_of::<{ty}>()")),
    ];
    for (i, f) in d.fields.iter().flatten().enumerate() {
        out.push((
            Ask::Offset(i),
            format!("::core::mem::offset_of!({ty}, {})", f.name),
        ));
        if let Some(fty) = field_type(d, args, &f.ty) {
            out.push((
                Ask::FieldSize(i),
                format!("::core::mem::size_of::<{fty}>()"),
            ));
            out.push((
                Ask::FieldAlign(i),
                format!("::core::mem::align_of::<{fty}>()"),
            ));
        }
    }
    out
}

/// What to probe in one file: (decl index, args) pairs, with the decls' insertion
/// points.
#[derive(Debug, Default)]
pub struct FileProbes {
    /// The shadow file's text.
    pub text: String,
    /// The probes placed in it.
    pub probes: Vec<Probe>,
}

/// Inserts the probes for `wanted` (decl index, instantiation args) into `text`.
/// `next_id` numbers probes across files.
pub fn instrument(
    text: &str,
    decls: &[Decl],
    wanted: &[(usize, String)],
    next_id: &mut u32,
) -> FileProbes {
    instrument_all(text, decls, wanted, &[], next_id)
}

/// [`instrument`], plus the `extra` inserts (instance entries' probes and helpers).
pub fn instrument_all(
    text: &str,
    decls: &[Decl],
    wanted: &[(usize, String)],
    extra: &[Insert],
    next_id: &mut u32,
) -> FileProbes {
    enum Item<'a> {
        Decl(usize, &'a str),
        Extra(&'a Insert),
    }
    // Group by insertion point, keeping source order.
    let mut at: BTreeMap<usize, Vec<Item<'_>>> = BTreeMap::new();
    for (i, args) in wanted {
        at.entry(decls[*i].insert_at)
            .or_default()
            .push(Item::Decl(*i, args.as_str()));
    }
    for e in extra {
        at.entry(e.at).or_default().push(Item::Extra(e));
    }
    let mut out = String::with_capacity(text.len() + wanted.len() * 200);
    let mut probes = Vec::new();
    let mut copied = 0;
    let mut line = 1;
    for (pos, group) in at {
        let pos = pos.min(text.len());
        let chunk = &text[copied..pos];
        line += chunk.matches('\n').count();
        out.push_str(chunk);
        copied = pos;
        out.push('\n');
        line += 1;
        for item in group {
            let (decl, args, cfg, asks, inst) = match item {
                Item::Decl(i, args) => {
                    let d = &decls[i];
                    (i, args, d.cfgs.join(" "), asks(d, args), None)
                }
                Item::Extra(e) => {
                    if let Some(raw) = &e.raw {
                        out.push_str(raw);
                        out.push('\n');
                        line += raw.matches('\n').count() + 1;
                    }
                    (usize::MAX, "", e.cfgs.join(" "), e.asks.clone(), e.inst)
                }
            };
            for (ask, expr) in asks {
                let id = *next_id;
                *next_id += 1;
                let _ = writeln!(
                    out,
                    "{cfg} #[allow(unused_qualifications)] const _: () = ([(); {expr}], [(); {id}]);"
                );
                probes.push(Probe {
                    id,
                    decl,
                    args: args.to_string(),
                    ask,
                    line,
                    inst,
                });
                line += 1;
            }
        }
    }
    out.push_str(&text[copied..]);
    FileProbes { text: out, probes }
}

/// One rustc diagnostic, reduced to what matching needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diag {
    /// `error`, `warning`, ...
    pub level: String,
    /// The message's first line.
    pub message: String,
    /// The primary span's file, as rustc printed it.
    pub file: String,
    /// The primary span's 1-based line.
    pub line: usize,
    /// The primary span's label.
    pub label: String,
}

/// The diagnostics in rustc's `--error-format=json` output (one object per line;
/// other lines are skipped).
pub fn parse_diagnostics(stderr: &str) -> Vec<Diag> {
    let mut out = Vec::new();
    for l in stderr.lines() {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(l) else {
            continue;
        };
        let Some(level) = v.get("level").and_then(|x| x.as_str()) else {
            continue;
        };
        let message = v
            .get("message")
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string();
        let primary = v.get("spans").and_then(|s| s.as_array()).and_then(|s| {
            s.iter()
                .find(|s| s.get("is_primary").and_then(|p| p.as_bool()) == Some(true))
        });
        let (file, line, label) = match primary {
            Some(p) => (
                p.get("file_name")
                    .and_then(|x| x.as_str())
                    .unwrap_or_default()
                    .to_string(),
                p.get("line_start").and_then(|x| x.as_u64()).unwrap_or(0) as usize,
                p.get("label")
                    .and_then(|x| x.as_str())
                    .unwrap_or_default()
                    .to_string(),
            ),
            None => (String::new(), 0, String::new()),
        };
        out.push(Diag {
            level: level.to_string(),
            message,
            file,
            line,
            label,
        });
    }
    out
}

/// `(value, probe id)` from a probe's label ``expected `()`, found `([(); V], [(); ID])` ``.
pub fn probe_answer(label: &str) -> Option<(usize, u32)> {
    let rest = label.split_once("found `([(); ")?.1;
    let (value, rest) = rest.split_once("], [(); ")?;
    let (id, rest) = rest.split_once("])`")?;
    if !rest.is_empty() {
        return None;
    }
    Some((value.trim().parse().ok()?, id.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact::scan::scan_file;
    use std::path::Path;

    #[test]
    fn answers_are_read_from_the_label() {
        assert_eq!(
            probe_answer("expected `()`, found `([(); 24], [(); 7])`"),
            Some((24, 7))
        );
        assert_eq!(
            probe_answer("expected `()`, found `([(); 0], [(); 12])`"),
            Some((0, 12))
        );
        assert_eq!(probe_answer("not found in this scope"), None);
        assert_eq!(probe_answer("expected `()`, found `[(); 24]`"), None);
    }

    #[test]
    fn probes_carry_cfgs_and_their_own_lines() {
        let text = "#[cfg(unix)]\nstruct A<'a> { r: &'a u8, s: Option<&'a Self> }\nfn f() {}\n";
        let decls = scan_file(Path::new("src/lib.rs"), text);
        let mut id = 10;
        let args = lifetime_args(&decls[0]).unwrap();
        assert_eq!(args, "<'static>");
        let fp = instrument(text, &decls, &[(0, args)], &mut id);
        assert_eq!(fp.probes.len(), 2 + 2 * 3);
        assert_eq!(id, 18);
        let lines: Vec<&str> = fp.text.lines().collect();
        for p in &fp.probes {
            let l = lines[p.line - 1];
            assert!(l.starts_with("# [cfg (unix)]"), "{l}");
            assert!(l.ends_with(&format!("[(); {}]);", p.id)), "{l}");
        }
        let s_size = fp
            .probes
            .iter()
            .find(|p| p.ask == Ask::FieldSize(1))
            .unwrap();
        assert!(
            lines[s_size.line - 1].contains("size_of::<Option<&'static A<'static>>>()"),
            "{}",
            lines[s_size.line - 1]
        );
        assert!(fp.text.ends_with("fn f() {}\n"));
        assert!(
            fp.text
                .starts_with(text.split("fn f").next().unwrap().trim_end())
        );
    }

    #[test]
    fn generic_structs_get_no_field_type_probes() {
        let text = "struct G<T> { t: T, n: u8 }\n";
        let decls = scan_file(Path::new("src/lib.rs"), text);
        assert_eq!(lifetime_args(&decls[0]), None);
        let a = asks(&decls[0], "<u64>");
        let kinds: Vec<Ask> = a.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [Ask::Size, Ask::Align, Ask::Offset(0), Ask::Offset(1)]
        );
        assert_eq!(a[2].1, "::core::mem::offset_of!(G<u64>, t)");
    }

    #[test]
    fn instance_types_and_helpers() {
        assert_eq!(
            instance_type("super::Pair<'a, Self, u8>", Some("Node")),
            "super::Pair<'static, Node, u8>"
        );
        assert_eq!(instance_type("Selfish<'static>", None), "Selfish<'static>");
        let decls = scan_file(Path::new("src/lib.rs"), "struct G<T> { t: T, n: u8 }\n");
        let a = instance_asks(&decls[0], "super::G<u64>", true);
        assert_eq!(a.len(), 2 + 2 * 3);
        assert_eq!(a[2].1, "<super::G<u64>>::__LAYOUT_CLI_OFF_t");
        let a = instance_asks(&decls[0], "other::G<u64>", false);
        assert_eq!(a[2].1, "::core::mem::offset_of!(other::G<u64>, t)");
        let h = helpers_impl(&decls[0]);
        assert!(!h.contains('\n'), "one line: {h}");
        assert!(
            h.contains(
                "pub(crate) const __LAYOUT_CLI_OFF_n: usize = ::core::mem::offset_of!(Self, n);"
            ),
            "{h}"
        );
        assert_eq!(
            via_type("super::W<u8>", 3),
            "<super::W<u8> as crate::__LayoutCliVia3>::T"
        );
    }
}
