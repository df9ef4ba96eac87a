//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it.
//!
//! One rule per `layout::Code` (its help is `layout-cli explain CODE`), plus
//! `layout-changed` for `--baseline`. One result per grouped finding (not per target):
//! the targets it holds on are in the result's `properties.targets`. Fingerprints come
//! from the struct's path, the code, the field and the partner field, so they are stable
//! across runs and line moves, and distinct. URIs are relative to the source root (see
//! [`source_root`]) under the `%SRCROOT%` base. Input errors become tool execution
//! notifications.
//!
//! Every result says where the numbers behind it came from, `properties.source`:
//! `"rustc"` (`--exact`), `"static"` (the static model) or `"mixed"` (rustc on the
//! targets in `properties.rustcTargets`, the static model on the others). With
//! `--exact` the run's properties name the toolchain (`rustc`, `rustc -vV`'s release)
//! and, when it is not the one the static model was checked on, say so (`toolchainNote`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::analysis::{NumberSource, StructReport};
use crate::render::display_path;
use crate::render::model::{Group, GroupedFinding, Report};
use crate::render::text::{Exact, source_on};
use crate::snapshot::Change;
use layout::Code;

/// The SARIF schema the document claims.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The rule id of a `--baseline` change.
pub const CHANGED: &str = "layout-changed";

/// Where URIs start.
#[derive(Clone, Debug, Default)]
pub struct Options<'a> {
    /// The source root: URIs are relative to it. `None`: as the paths were given.
    pub root: Option<PathBuf>,
    /// Set with `--exact`: the toolchain the numbers came from.
    pub exact: Option<Exact<'a>>,
}

/// The directory SARIF URIs are relative to, found from `start` (the current
/// directory) upwards: the nearest directory whose Cargo.toml has a `[workspace]`
/// table, else the nearest with a `.git`, else the nearest with a Cargo.toml, else
/// `start` itself.
pub fn source_root(start: &Path) -> PathBuf {
    let start = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
    let has_workspace = |d: &Path| {
        std::fs::read_to_string(d.join("Cargo.toml"))
            .is_ok_and(|t| t.lines().any(|l| l.trim() == "[workspace]"))
    };
    let found = start
        .ancestors()
        .find(|d| has_workspace(d))
        .or_else(|| start.ancestors().find(|d| d.join(".git").exists()))
        .or_else(|| start.ancestors().find(|d| d.join("Cargo.toml").is_file()));
    found.unwrap_or(&start).to_path_buf()
}

/// `file` relative to the root, `/`-separated; as given when it is not under the root.
fn uri(file: &Path, o: &Options<'_>) -> String {
    if let Some(root) = &o.root
        && let Ok(abs) = file.canonicalize()
        && let Ok(rel) = abs.strip_prefix(root)
    {
        return display_path(rel);
    }
    display_path(file)
}

/// The document, pretty-printed, with a trailing newline.
pub fn render(r: &Report<'_>, changes: &[Change], o: &Options<'_>) -> String {
    let mut out = serde_json::to_string_pretty(&document(r, changes, o)).unwrap_or_default();
    out.push('\n');
    out
}

/// The document as a JSON value.
pub fn document(r: &Report<'_>, changes: &[Change], o: &Options<'_>) -> Value {
    let mut rules: Vec<Value> = Code::ALL.iter().map(|&c| rule(c)).collect();
    rules.push(json!({
        "id": CHANGED,
        "shortDescription": { "text": "A struct's layout differs from the --baseline lockfile" },
        "fullDescription": { "text": "The struct's size, alignment or a field's offset differs from what `layout-cli snapshot` recorded in the baseline lockfile. Review the change; if it is intended, write a new lockfile with `layout-cli snapshot`." },
        "help": { "text": "Write a new lockfile with `layout-cli snapshot -o FILE` when the change is intended." },
        "defaultConfiguration": { "level": "error" },
    }));
    let mut results: Vec<Value> = r
        .structs
        .iter()
        .flat_map(|g| g.findings.iter().map(move |f| result(g, f, o)))
        .collect();
    // "path on triple" -> the struct, built once (not one scan per change).
    let mut subjects: HashMap<String, &StructReport> = HashMap::new();
    for g in &r.structs {
        for t in g.layouts.iter().flat_map(|l| &l.targets) {
            subjects
                .entry(format!("{} on {}", g.first.path, t.triple))
                .or_insert(g.first);
        }
    }
    results.extend(
        changes
            .iter()
            .map(|c| change(subjects.get(&c.subject).copied(), c, o)),
    );
    let notifications: Vec<Value> = r
        .errors
        .iter()
        .map(|e| {
            let mut region = serde_json::Map::new();
            if let Some(l) = e.line {
                region.insert("startLine".into(), json!(l.max(1)));
                if let Some(c) = e.column {
                    region.insert("startColumn".into(), json!(c.max(1)));
                }
            }
            let mut physical = json!({ "artifactLocation": artifact(&uri(&e.file, o)) });
            if !region.is_empty() {
                physical["region"] = Value::Object(region);
            }
            json!({
                "level": "error",
                "message": { "text": e.message },
                "locations": [{ "physicalLocation": physical }],
            })
        })
        .collect();
    let mut driver = json!({
        "name": "layout-cli",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    // Only a real address: the workspace's `repository`, unless it is a placeholder.
    let repo = env!("CARGO_PKG_REPOSITORY");
    if !repo.is_empty() && !repo.contains(".invalid") {
        driver["informationUri"] = json!(repo);
    }
    let mut run = json!({
        "tool": { "driver": driver },
        "invocations": [{
            "executionSuccessful": r.errors.is_empty(),
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
    });
    if let Some(x) = &o.exact {
        let mut props = json!({ "exact": true, "rustc": x.rustc });
        if let Some(n) = x.note {
            props["toolchainNote"] = json!(n);
        }
        run["properties"] = props;
    }
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [run],
    })
}

fn rule(c: Code) -> Value {
    json!({
        "id": c.as_str(),
        "shortDescription": { "text": c.summary() },
        "fullDescription": { "text": c.explanation() },
        "help": { "text": crate::render::explain::one(c.as_str()).unwrap_or_default() },
        "defaultConfiguration": { "level": c.severity().as_str() },
    })
}

fn artifact(uri: &str) -> Value {
    json!({ "uri": uri, "uriBaseId": "%SRCROOT%" })
}

fn result(g: &Group<'_>, f: &GroupedFinding<'_>, o: &Options<'_>) -> Value {
    let rule_index = Code::ALL.iter().position(|&c| c == f.code).unwrap_or(0);
    let targets: Vec<&str> = f.targets.iter().map(|t| t.triple).collect();
    let mut message = f.message().to_string();
    if f.variants.len() > 1 {
        for v in &f.variants[1..] {
            let ts: Vec<&str> = v.targets.iter().map(|t| t.short).collect();
            message.push_str(&format!(" (on {}: {})", ts.join(", "), v.message));
        }
    }
    let mut res = json!({
        "ruleId": f.code.as_str(),
        "ruleIndex": rule_index,
        "level": f.severity.as_str(),
        "message": { "text": message },
        "locations": [{ "physicalLocation": {
            "artifactLocation": artifact(&uri(&g.first.file, o)),
            "region": { "startLine": f.line.max(1), "startColumn": f.column.max(1) },
        }}],
        "partialFingerprints": { "layoutFinding/v2": format!("{:016x}", fnv1a(&g.finding_key(f))) },
        "properties": {
            "targets": targets,
            "struct": g.id.key(),
            "field": f.field,
            "partner": f.partner,
            "source": match source_on(g, &f.targets) {
                Some(NumberSource::Rustc) => "rustc",
                Some(NumberSource::Static) => "static",
                None => "mixed",
            },
        },
    });
    if source_on(g, &f.targets).is_none() {
        let rustc: Vec<&str> = f
            .targets
            .iter()
            .filter(|t| source_on(g, &[**t]) == Some(NumberSource::Rustc))
            .map(|t| t.triple)
            .collect();
        res["properties"]["rustcTargets"] = json!(rustc);
    }
    res
}

/// A `--baseline` change as a result, at the struct it is about when it still exists.
fn change(at: Option<&StructReport>, c: &Change, o: &Options<'_>) -> Value {
    let mut res = json!({
        "ruleId": CHANGED,
        "ruleIndex": Code::ALL.len(),
        "level": "error",
        "message": { "text": format!("{}: {}", c.subject, c.message) },
        "partialFingerprints": { "layoutFinding/v2": format!("{:016x}", fnv1a(&format!("{CHANGED}|{}|{}", c.subject, c.message))) },
        "properties": { "subject": c.subject },
    });
    if let Some(s) = at {
        res["locations"] = json!([{ "physicalLocation": {
            "artifactLocation": artifact(&uri(&s.file, o)),
            "region": { "startLine": s.line.max(1), "startColumn": s.column.max(1) },
        }}]);
    }
    res
}

/// FNV-1a: a stable fingerprint across runs and platforms (std's hasher is not).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What a document lacks of the SARIF 2.1.0 parts GitHub code scanning requires
/// (empty when it has them all). Used by the tests, on this renderer's output.
pub fn problems(doc: &Value) -> Vec<String> {
    let mut p = Vec::new();
    let mut need = |ok: bool, what: &str| {
        if !ok {
            p.push(what.to_string());
        }
    };
    let levels = ["none", "note", "warning", "error"];
    need(doc["version"] == "2.1.0", "version 2.1.0");
    need(
        doc["$schema"]
            .as_str()
            .is_some_and(|s| s.contains("sarif-2.1.0")),
        "$schema",
    );
    let run = &doc["runs"][0];
    let driver = &run["tool"]["driver"];
    need(driver["name"].is_string(), "tool.driver.name");
    need(
        driver["informationUri"].is_null() || driver["informationUri"].is_string(),
        "tool.driver.informationUri",
    );
    let rules = driver["rules"].as_array().cloned().unwrap_or_default();
    need(!rules.is_empty(), "tool.driver.rules");
    let ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    need(ids.len() == rules.len(), "every rule has an id");
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    need(unique.len() == ids.len(), "rule ids unique");
    for r in &rules {
        need(
            r["shortDescription"]["text"].is_string(),
            "rule shortDescription.text",
        );
        need(
            r["fullDescription"]["text"].is_string(),
            "rule fullDescription.text",
        );
        need(
            r["defaultConfiguration"]["level"]
                .as_str()
                .is_some_and(|l| levels.contains(&l)),
            "rule defaultConfiguration.level",
        );
    }
    let results = run["results"].as_array().cloned();
    need(results.is_some(), "runs[0].results");
    for res in results.unwrap_or_default() {
        let id = res["ruleId"].as_str().unwrap_or("");
        let idx = res["ruleIndex"]
            .as_u64()
            .and_then(|i| usize::try_from(i).ok());
        need(
            idx.and_then(|i| ids.get(i)) == Some(&id),
            "result ruleIndex matches ruleId",
        );
        need(
            res["level"].as_str().is_some_and(|l| levels.contains(&l)),
            "result level",
        );
        need(
            res["message"]["text"]
                .as_str()
                .is_some_and(|t| !t.is_empty()),
            "result message.text",
        );
        if res["ruleId"] == CHANGED && res["locations"].is_null() {
            continue; // a removed struct has no place left to point at
        }
        let loc = &res["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap_or("/");
        need(
            !uri.starts_with('/') && !uri.contains('\\') && !uri.is_empty(),
            "relative artifactLocation.uri",
        );
        need(
            loc["region"]["startLine"].as_u64().is_some_and(|l| l >= 1),
            "region.startLine >= 1",
        );
        need(
            loc["region"]["startColumn"]
                .as_u64()
                .is_some_and(|c| c >= 1),
            "region.startColumn >= 1",
        );
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample;

    fn doc_of(a: &crate::analysis::Analysis) -> Value {
        document(&Report::new(a, 0), &[], &Options::default())
    }

    #[test]
    fn sample_is_valid() {
        let doc: Value = doc_of(&sample::analysis());
        assert_eq!(problems(&doc), Vec::<String>::new());
        let run = &doc["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"].as_array().unwrap().len(),
            Code::ALL.len() + 1
        );
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), 3);
        assert_eq!(results[1]["ruleId"], "false-sharing");
        assert_eq!(results[1]["level"], "error");
        assert_eq!(
            results[1]["locations"][0]["physicalLocation"]["region"]["startLine"],
            12
        );
        let notes = run["invocations"][0]["toolExecutionNotifications"]
            .as_array()
            .unwrap();
        assert_eq!(
            notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "src/broken.rs"
        );
        assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    }

    #[test]
    fn problems_are_found() {
        let mut doc = doc_of(&sample::analysis());
        doc["runs"][0]["results"][0]["level"] = json!("fatal");
        doc["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
            json!("/abs/x.rs");
        doc["runs"][0]["tool"]["driver"]["rules"][1]["id"] = json!("size-mismatch");
        let p = problems(&doc);
        assert!(p.contains(&"result level".to_string()), "{p:?}");
        assert!(p.contains(&"relative artifactLocation.uri".to_string()));
        assert!(p.contains(&"rule ids unique".to_string()));
    }

    #[test]
    fn fingerprints_differ_per_target_and_are_stable() {
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_ne!(fnv1a("x|y"), fnv1a("x|z"));
    }

    #[test]
    fn results_say_where_their_numbers_came_from() {
        let doc = doc_of(&sample::analysis());
        let results = doc["runs"][0]["results"].as_array().unwrap();
        assert!(
            results
                .iter()
                .all(|r| r["properties"]["source"] == "static")
        );
        assert!(
            doc["runs"][0]["properties"].is_null(),
            "no --exact, no toolchain"
        );

        let mut a = sample::analysis();
        for s in &mut a.structs {
            s.source = NumberSource::Rustc;
        }
        // The Waste struct on a second target, from the static model.
        let mut w = a
            .structs
            .iter()
            .find(|s| s.name == "Waste")
            .unwrap()
            .clone();
        w.source = NumberSource::Static;
        w.target = layout::target::find("aarch64-unknown-linux-gnu").unwrap();
        let at = a.structs.iter().position(|s| s.name == "Waste").unwrap();
        a.structs.insert(at + 1, w);
        crate::diag::diagnose(&mut a);
        let note = "rustc 1.97.0 gave these numbers; the static model was checked on rustc 1.95";
        let o = Options {
            root: None,
            exact: Some(Exact {
                rustc: "1.97.0",
                note: Some(note),
            }),
        };
        let doc = document(&Report::new(&a, 0), &[], &o);
        assert_eq!(problems(&doc), Vec::<String>::new());
        let run = &doc["runs"][0];
        assert_eq!(run["properties"]["rustc"], "1.97.0");
        assert_eq!(run["properties"]["toolchainNote"], note);
        let results = run["results"].as_array().unwrap();
        let waste = results
            .iter()
            .find(|r| r["ruleId"] == "padding-waste")
            .unwrap();
        assert_eq!(waste["properties"]["source"], "mixed", "{waste}");
        assert_eq!(
            waste["properties"]["rustcTargets"],
            json!(["x86_64-unknown-linux-gnu"])
        );
        let ring = results
            .iter()
            .find(|r| r["ruleId"] == "false-sharing")
            .unwrap();
        assert_eq!(ring["properties"]["source"], "rustc");
        assert!(ring["properties"]["rustcTargets"].is_null());
    }
}
