use super::*;
use crate::render::sample;

fn waste_analysis() -> Analysis {
    let mut a = Analysis {
        structs: vec![sample::waste(), sample::ring()],
        errors: Vec::new(),
    };
    crate::diag::diagnose(&mut a);
    a
}

fn codes(a: &Analysis) -> Vec<(&'static str, Severity)> {
    a.structs
        .iter()
        .flat_map(|s| &s.diagnostics)
        .map(|d| (d.code.as_str(), d.severity))
        .collect()
}

#[test]
fn codes_parse_with_dashes_or_underscores() {
    assert_eq!(parse_code("padding_waste"), Ok(Code::PaddingWaste));
    assert_eq!(parse_code("padding-waste"), Ok(Code::PaddingWaste));
    assert!(
        parse_code("padding")
            .unwrap_err()
            .contains("unknown code `padding`")
    );
}

#[test]
fn only_advisory_codes_can_be_allowed_or_warned() {
    let mut l = Levels::default();
    assert!(l.set("padding-waste", Level::Allow).is_ok());
    let e = l.set("false-sharing", Level::Allow).unwrap_err();
    assert!(e.contains("`false-sharing` cannot be allowed"), "{e}");
    assert!(l.set("false_sharing", Level::Warn).is_err());
    assert!(l.set("false-sharing", Level::Deny).is_ok());
    let mut w = Levels::default();
    w.set("warnings", Level::Deny).unwrap();
    assert_eq!(w.get(Code::UnalignedBase), Some(Level::Deny));
    assert_eq!(w.get(Code::FalseSharing), None);
}

#[test]
fn tables_parse_and_reject_bad_levels() {
    let v = serde_json::json!({ "layout": { "lints": { "padding_waste": "allow", "adjacent-line": "deny" } } });
    let l = Levels::from_metadata(&v).unwrap();
    assert_eq!(l.get(Code::PaddingWaste), Some(Level::Allow));
    assert_eq!(l.get(Code::AdjacentLine), Some(Level::Deny));
    assert!(
        Levels::from_metadata(&serde_json::json!({}))
            .unwrap()
            .is_empty()
    );
    let bad = serde_json::json!({ "padding-waste": "off" });
    assert!(
        Levels::from_table(&bad)
            .unwrap_err()
            .contains("expected \"allow\"")
    );
    let bad = serde_json::json!({ "size-mismatch": "allow" });
    assert!(
        Levels::from_table(&bad)
            .unwrap_err()
            .contains("cannot be allowed")
    );
}

#[test]
fn defaults_leave_findings_as_they_are() {
    let mut a = waste_analysis();
    let before = codes(&a);
    let applied = apply(&mut a, &LintConfig::default(), &Levels::default());
    assert_eq!(applied.allowed, 0);
    assert_eq!(codes(&a), before);
    assert_eq!(
        before,
        [
            ("padding-waste", Severity::Warning),
            ("false-sharing", Severity::Error)
        ]
    );
}

#[test]
fn precedence_inline_then_flags_then_package_then_workspace() {
    let mut config = LintConfig::default();
    config.workspace.set("padding-waste", Level::Deny).unwrap();
    // Workspace deny: an error.
    let mut a = waste_analysis();
    apply(&mut a, &config, &Levels::default());
    assert_eq!(codes(&a)[0], ("padding-waste", Severity::Error));
    // The package's allow beats the workspace's deny.
    let mut pkg = Levels::default();
    pkg.set("padding-waste", Level::Allow).unwrap();
    config.packages.insert(String::new(), pkg);
    let mut a = waste_analysis();
    assert_eq!(apply(&mut a, &config, &Levels::default()).allowed, 1);
    assert_eq!(codes(&a), [("false-sharing", Severity::Error)]);
    // A flag beats the package.
    let flags = Levels::from_flags(&[], &["padding-waste".into()], &[]).unwrap();
    let mut a = waste_analysis();
    apply(&mut a, &config, &flags);
    assert_eq!(codes(&a)[0], ("padding-waste", Severity::Warning));
    // Inline beats the flag.
    let deny = Levels::from_flags(&[], &[], &["padding-waste".into()]).unwrap();
    let mut a = waste_analysis();
    a.structs[0].allowed.push(Code::PaddingWaste);
    assert_eq!(apply(&mut a, &config, &deny).allowed, 1);
    assert_eq!(codes(&a), [("false-sharing", Severity::Error)]);
}

#[test]
fn d_beats_w_beats_a_on_the_command_line() {
    let f = Levels::from_flags(&["adjacent-line".into()], &["adjacent-line".into()], &[]).unwrap();
    assert_eq!(f.get(Code::AdjacentLine), Some(Level::Warn));
    let f = Levels::from_flags(&["adjacent-line".into()], &[], &["adjacent_line".into()]).unwrap();
    assert_eq!(f.get(Code::AdjacentLine), Some(Level::Deny));
}

#[test]
fn allowing_a_stated_rule_inline_is_an_input_error() {
    let mut a = waste_analysis();
    a.structs[1].fields[1].intent.allow.push(Code::FalseSharing);
    apply(&mut a, &LintConfig::default(), &Levels::default());
    assert_eq!(a.errors.len(), 1, "{:?}", a.errors);
    assert!(
        a.errors[0]
            .message
            .contains("field `tail`: `false-sharing` cannot be allowed")
    );
    assert_eq!(
        codes(&a)[1],
        ("false-sharing", Severity::Error),
        "still reported"
    );
}

#[test]
fn a_field_allow_covers_findings_about_that_field_or_its_partner() {
    let mut a = Analysis {
        structs: vec![sample::counters()],
        errors: Vec::new(),
    };
    crate::diag::diagnose(&mut a);
    assert_eq!(codes(&a), [("possible-false-sharing", Severity::Warning)]);
    a.structs[0].fields[0]
        .intent
        .allow
        .push(Code::PossibleFalseSharing);
    assert_eq!(
        apply(&mut a, &LintConfig::default(), &Levels::default()).allowed,
        1
    );
    assert!(codes(&a).is_empty());
}

#[test]
fn inline_allows_read_the_layout_attribute() {
    let item: syn::ItemStruct = syn::parse_quote! {
        #[derive(CacheLayout)]
        #[layout(size = 64, allow(padding_waste, adjacent-line), fixed)]
        #[layout(allow(unknown-code))]
        struct S { a: u8 }
    };
    assert_eq!(
        inline_allows(&item.attrs),
        [Code::PaddingWaste, Code::AdjacentLine]
    );
}

#[test]
fn comments_are_read_once_and_only_the_struct_header_is_looked_at() {
    let text = "\
// layout:allow(padding-waste)
#[repr(C)]
struct A { a: u8 } // layout:allow(unaligned_base)

// layout:allow(adjacent-line)

#[repr(C)]
struct B { b: u8 }
struct C { c: u8 } // layout:allow(bogus)
";
    let c = CommentAllows::scan(text);
    let (a, scanned) = c.for_struct(3);
    assert_eq!(a, [Ok(Code::UnalignedBase), Ok(Code::PaddingWaste)]);
    assert_eq!(scanned, 3, "line 3 and its two header lines");
    let (b, scanned) = c.for_struct(8);
    assert!(b.is_empty(), "a blank line ends the header: {b:?}");
    assert_eq!(scanned, 2);
    let (cc, _) = c.for_struct(9);
    assert!(cc[0].as_ref().unwrap_err().contains("unknown code `bogus`"));
}

#[test]
fn comment_lookups_are_linear_in_the_file() {
    // 2,000 structs, each with a comment and an attribute above it: every struct looks
    // at its own three lines only, never at the file again.
    let mut text = String::new();
    let mut lines = Vec::new();
    for i in 0..2000 {
        text.push_str("// layout:allow(padding-waste)\n#[repr(C)]\n");
        text.push_str(&format!("struct S{i} {{ a: u8 }}\n\n"));
        lines.push(4 * i + 3);
    }
    let c = CommentAllows::scan(&text);
    let scanned: usize = lines.iter().map(|&l| c.for_struct(l).1).sum();
    assert_eq!(scanned, 3 * 2000);
    assert!(
        lines
            .iter()
            .all(|&l| c.for_struct(l).0 == [Ok(Code::PaddingWaste)])
    );
}

#[test]
fn config_from_cargo_metadata_values() {
    let ws = serde_json::json!({ "layout": { "lints": { "padding-waste": "deny" } } });
    let a = serde_json::json!({ "layout": { "lints": { "padding_waste": "allow" } } });
    let none = serde_json::Value::Null;
    let c = LintConfig::from_cargo_metadata(&ws, [("a", &a), ("b", &none)]).unwrap();
    assert_eq!(c.workspace.get(Code::PaddingWaste), Some(Level::Deny));
    assert_eq!(c.packages["a"].get(Code::PaddingWaste), Some(Level::Allow));
    assert!(!c.packages.contains_key("b"));
    let bad = serde_json::json!({ "layout": { "lints": { "wrong-line": "allow" } } });
    let e = LintConfig::from_cargo_metadata(&none, [("c", &bad)]).unwrap_err();
    assert!(
        e.starts_with("package `c`: [package.metadata.layout.lints]:"),
        "{e}"
    );
}
