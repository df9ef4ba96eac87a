//! Lint levels: which findings are reported, and as warnings or errors.
//!
//! Levels come from four places. From nearest to farthest, as in clippy:
//!
//! 1. inline on the struct or field: `#[layout(allow(code, ...))]` (structs with the
//!    derive or a `#[layout]` attribute) or a `// layout:allow(code, ...)` comment on
//!    the struct's line or directly above it (any struct);
//! 2. the command line: `-A CODE`, `-W CODE`, `-D CODE` (for one code given with
//!    several flags, `-D` wins over `-W`, which wins over `-A`);
//! 3. `[package.metadata.layout.lints]` of the struct's package;
//! 4. `[workspace.metadata.layout.lints]`;
//!
//! and otherwise the code's default severity. A config table reads
//! `code = "allow" | "warn" | "deny"`; codes may be written with `-` or `_`, and
//! `warnings` stands for every advisory code.
//!
//! Only advisory codes (the default-warning ones: `padding-waste`,
//! `possible-false-sharing`, `adjacent-line`, `unaligned-base`, `unstable-padding`) can
//! be allowed or set to `warn`: the others report that an annotation the struct itself
//! states does not hold, so allowing one is an error (remove the annotation instead).
//! Any code may be set to `deny`.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use layout::{Code, Severity};

use crate::analysis::{Analysis, FileError, StructReport};

/// What a level does to a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Not reported (counted as allowed in the summary).
    Allow,
    /// Reported as a warning.
    Warn,
    /// Reported as an error.
    Deny,
}

impl Level {
    /// `allow`, `warn` or `deny`.
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }

    fn of(sev: Severity) -> Level {
        match sev {
            Severity::Warning => Level::Warn,
            Severity::Error => Level::Deny,
        }
    }
}

/// Levels set for some codes at one place (a config table or the flags).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Levels {
    map: BTreeMap<Code, Level>,
}

impl Levels {
    /// Sets `code` (a code name with `-` or `_`, or `warnings` for every advisory code)
    /// to `level`; an error for an unknown code, or for `allow`/`warn` on a code that is
    /// not advisory.
    pub fn set(&mut self, code: &str, level: Level) -> Result<(), String> {
        let codes: Vec<Code> = if code == "warnings" {
            Code::ALL
                .iter()
                .copied()
                .filter(|&c| is_advisory(c))
                .collect()
        } else {
            vec![parse_code(code)?]
        };
        for c in codes {
            if level != Level::Deny && !is_advisory(c) {
                return Err(not_advisory(c));
            }
            self.map.insert(c, level);
        }
        Ok(())
    }

    /// The level set for `code` here, if any.
    pub fn get(&self, code: Code) -> Option<Level> {
        self.map.get(&code).copied()
    }

    /// Whether no code is set.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The flags `-A`, `-W`, `-D` (each a list of codes): `-D` wins over `-W` over `-A`.
    pub fn from_flags(
        allow: &[String],
        warn: &[String],
        deny: &[String],
    ) -> Result<Levels, String> {
        let mut l = Levels::default();
        for (codes, level) in [
            (allow, Level::Allow),
            (warn, Level::Warn),
            (deny, Level::Deny),
        ] {
            for c in codes {
                l.set(c, level)?;
            }
        }
        Ok(l)
    }

    /// A `lints` table as JSON (`{"padding-waste": "allow", ...}`), e.g. cargo
    /// metadata's `metadata.layout.lints`. `null` is an empty table.
    pub fn from_table(v: &serde_json::Value) -> Result<Levels, String> {
        let mut l = Levels::default();
        if v.is_null() {
            return Ok(l);
        }
        let Some(table) = v.as_object() else {
            return Err("`metadata.layout.lints` must be a table of `code = \"level\"`".into());
        };
        for (code, level) in table {
            let Some(level) = level.as_str().and_then(Level::parse) else {
                return Err(format!(
                    "`metadata.layout.lints.{code}`: expected \"allow\", \"warn\" or \"deny\", found {level}"
                ));
            };
            l.set(code, level)
                .map_err(|e| format!("`metadata.layout.lints`: {e}"))?;
        }
        Ok(l)
    }

    /// The `lints` table inside a package's or workspace's `metadata` value (cargo
    /// metadata's `packages[].metadata` / `metadata`): `metadata.layout.lints`.
    pub fn from_metadata(metadata: &serde_json::Value) -> Result<Levels, String> {
        Levels::from_table(&metadata["layout"]["lints"])
    }
}

/// The levels configured in Cargo.toml: `[workspace.metadata.layout.lints]` and, per
/// package name, `[package.metadata.layout.lints]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LintConfig {
    /// `[workspace.metadata.layout.lints]`.
    pub workspace: Levels,
    /// `[package.metadata.layout.lints]`, by package name (`StructId::package`).
    pub packages: BTreeMap<String, Levels>,
}

impl LintConfig {
    /// The config from cargo metadata: `workspace` is its top-level `metadata` value
    /// (`[workspace.metadata]`), `packages` each package's name and `metadata` value
    /// (`[package.metadata]`); `null` values are empty tables. An error names the table.
    pub fn from_cargo_metadata<'a>(
        workspace: &serde_json::Value,
        packages: impl IntoIterator<Item = (&'a str, &'a serde_json::Value)>,
    ) -> Result<LintConfig, String> {
        let mut c = LintConfig {
            workspace: Levels::from_metadata(workspace)
                .map_err(|e| format!("[workspace.metadata.layout.lints]: {e}"))?,
            ..LintConfig::default()
        };
        for (name, metadata) in packages {
            let l = Levels::from_metadata(metadata)
                .map_err(|e| format!("package `{name}`: [package.metadata.layout.lints]: {e}"))?;
            if !l.is_empty() {
                c.packages.insert(name.to_string(), l);
            }
        }
        Ok(c)
    }
}

/// Whether a code may be allowed: it is a heuristic or advice (default warning), not a
/// stated intent that does not hold.
pub fn is_advisory(c: Code) -> bool {
    c.severity() == Severity::Warning
}

/// A code written with `-` or `_` (`padding-waste`, `padding_waste`).
pub fn parse_code(s: &str) -> Result<Code, String> {
    let norm = s.trim().replace('_', "-");
    Code::ALL
        .iter()
        .copied()
        .find(|c| c.as_str() == norm)
        .ok_or_else(|| {
            let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
            format!("unknown code `{s}`; codes: {}", names.join(", "))
        })
}

fn not_advisory(c: Code) -> String {
    format!(
        "`{}` cannot be allowed: it reports that an annotation the struct states does not \
         hold; change or remove the annotation instead (only advisory codes can be allowed)",
        c.as_str()
    )
}

/// The codes of `#[layout(allow(code, ...))]` among a struct's `attrs`, read by the
/// attribute grammar the derive uses (`layout_syntax`). Codes it rejects (unknown, not
/// advisory) are left out here; the grammar's errors are reported where the struct is.
pub fn inline_allows(attrs: &[syn::Attribute]) -> Vec<Code> {
    let cx = layout_syntax::Ctxt::new();
    let s = layout_syntax::parse_struct_attrs(&cx, attrs);
    let _ = cx.into_errors();
    s.allow
        .iter()
        .filter_map(|a| Code::parse(a.value.as_str()))
        .collect()
}

/// The codes of every `// layout:allow(code, ...)` comment in a file, by 1-based line,
/// from one pass over the text; and the lines that belong to a struct's header (a `//`
/// comment or an attribute line), which an allow above the struct may cross.
#[derive(Debug, Default)]
pub struct CommentAllows {
    by_line: HashMap<usize, Vec<Result<Code, String>>>,
    header: Vec<bool>,
}

impl CommentAllows {
    /// Scans `text` once.
    pub fn scan(text: &str) -> CommentAllows {
        let mut c = CommentAllows::default();
        // Most files have none: one substring search instead of a pass over the lines.
        if !text.contains("layout:allow(") {
            return c;
        }
        c.header.push(false); // line 0 does not exist
        for (i, line) in text.lines().enumerate() {
            let t = line.trim_start();
            let is_comment = t.starts_with("//") && !t.starts_with("///") && !t.starts_with("//!");
            c.header.push(is_comment || t.starts_with("#["));
            let Some(at) = line.find("layout:allow(") else {
                continue;
            };
            if !line[..at].contains("//") {
                continue;
            }
            let rest = &line[at + "layout:allow(".len()..];
            let inner = rest.split(')').next().unwrap_or("");
            let codes = inner
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(parse_code)
                .collect();
            c.by_line.insert(i + 1, codes);
        }
        c
    }

    /// The allows that apply to a struct whose name is on `line`: a comment on that
    /// line, or on a comment line directly above it or above its attributes (no blank
    /// line between). Also returns how many lines were looked at (for the tests).
    pub fn for_struct(&self, line: usize) -> (Vec<Result<Code, String>>, usize) {
        let mut out = Vec::new();
        let mut scanned = 1;
        if let Some(c) = self.by_line.get(&line) {
            out.extend(c.iter().cloned());
        }
        let mut j = line;
        while j > 1 && self.header.get(j - 1).copied().unwrap_or(false) {
            j -= 1;
            scanned += 1;
            if let Some(c) = self.by_line.get(&j) {
                out.extend(c.iter().cloned());
            }
        }
        (out, scanned)
    }
}

/// What [`apply`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Findings removed by an `allow` (one per struct, target and finding).
    pub allowed: usize,
}

/// Applies the levels to every finding of `analysis` (after `diag::diagnose`): findings
/// at `allow` are removed, the others get the severity of their level. Reads the
/// `// layout:allow` comments of each file once. Allowing a code that is not advisory
/// inline is an input error (added to `analysis.errors`).
pub fn apply(analysis: &mut Analysis, config: &LintConfig, flags: &Levels) -> Applied {
    let mut comments: HashMap<PathBuf, CommentAllows> = HashMap::new();
    let mut errors = Vec::new();
    let mut applied = Applied::default();
    for s in &mut analysis.structs {
        let c = comments.entry(s.file.clone()).or_insert_with(|| {
            std::fs::read_to_string(&s.file)
                .map(|t| CommentAllows::scan(&t))
                .unwrap_or_default()
        });
        let (found, _) = c.for_struct(s.line);
        for code in found {
            match code {
                Ok(code) => {
                    if !s.allowed.contains(&code) {
                        s.allowed.push(code);
                    }
                }
                Err(m) => errors.push(at(s, s.line, m)),
            }
        }
        applied.allowed += apply_struct(s, config, flags, &mut errors);
    }
    let mut seen = std::collections::HashSet::new();
    errors.retain(|e: &FileError| seen.insert((e.file.clone(), e.line, e.message.clone())));
    analysis.errors.extend(errors);
    applied
}

fn at(s: &StructReport, line: usize, message: String) -> FileError {
    FileError {
        file: s.file.clone(),
        line: Some(line),
        column: None,
        message,
    }
}

/// One struct on one target: returns how many findings were allowed.
fn apply_struct(
    s: &mut StructReport,
    config: &LintConfig,
    flags: &Levels,
    errors: &mut Vec<FileError>,
) -> usize {
    for &c in &s.allowed {
        if !is_advisory(c) {
            errors.push(at(
                s,
                s.line,
                format!("struct `{}`: {}", s.name, not_advisory(c)),
            ));
        }
    }
    for f in &s.fields {
        for &c in &f.intent.allow {
            if !is_advisory(c) {
                errors.push(at(
                    s,
                    f.line,
                    format!("field `{}`: {}", f.name, not_advisory(c)),
                ));
            }
        }
    }
    let package = config.packages.get(&s.id.package);
    let before = s.diagnostics.len();
    let fields = &s.fields;
    let allowed_struct = &s.allowed;
    s.diagnostics.retain_mut(|d| {
        let code = d.code;
        let default = Level::of(code.severity());
        let level = if !is_advisory(code) {
            default
        } else {
            let inline = [d.field.as_deref(), d.partner.as_deref()]
                .into_iter()
                .flatten()
                .filter_map(|n| fields.iter().find(|f| f.name == n))
                .any(|f| f.intent.allow.contains(&code))
                || allowed_struct.contains(&code);
            if inline {
                Level::Allow
            } else {
                flags
                    .get(code)
                    .or_else(|| package.and_then(|p| p.get(code)))
                    .or_else(|| config.workspace.get(code))
                    .unwrap_or(default)
            }
        };
        match level {
            Level::Allow => false,
            Level::Warn => {
                d.severity = Severity::Warning;
                true
            }
            Level::Deny => {
                d.severity = Severity::Error;
                true
            }
        }
    });
    before - s.diagnostics.len()
}

#[cfg(test)]
mod tests;
