//! Reading a `cargo check` back: a failed build becomes one error with rustc's first
//! message, and the shadow runs' diagnostics become structs.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::cargo::{Generic, Shadowed, first_error};
use super::probe::{self, Ask, Probe};
use super::scan::Decl;
use super::wrapper::Plan;
use super::{ExactField, ExactStruct, Failure, Repr, TargetError, TargetOutcome};

pub(super) fn cargo_error(message: String) -> TargetError {
    TargetError {
        kind: Failure::Cargo,
        message,
        file: None,
        line: None,
        column: None,
    }
}

/// Turns a failed `cargo check` into one error, with rustc's first message.
pub(super) fn classify(
    stdout: &str,
    stderr: &str,
    triple: &str,
    root: &Path,
    names: &HashMap<&str, &str>,
    res: &mut TargetOutcome,
) -> TargetError {
    let mut first: Option<TargetError> = None;
    for l in stdout.lines() {
        let Ok(v) = serde_json::from_str::<Value>(l) else {
            continue;
        };
        if v.get("reason").and_then(Value::as_str) != Some("compiler-message") {
            continue;
        }
        let msg = &v["message"];
        if msg.get("level").and_then(Value::as_str) != Some("error") {
            continue;
        }
        let id = v.get("package_id").and_then(Value::as_str).unwrap_or("");
        let pkg = names.get(id).copied().unwrap_or(id).to_string();
        if !res.failed_packages.contains(&pkg) {
            res.failed_packages.push(pkg.clone());
        }
        if first.is_some() {
            continue;
        }
        let text = msg.get("message").and_then(Value::as_str).unwrap_or("");
        let code = msg
            .get("code")
            .and_then(|c| c.get("code"))
            .and_then(Value::as_str)
            .map(|c| format!("[{c}]"))
            .unwrap_or_default();
        let span = msg
            .get("spans")
            .and_then(Value::as_array)
            .and_then(|s| s.iter().find(|s| s["is_primary"].as_bool() == Some(true)));
        let kind = if text.contains("can't find crate for `core`")
            || text.contains("can't find crate for `std`")
        {
            Failure::MissingStd
        } else {
            Failure::Compile
        };
        let hint = if kind == Failure::MissingStd {
            format!("; run `rustup target add {triple}`")
        } else {
            String::new()
        };
        first = Some(TargetError {
            kind,
            message: format!(
                "`{pkg}` does not compile for {triple}: error{code}: {text}{hint} (the numbers shown for it are the static engine's)"
            ),
            file: span
                .and_then(|s| s["file_name"].as_str())
                .map(|f| root.join(f)),
            line: span
                .and_then(|s| s["line_start"].as_u64())
                .map(|n| n as usize),
            column: span
                .and_then(|s| s["column_start"].as_u64())
                .map(|n| n as usize),
        });
    }
    if let Some(f) = first {
        return f;
    }
    if let Some(l) = stderr
        .lines()
        .find(|l| l.contains("failed to run custom build command for"))
    {
        let var = triple.replace(['-', '.'], "_");
        let detail: Vec<&str> = stderr
            .lines()
            .filter(|l| {
                let t = l.trim_start();
                t.starts_with("error") || t.contains("failed to find tool") || t.contains("is `")
            })
            .skip(1)
            .take(3)
            .collect();
        return TargetError {
            kind: Failure::BuildScript,
            message: format!(
                "{} on {triple}: a build script that compiles C needs the target's C compiler and archiver; set CC_{var} and AR_{var} (e.g. CC_{var}=clang) or install them{}",
                l.trim().trim_start_matches("error: "),
                if detail.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", detail.join("; ").trim())
                }
            ),
            file: None,
            line: None,
            column: None,
        };
    }
    cargo_error(format!(
        "cargo check --target {triple} failed: {}",
        first_error(stderr)
    ))
}

/// Matches the shadow runs' answers to probes and builds the structs.
pub(super) fn collect(
    shadowed: &[Shadowed<'_>],
    generics: &[Option<Generic>],
    plan: &Plan,
    ran: &BTreeSet<PathBuf>,
    diags: &[probe::Diag],
    res: &mut TargetOutcome,
) {
    // (shadow file, line) -> probe.
    let mut by_line: HashMap<(PathBuf, usize), (usize, &Path, &Probe)> = HashMap::new();
    for (si, s) in shadowed.iter().enumerate() {
        for (rel, ps) in &s.probes {
            for p in ps {
                by_line.insert((s.shadow.join(rel), p.line), (si, rel.as_path(), p));
            }
        }
    }
    let mut answers: HashMap<u32, usize> = HashMap::new();
    let mut failures: HashMap<u32, String> = HashMap::new();
    for d in diags.iter().filter(|d| d.level == "error") {
        let Some(&(_, _, p)) = by_line.get(&(PathBuf::from(&d.file), d.line)) else {
            continue;
        };
        match probe::probe_answer(&d.label) {
            Some((v, id)) if id == p.id => {
                answers.insert(id, v);
            }
            _ => {
                failures.entry(p.id).or_insert_with(|| d.message.clone());
            }
        }
    }
    // Instance entries' probes, by instantiation, with the package that compiled them.
    let mut instances: BTreeMap<usize, (String, Vec<&Probe>)> = BTreeMap::new();
    for s in shadowed {
        let compiled = plan
            .roots
            .iter()
            .any(|(r, sh)| r.starts_with(&s.dir) && ran.contains(sh));
        if !compiled {
            if !res.failed_packages.contains(&s.pkg.name) {
                res.failed_packages.push(s.pkg.name.clone());
            }
            continue;
        }
        for (rel, ps) in &s.probes {
            let decls = &s.decls[rel];
            // Probes of one instantiation are consecutive.
            let mut groups: Vec<(usize, &str, Vec<&Probe>)> = Vec::new();
            for p in ps {
                if let Some(k) = p.inst {
                    instances
                        .entry(k)
                        .or_insert_with(|| (s.pkg.name.clone(), Vec::new()))
                        .1
                        .push(p);
                    continue;
                }
                match groups.last_mut() {
                    Some((d, a, v)) if *d == p.decl && *a == p.args => v.push(p),
                    _ => groups.push((p.decl, &p.args, vec![p])),
                }
            }
            for (di, args, ps) in groups {
                let d = &decls[di];
                let file = s.dir.join(rel);
                let get = |ask: Ask| {
                    ps.iter()
                        .find(|p| p.ask == ask)
                        .and_then(|p| answers.get(&p.id).copied())
                };
                let failure = |ask: Ask| {
                    ps.iter()
                        .find(|p| p.ask == ask)
                        .and_then(|p| failures.get(&p.id).cloned())
                };
                // A field type's probe answers whether or not the struct exists.
                if !laid_out(&ps, &answers) {
                    // A plain item's probes follow it with its cfgs, so silence means
                    // it is not in this build; a macro may have put it elsewhere. A
                    // probe that failed (a generic struct's bounds that `u8` does not
                    // meet) is no silence: the struct is there, its numbers unknown to
                    // rustc, and it keeps the static engine's.
                    let failed = ps.iter().any(|p| {
                        failures
                            .get(&p.id)
                            .is_some_and(|m| !m.starts_with("cannot find"))
                    });
                    if !d.in_macro && !failed {
                        res.absent.push((file, d.line, d.name.clone()));
                    }
                    continue;
                }
                let mut x = exact_struct(d, &get, s.pkg.name.clone(), file, d.name.clone());
                x.args = args.to_string();
                x.unknown = failure(Ask::Size)
                    .or_else(|| failure(Ask::Align))
                    .or_else(|| (0..x.fields.len()).find_map(|i| failure(Ask::Offset(i))));
                res.structs.push(x);
            }
        }
    }
    for (k, (package, ps)) in instances {
        let Some(Some(g)) = generics.get(k) else {
            continue;
        };
        // A listed entry is probed at every crate root of its package: any answer.
        let get = |ask: Ask| {
            ps.iter()
                .filter(|p| p.ask == ask)
                .find_map(|p| answers.get(&p.id).copied())
        };
        // Silence (the naming place is cfg'd out) or failure (the type as written does
        // not resolve there): the entry keeps the static engine's numbers.
        if !laid_out(&ps, &answers) {
            continue;
        }
        // Merged only when rustc answered every number that decides it: no `unknown`.
        let mut x = exact_struct(&g.decl, &get, package, g.file.clone(), g.named.text.clone());
        x.instance = Some(g.named.clone());
        res.structs.push(x);
    }
}

/// Whether rustc answered a probe of the struct's own layout (its size, alignment or a
/// field offset) among `ps`; a field type's probe answers whether or not it exists.
fn laid_out(ps: &[&Probe], answers: &HashMap<u32, usize>) -> bool {
    ps.iter().any(|p| {
        matches!(p.ask, Ask::Size | Ask::Align | Ask::Offset(_)) && answers.contains_key(&p.id)
    })
}

/// The struct declared by `d` with the numbers `get` gives for each of its probes (no
/// arguments, no reason for a missing number, not an instance entry).
fn exact_struct(
    d: &Decl,
    get: &dyn Fn(Ask) -> Option<usize>,
    package: String,
    file: PathBuf,
    name: String,
) -> ExactStruct {
    let fields: Vec<ExactField> = d
        .fields
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, f)| ExactField {
            name: f.name.clone(),
            ty: f.ty.clone(),
            line: f.line,
            column: f.column,
            offset: get(Ask::Offset(i)),
            size: get(Ask::FieldSize(i)),
            align: get(Ask::FieldAlign(i)),
        })
        .collect();
    ExactStruct {
        package,
        file,
        line: d.line,
        column: d.column,
        name,
        inline: d.inline.clone(),
        args: String::new(),
        kind: d.kind,
        repr_text: d.repr_text.clone(),
        repr: Repr {
            c: d.repr.c,
            transparent: d.repr.transparent,
            packed: d.repr.packed,
            align: d.repr.align,
        },
        in_macro: d.in_macro,
        size: get(Ask::Size),
        align: get(Ask::Align),
        fields_known: d.fields.is_some(),
        fields,
        unknown: None,
        instance: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_script_failure_names_the_compiler_variables() {
        let stderr = "   Compiling foo-sys v0.1.0\nerror: failed to run custom build command for `foo-sys v0.1.0 (/w/foo-sys)`\n\nCaused by:\n  error occurred in cc-rs: failed to find tool \"aarch64-linux-gnu-gcc\"\n";
        let mut res = TargetOutcome::default();
        let e = classify(
            "",
            stderr,
            "aarch64-unknown-linux-gnu",
            Path::new("/w"),
            &HashMap::new(),
            &mut res,
        );
        assert_eq!(e.kind, Failure::BuildScript);
        assert!(
            e.message.contains("CC_aarch64_unknown_linux_gnu"),
            "{}",
            e.message
        );
        assert!(e.message.contains("AR_aarch64_unknown_linux_gnu"));
        assert!(e.message.contains("foo-sys"));
    }
}
