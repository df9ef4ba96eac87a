//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning accepts it.
//!
//! One rule per `layout::Code`; one result per finding (per target: the message and
//! the fingerprint name the target); input errors become tool execution notifications.

use serde_json::{Value, json};

use crate::analysis::{Analysis, Finding, StructReport};
use crate::render::display_path;
use layout::Code;

/// The SARIF schema the document claims.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Where the tool is documented (the workspace's `repository`).
pub const INFORMATION_URI: &str = "https://example.invalid/cachelayout";

/// The document, pretty-printed, with a trailing newline.
pub fn render(a: &Analysis) -> String {
    let mut out = serde_json::to_string_pretty(&document(a)).unwrap_or_default();
    out.push('\n');
    out
}

/// The document as a JSON value.
pub fn document(a: &Analysis) -> Value {
    let rules: Vec<Value> = Code::ALL.iter().map(|&c| rule(c)).collect();
    let results: Vec<Value> = a
        .structs
        .iter()
        .flat_map(|s| s.diagnostics.iter().map(move |f| result(s, f)))
        .collect();
    let notifications: Vec<Value> = a
        .errors
        .iter()
        .map(|e| {
            let mut region = serde_json::Map::new();
            if let Some(l) = e.line {
                region.insert("startLine".into(), json!(l));
                if let Some(c) = e.column {
                    region.insert("startColumn".into(), json!(c));
                }
            }
            let mut physical = json!({ "artifactLocation": artifact(&display_path(&e.file)) });
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
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "layout-cli",
                "informationUri": INFORMATION_URI,
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": a.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

fn rule(c: Code) -> Value {
    json!({
        "id": c.as_str(),
        "shortDescription": { "text": c.summary() },
        "fullDescription": { "text": c.explanation() },
        "help": { "text": format!("layout-cli explain {}", c.as_str()) },
        "defaultConfiguration": { "level": c.severity().as_str() },
    })
}

fn artifact(uri: &str) -> Value {
    json!({ "uri": uri, "uriBaseId": "%SRCROOT%" })
}

fn result(s: &StructReport, f: &Finding) -> Value {
    let rule_index = Code::ALL.iter().position(|&c| c == f.code).unwrap_or(0);
    let key = format!(
        "{}|{}|{}|{}",
        f.code.as_str(),
        s.path,
        f.field.as_deref().unwrap_or(""),
        s.target.triple
    );
    json!({
        "ruleId": f.code.as_str(),
        "ruleIndex": rule_index,
        "level": f.severity.as_str(),
        "message": { "text": f.message },
        "locations": [{ "physicalLocation": {
            "artifactLocation": artifact(&display_path(&s.file)),
            "region": { "startLine": f.line.max(1), "startColumn": f.column.max(1) },
        }}],
        "partialFingerprints": { "layoutFinding/v1": format!("{:016x}", fnv1a(&key)) },
        "properties": { "target": s.target.triple, "struct": s.path },
    })
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
        driver["informationUri"].is_string(),
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

    #[test]
    fn sample_is_valid() {
        let doc: Value = serde_json::from_str(&render(&sample::analysis())).unwrap();
        assert_eq!(problems(&doc), Vec::<String>::new());
        let run = &doc["runs"][0];
        assert_eq!(
            run["tool"]["driver"]["rules"].as_array().unwrap().len(),
            Code::ALL.len()
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
        let mut doc = document(&sample::analysis());
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
}
