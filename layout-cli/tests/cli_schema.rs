//! The real binary's JSON and SARIF output validated against their schemas, offline:
//! `docs/report.schema.json` (this tool's JSON, schema 2) and the SARIF 2.1.0 schema
//! vendored in `tests/fixtures/sarif-schema-2.1.0.json` (OASIS, unchanged).
//!
//! The validator below covers every draft-07 keyword these two schemas use (a test
//! fails if a schema uses one it does not know), except `format`, which draft-07 makes
//! optional to check and which it reports as not checked.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const CHECKED: &[&str] = &[
    "type",
    "enum",
    "const",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minimum",
    "maximum",
    "minLength",
    "pattern",
    "$ref",
    "anyOf",
    "oneOf",
    "allOf",
    "not",
];
/// Annotations, and `format` (optional in draft-07): not assertions.
const NOT_CHECKED: &[&str] = &[
    "$schema",
    "$id",
    "title",
    "description",
    "default",
    "definitions",
    "format",
    "deprecated",
    "examples",
];

/// Every keyword used anywhere in a schema.
fn keywords(schema: &Value, out: &mut std::collections::BTreeSet<String>) {
    match schema {
        Value::Object(m) => {
            for (k, v) in m {
                out.insert(k.clone());
                match k.as_str() {
                    "properties" | "definitions" => {
                        for sub in v.as_object().into_iter().flat_map(|o| o.values()) {
                            keywords(sub, out);
                        }
                    }
                    "enum" | "const" | "default" | "examples" | "required" => {}
                    _ => keywords(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| keywords(v, out)),
        _ => {}
    }
}

struct Validator<'a> {
    root: &'a Value,
    errors: Vec<String>,
}

impl Validator<'_> {
    fn resolve(&self, r: &str) -> &Value {
        let ptr = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("non-local $ref {r}"));
        self.root
            .pointer(ptr)
            .unwrap_or_else(|| panic!("dangling $ref {r}"))
    }

    fn ok(&self, schema: &Value, v: &Value) -> bool {
        let mut sub = Validator {
            root: self.root,
            errors: Vec::new(),
        };
        sub.check(schema, v, "");
        sub.errors.is_empty()
    }

    fn check(&mut self, schema: &Value, v: &Value, at: &str) {
        let Some(s) = schema.as_object() else {
            if schema == &Value::Bool(false) {
                self.errors.push(format!("{at}: not allowed"));
            }
            return;
        };
        let mut fail = |m: String| self.errors.push(format!("{at}: {m}"));
        if let Some(t) = s.get("type") {
            let types: Vec<&str> = match t {
                Value::String(x) => vec![x.as_str()],
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                _ => vec![],
            };
            let is = |ty: &str| match ty {
                "object" => v.is_object(),
                "array" => v.is_array(),
                "string" => v.is_string(),
                "boolean" => v.is_boolean(),
                "null" => v.is_null(),
                "number" => v.is_number(),
                "integer" => v.is_i64() || v.is_u64(),
                _ => panic!("unknown type {ty}"),
            };
            if !types.iter().any(|ty| is(ty)) {
                fail(format!("expected type {t}, found {v}"));
            }
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array)
            && !e.contains(v)
        {
            fail(format!("{v} not in {}", Value::Array(e.clone())));
        }
        if let Some(c) = s.get("const")
            && c != v
        {
            fail(format!("expected {c}, found {v}"));
        }
        if let Some(n) = v.as_f64() {
            if let Some(m) = s.get("minimum").and_then(Value::as_f64)
                && n < m
            {
                fail(format!("{n} below minimum {m}"));
            }
            if let Some(m) = s.get("maximum").and_then(Value::as_f64)
                && n > m
            {
                fail(format!("{n} above maximum {m}"));
            }
        }
        if let Some(text) = v.as_str() {
            if let Some(m) = s.get("minLength").and_then(Value::as_u64)
                && (text.chars().count() as u64) < m
            {
                fail(format!("{text:?} shorter than {m}"));
            }
            if let Some(p) = s.get("pattern").and_then(Value::as_str)
                && !regex::Regex::new(p).expect("schema pattern").is_match(text)
            {
                fail(format!("{text:?} does not match {p}"));
            }
        }
        if let Some(a) = v.as_array() {
            if let Some(m) = s.get("minItems").and_then(Value::as_u64)
                && (a.len() as u64) < m
            {
                fail(format!("fewer than {m} items"));
            }
            if let Some(m) = s.get("maxItems").and_then(Value::as_u64)
                && (a.len() as u64) > m
            {
                fail(format!("more than {m} items"));
            }
            if s.get("uniqueItems") == Some(&Value::Bool(true)) {
                for (i, x) in a.iter().enumerate() {
                    if a[..i].contains(x) {
                        fail(format!("item {i} repeats {x}"));
                    }
                }
            }
        }
        let mut todo: Vec<(Value, Value, String)> = Vec::new();
        if let (Some(items), Some(a)) = (s.get("items"), v.as_array()) {
            for (i, x) in a.iter().enumerate() {
                let sub = match items {
                    Value::Array(list) => match list.get(i) {
                        Some(sch) => sch.clone(),
                        None => continue,
                    },
                    one => one.clone(),
                };
                todo.push((sub, x.clone(), format!("{at}/{i}")));
            }
        }
        if let Some(o) = v.as_object() {
            let props = s.get("properties").and_then(Value::as_object);
            for r in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let r = r.as_str().unwrap_or("");
                if !o.contains_key(r) {
                    self.errors.push(format!("{at}: missing required `{r}`"));
                }
            }
            for (k, x) in o {
                match props.and_then(|p| p.get(k)) {
                    Some(sub) => todo.push((sub.clone(), x.clone(), format!("{at}/{k}"))),
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            self.errors.push(format!("{at}: unexpected property `{k}`"))
                        }
                        Some(sub @ Value::Object(_)) => {
                            todo.push((sub.clone(), x.clone(), format!("{at}/{k}")))
                        }
                        _ => {}
                    },
                }
            }
        }
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            todo.push((self.resolve(r).clone(), v.clone(), at.to_string()));
        }
        for sub in s
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            todo.push((sub.clone(), v.clone(), at.to_string()));
        }
        if let Some(any) = s.get("anyOf").and_then(Value::as_array)
            && !any.iter().any(|sub| self.ok(sub, v))
        {
            self.errors.push(format!("{at}: matches none of anyOf"));
        }
        if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
            let n = one.iter().filter(|sub| self.ok(sub, v)).count();
            if n != 1 {
                self.errors
                    .push(format!("{at}: matches {n} of oneOf, not 1"));
            }
        }
        if let Some(not) = s.get("not")
            && self.ok(not, v)
        {
            self.errors.push(format!("{at}: matches `not`"));
        }
        for (sub, x, path) in todo {
            self.check(&sub, &x, &path);
        }
    }
}

/// The validation errors of `v` against `schema` (empty: valid).
fn validate(schema: &Value, v: &Value) -> Vec<String> {
    let mut used = std::collections::BTreeSet::new();
    keywords(schema, &mut used);
    let unknown: Vec<&String> = used
        .iter()
        .filter(|k| !CHECKED.contains(&k.as_str()) && !NOT_CHECKED.contains(&k.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "the validator does not know {unknown:?}"
    );
    let mut val = Validator {
        root: schema,
        errors: Vec::new(),
    };
    val.check(schema, v, "");
    val.errors
}

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load(path: PathBuf) -> Value {
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn sarif_schema() -> Value {
    load(manifest().join("tests/fixtures/sarif-schema-2.1.0.json"))
}

fn json_schema() -> Value {
    load(manifest().join("../docs/report.schema.json"))
}

fn run(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let doc = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    (out.status.code().unwrap(), doc)
}

#[test]
fn sarif_of_the_report_fixture_passes_the_sarif_2_1_0_schema() {
    let dir = manifest().join("tests/fixtures/report");
    let (code, doc) = run(&dir, &["report", ".", "--all-targets", "--format", "sarif"]);
    assert_eq!(code, 1);
    assert!(doc["runs"][0]["results"].as_array().unwrap().len() > 10);
    let e = validate(&sarif_schema(), &doc);
    assert!(e.is_empty(), "{e:#?}");
    // With input errors: notifications pass too.
    let (code, doc) = run(&dir, &["report", "broken", "--format", "sarif"]);
    assert_eq!(code, 2);
    let e = validate(&sarif_schema(), &doc);
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn baseline_changes_are_sarif_results_that_pass_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let src = manifest().join("tests/fixtures/grouped");
    std::fs::create_dir(dir.path().join("src")).unwrap();
    // The manifest without its path dependency, which does not resolve from the copy.
    let toml = std::fs::read_to_string(src.join("Cargo.toml")).unwrap();
    let kept: Vec<&str> = toml
        .lines()
        .filter(|l| !l.starts_with("layout = "))
        .collect();
    std::fs::write(dir.path().join("Cargo.toml"), kept.join("\n")).unwrap();
    let lib = dir.path().join("src/lib.rs");
    std::fs::copy(src.join("src/lib.rs"), &lib).unwrap();
    let snap = Command::new(env!("CARGO_BIN_EXE_layout-cli"))
        .args([
            "snapshot",
            ".",
            "--target",
            "x86_64-linux",
            "-o",
            "layouts.json",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(snap.status.success(), "{snap:?}");
    let text = std::fs::read_to_string(&lib).unwrap();
    std::fs::write(&lib, text.replace("pub tag: u8", "pub tag: u16")).unwrap();
    let (code, doc) = run(
        dir.path(),
        &[
            "report",
            ".",
            "--target",
            "x86_64-linux",
            "--format",
            "sarif",
            "--baseline",
            "layouts.json",
        ],
    );
    assert_eq!(code, 1, "a change fails the run");
    let changed: Vec<&Value> = doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "layout-changed")
        .collect();
    assert!(!changed.is_empty(), "{doc:#}");
    assert!(
        changed[0]["message"]["text"]
            .as_str()
            .unwrap()
            .contains("Same")
    );
    assert_eq!(
        changed[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        11
    );
    let e = validate(&sarif_schema(), &doc);
    assert!(e.is_empty(), "{e:#?}");
}

#[test]
fn json_of_both_fixtures_passes_the_documented_schema() {
    // The event loop: generic structs' own entries and their instantiations' entries.
    for (fixture, path) in [
        ("report", "."),
        ("report", "broken"),
        ("grouped", "."),
        ("../../../eventloop", "."),
    ] {
        let dir = manifest().join("tests/fixtures").join(fixture);
        let (_, doc) = run(&dir, &["report", path, "--all-targets", "--format", "json"]);
        assert_eq!(doc["schema"], 2);
        let e = validate(&json_schema(), &doc);
        assert!(e.is_empty(), "{fixture}/{path}: {e:#?}");
    }
}

#[test]
fn the_validator_finds_what_is_wrong() {
    let dir = manifest().join("tests/fixtures/report");
    let (_, mut doc) = run(&dir, &["report", ".", "--format", "json"]);
    doc["schema"] = 1.into();
    doc["structs"][0]["size"] = "big".into();
    doc["structs"][0]["extra"] = true.into();
    doc["structs"][1]["diagnostics"] = serde_json::json!([{ "code": "nope" }]);
    let e = validate(&json_schema(), &doc);
    let has = |s: &str| e.iter().any(|x| x.contains(s));
    assert!(has("/schema: expected 2"), "{e:#?}");
    assert!(has("/structs/0/size: expected type"), "{e:#?}");
    assert!(has("unexpected property `extra`"), "{e:#?}");
    assert!(has("missing required `severity`"), "{e:#?}");
    assert!(has("\"nope\" not in"), "{e:#?}");
    let (_, mut sarif) = run(&dir, &["report", ".", "--format", "sarif"]);
    sarif["version"] = "2.0.0".into();
    sarif["runs"][0]["results"][0]["level"] = "fatal".into();
    let e = validate(&sarif_schema(), &sarif);
    assert!(e.iter().any(|x| x.starts_with("/version")), "{e:#?}");
    assert!(e.iter().any(|x| x.contains("/results/0/level")), "{e:#?}");
}
