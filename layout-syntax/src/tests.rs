//! Parser unit tests: every key, every error, and the token each error points at.

use proc_macro2::Span;

use crate::*;

fn attrs(src: &str) -> Vec<syn::Attribute> {
    let item: syn::ItemStruct = match syn::parse_str(&format!("{src} struct S;")) {
        Ok(i) => i,
        Err(e) => panic!("bad test input {src}: {e}"),
    };
    item.attrs
}

/// Error messages, each with the source text of the token it points at.
fn errors(src: &str, f: impl FnOnce(&Ctxt, &[syn::Attribute])) -> Vec<(String, String)> {
    let a = attrs(src);
    let cx = Ctxt::new();
    f(&cx, &a);
    cx.into_errors()
        .into_iter()
        .map(|e| (e.to_string(), text_at(src, e.span())))
        .collect()
}

fn text_at(src: &str, span: Span) -> String {
    let (s, e) = (span.start(), span.end());
    assert_eq!(s.line, 1, "test inputs are one line");
    src.chars()
        .skip(s.column)
        .take(e.column.saturating_sub(s.column))
        .collect()
}

fn struct_ok(src: &str) -> StructAttrs {
    let cx = Ctxt::new();
    let out = parse_struct_attrs(&cx, &attrs(src));
    let errs: Vec<String> = cx.into_errors().iter().map(|e| e.to_string()).collect();
    assert!(errs.is_empty(), "{src}: {errs:?}");
    out
}

fn field_ok(src: &str) -> FieldAttrs {
    let cx = Ctxt::new();
    let out = parse_field_attrs(&cx, &attrs(src));
    let errs: Vec<String> = cx.into_errors().iter().map(|e| e.to_string()).collect();
    assert!(errs.is_empty(), "{src}: {errs:?}");
    out
}

fn struct_err(src: &str) -> Vec<(String, String)> {
    errors(src, |cx, a| {
        parse_struct_attrs(cx, a);
    })
}

fn field_err(src: &str) -> Vec<(String, String)> {
    errors(src, |cx, a| {
        parse_field_attrs(cx, a);
    })
}

fn one(errs: Vec<(String, String)>, msg_part: &str, at: &str) {
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].0.contains(msg_part),
        "{:?} lacks {msg_part:?}",
        errs[0]
    );
    assert_eq!(errs[0].1, at, "{:?}", errs[0]);
}

#[test]
fn every_struct_key() {
    let a = struct_ok("#[layout(size = 128, align = 64, line = 128, max_padding = 0, fixed)]");
    assert_eq!(a.size.map(|s| s.value), Some(128));
    assert_eq!(a.align.map(|s| s.value), Some(64));
    assert_eq!(a.line.map(|s| s.value), Some(128));
    assert_eq!(a.max_padding.map(|s| s.value), Some(0));
    assert!(a.fixed.is_some());
    // Several attributes merge; other attributes are ignored; suffixes are accepted.
    let b = struct_ok("#[doc = \"x\"] #[layout(size = 16usize)] #[layout(align = 8,)]");
    assert_eq!(
        (b.size.map(|s| s.value), b.align.map(|s| s.value)),
        (Some(16), Some(8))
    );
    assert_eq!(struct_ok("#[layout()]"), StructAttrs::default());
    assert_eq!(struct_ok(""), StructAttrs::default());
}

#[test]
fn every_field_key() {
    let a = field_ok("#[layout(offset = 64, line = 1, group = \"producer\", isolated)]");
    assert_eq!(a.offset.map(|s| s.value), Some(64));
    assert_eq!(a.line.map(|s| s.value), Some(1));
    assert_eq!(a.group.as_ref().map(|s| s.value.as_str()), Some("producer"));
    assert!(a.isolated.is_some() && a.pad.is_none() && a.has_checks());
    let p = field_ok("#[layout(pad)]");
    assert!(p.pad.is_some() && !p.has_checks() && !p.is_empty());
    assert!(field_ok("#[layout(pad, offset = 0)]").has_checks());
    // A field `line` is an index, not a size: 3 is fine.
    assert_eq!(
        field_ok("#[layout(line = 3)]").line.map(|s| s.value),
        Some(3)
    );
    assert!(field_ok("").is_empty());
}

#[test]
fn unknown_keys_suggest_the_closest() {
    one(
        struct_err("#[layout(sise = 8)]"),
        "did you mean `size`?",
        "sise",
    );
    one(
        struct_err("#[layout(max_pading = 8)]"),
        "did you mean `max_padding`?",
        "max_pading",
    );
    one(
        field_err("#[layout(isolate)]"),
        "did you mean `isolated`?",
        "isolate",
    );
    one(
        field_err("#[layout(grop = \"a\")]"),
        "did you mean `group`?",
        "grop",
    );
    one(
        struct_err("#[layout(banana)]"),
        "expected one of: size, align, line, max_padding, fixed, allow",
        "banana",
    );
    // Rust keywords are keys too, as far as the error goes.
    one(
        struct_err("#[layout(type = 1)]"),
        "unknown struct-level",
        "type",
    );
}

#[test]
fn keys_of_the_other_level() {
    one(
        struct_err("#[layout(isolated)]"),
        "`isolated` is a field-level",
        "isolated",
    );
    one(
        struct_err("#[layout(offset = 8)]"),
        "`offset` is a field-level",
        "offset",
    );
    one(
        field_err("#[layout(size = 8)]"),
        "`size` is a struct-level",
        "size",
    );
    one(
        field_err("#[layout(fixed)]"),
        "`fixed` is a struct-level",
        "fixed",
    );
}

#[test]
fn duplicates_point_at_the_second() {
    let e = struct_err("#[layout(size = 8, align = 8, size = 16)]");
    one(e, "duplicate #[layout] key `size`", "size");
    // The second occurrence is the one reported, also across attributes.
    let src = "#[layout(isolated)] #[layout(isolated)]";
    let e = field_err(src);
    assert_eq!(e.len(), 1);
    let col = src.rfind("isolated").unwrap_or(0);
    assert_eq!(&src[col..col + 8], e[0].1);
}

#[test]
fn power_of_two() {
    one(
        struct_err("#[layout(align = 48)]"),
        "`align` must be a power of two, got 48",
        "48",
    );
    one(
        struct_err("#[layout(line = 0)]"),
        "power of two, got 0",
        "0",
    );
    // size and max_padding need not be.
    assert_eq!(
        struct_ok("#[layout(size = 24, max_padding = 3)]")
            .size
            .map(|s| s.value),
        Some(24)
    );
}

#[test]
fn wrong_literal_types() {
    one(
        struct_err("#[layout(size = \"64\")]"),
        "without quotes",
        "\"64\"",
    );
    one(
        struct_err("#[layout(size = 1.5)]"),
        "found a float literal",
        "1.5",
    );
    one(
        struct_err("#[layout(align = true)]"),
        "found a boolean literal",
        "true",
    );
    one(
        field_err("#[layout(group = 3)]"),
        "`group` expects a string, found an integer",
        "3",
    );
    one(
        struct_err("#[layout(size = LINE)]"),
        "cannot evaluate",
        "LINE",
    );
    one(
        struct_err("#[layout(size = -1)]"),
        "expects an integer literal",
        "-1",
    );
    one(
        struct_err("#[layout(size = 99999999999999999999999)]"),
        "64 bits",
        "99999999999999999999999",
    );
    one(field_err("#[layout(group = \"\")]"), "non-empty", "\"\"");
    one(
        field_err("#[layout(group = other)]"),
        "expects a string literal",
        "other",
    );
}

#[test]
fn values_and_flags() {
    one(
        field_err("#[layout(isolated = true)]"),
        "is a flag and takes no value",
        "= true",
    );
    one(struct_err("#[layout(fixed(1))]"), "is a flag", "(1)");
    one(
        struct_err("#[layout(size)]"),
        "`size` needs a value: write `size = N`",
        "size",
    );
    one(struct_err("#[layout(size(8))]"), "not `size(N)`", "(8)");
    one(field_err("#[layout(group)]"), "needs a value", "group");
    one(
        struct_err("#[layout(size = )]"),
        "needs a value after `=`",
        "=",
    );
}

#[test]
fn malformed_attributes() {
    one(
        struct_err("#[layout]"),
        "expected `#[layout(...)]`",
        "layout",
    );
    one(
        struct_err("#[layout = 1]"),
        "not `#[layout = ...]`",
        "layout = 1",
    );
    one(struct_err("#[layout(8)]"), "expected a #[layout] key", "8");
    let e = struct_err("#[layout(size = 8 align = 8)]");
    assert_eq!(e.len(), 1, "{e:?}");
}

#[test]
fn pad_contradictions() {
    let e = field_err("#[layout(pad, isolated, group = \"g\", line = 1)]");
    assert_eq!(e.len(), 3, "{e:?}");
    for (want, (msg, at)) in ["isolated", "group", "line"].iter().zip(&e) {
        assert!(
            msg.contains(&format!("`pad` cannot be combined with `{want}`")),
            "{msg}"
        );
        assert_eq!(at, "pad");
    }
}

#[test]
fn all_errors_are_collected() {
    let e = struct_err("#[layout(sise = 1, align = 3)] #[layout(line = \"x\")]");
    assert_eq!(e.len(), 3, "{e:?}");
}

fn repr_of(src: &str) -> (Repr, Vec<(String, String)>) {
    let a = attrs(src);
    let cx = Ctxt::new();
    let r = parse_repr(&cx, &a);
    let errs = cx
        .into_errors()
        .into_iter()
        .map(|e| (e.to_string(), text_at(src, e.span())))
        .collect();
    (r, errs)
}

#[test]
fn repr_legal_combinations() {
    let (r, e) = repr_of("#[repr(C, align(64))]");
    assert!(e.is_empty(), "{e:?}");
    assert_eq!(
        (r.kind, r.align.map(|a| a.value), r.packed),
        (ReprKind::C, Some(64), None)
    );
    let (r, e) = repr_of("#[repr(packed)]");
    assert!(e.is_empty());
    assert_eq!(
        (r.kind, r.packed.map(|a| a.value)),
        (ReprKind::Rust, Some(1))
    );
    let (r, _) = repr_of("#[repr(C)] #[repr(packed(4))] #[repr(packed(2))]");
    assert_eq!((r.kind, r.packed.map(|a| a.value)), (ReprKind::C, Some(2)));
    let (r, _) = repr_of("#[repr(align(8), align(32))]");
    assert_eq!(r.align.map(|a| a.value), Some(32));
    let (r, _) = repr_of("#[repr(transparent)]");
    assert_eq!(r.kind, ReprKind::Transparent);
    let (r, _) = repr_of("#[repr(C, u8)]");
    assert_eq!(r.int.map(|i| i.to_string()), Some("u8".to_string()));
    assert_eq!(repr_of("#[derive(Debug)]").0, Repr::default());
}

#[test]
fn repr_illegal_combinations() {
    let (r, e) = repr_of("#[repr(C, packed, align(8))]");
    one(e, "E0587", "packed");
    assert!(r.packed.is_none() && r.align.is_some());
    let (r, e) = repr_of("#[repr(transparent, align(8))]");
    one(e, "E0692", "8");
    assert!(r.align.is_none());
    one(
        repr_of("#[repr(C, transparent)]").1,
        "conflicting",
        "transparent",
    );
    one(repr_of("#[repr(align(3))]").1, "power of two", "3");
    one(
        repr_of("#[repr(vector)]").1,
        "unsupported repr `vector`",
        "vector",
    );
    // Valid but not modelled: recorded, not an error.
    for (src, name) in [
        ("#[repr(simd)]", "simd"),
        ("#[repr(C, scalable(4))]", "scalable"),
    ] {
        let (r, e) = repr_of(src);
        assert!(e.is_empty(), "{src}: {e:?}");
        assert_eq!(r.unsupported.map(|u| u.value), Some(name));
    }
    assert!(!repr_of("#[repr(align = 8)]").1.is_empty());
}

#[test]
fn never_panics_on_odd_input() {
    for src in [
        "#[layout(,)]",
        "#[layout(= 1)]",
        "#[layout(size = = 1)]",
        "#[layout(size == 1)]",
        "#[layout(line = 1, , )]",
        "#[layout(a::b = 1)]",
        "#[layout(size = 1; align = 2)]",
        "#[layout(group = r\"x\", group = b\"x\")]",
        "#[layout(size = 0x40, align = 0b100, line = 1_024)]",
        "#[layout(allow(-))]",
        "#[layout(allow(a-))]",
        "#[layout(allow(,,))]",
        "#[layout(allow(padding-waste = 1))]",
        "#[layout(allow(padding-waste(1)))]",
        "#[layout(allow(r#type, self, _))]",
        "#[layout(allow(allow(padding-waste)))]",
        "#[repr()]",
        "#[repr(packed(0))]",
        "#[repr(align(x))]",
        "#[repr(C(1))]",
    ] {
        let a = attrs(src);
        let cx = Ctxt::new();
        parse_struct_attrs(&cx, &a);
        parse_field_attrs(&cx, &a);
        parse_repr(&cx, &a);
        let _ = cx.check();
    }
    let hex = struct_ok("#[layout(size = 0x40, align = 0b100, line = 1_024)]");
    assert_eq!(hex.size.map(|s| s.value), Some(64));
    assert_eq!(hex.line.map(|s| s.value), Some(1024));
}

/// `tokens` wrapped in an invisible group, as `macro_rules!` passes a `$x:literal`,
/// `$x:expr` or `$x:ident` fragment on.
fn invisible(tokens: proc_macro2::TokenStream) -> proc_macro2::TokenTree {
    proc_macro2::TokenTree::Group(proc_macro2::Group::new(
        proc_macro2::Delimiter::None,
        tokens,
    ))
}

fn attrs_of(tokens: proc_macro2::TokenStream) -> Vec<syn::Attribute> {
    let item: syn::ItemStruct = match syn::parse2(quote::quote!(#tokens struct S;)) {
        Ok(i) => i,
        Err(e) => panic!("bad test input: {e}"),
    };
    item.attrs
}

#[test]
fn macro_substituted_literals_are_read_for_every_key() {
    let n = |v: u64| invisible(quote::quote!(#v));
    let (s64, a8, l128, p3) = (n(64), n(8), n(128), n(3));
    let a = attrs_of(quote::quote!(
        #[layout(size = #s64, align = #a8, line = #l128, max_padding = #p3)]
    ));
    let cx = Ctxt::new();
    let s = parse_struct_attrs(&cx, &a);
    assert!(cx.is_empty(), "{:?}", cx.into_errors());
    assert_eq!(
        (
            s.size.map(|v| v.value),
            s.align.map(|v| v.value),
            s.line.map(|v| v.value),
            s.max_padding.map(|v| v.value)
        ),
        (Some(64), Some(8), Some(128), Some(3))
    );

    let (off, line) = (n(16), n(1));
    let g = invisible(quote::quote!("producer"));
    let code = invisible(quote::quote!(adjacent_line));
    let a = attrs_of(quote::quote!(
        #[layout(offset = #off, line = #line, group = #g, allow(#code))]
    ));
    let cx = Ctxt::new();
    let f = parse_field_attrs(&cx, &a);
    assert!(cx.is_empty(), "{:?}", cx.into_errors());
    assert_eq!(f.offset.map(|v| v.value), Some(16));
    assert_eq!(f.line.map(|v| v.value), Some(1));
    assert_eq!(f.group.map(|v| v.value), Some("producer".to_string()));
    assert_eq!(f.allow.len(), 1);
    assert_eq!(f.allow[0].value, Advisory::AdjacentLine);

    // A `$m:meta`-style fragment holding the whole list, groups nested in groups.
    let inner = invisible(quote::quote!(isolated, offset = #off));
    let a = attrs_of(quote::quote!(#[layout(#inner)]));
    let cx = Ctxt::new();
    let f = parse_field_attrs(&cx, &a);
    assert!(cx.is_empty(), "{:?}", cx.into_errors());
    assert!(f.isolated.is_some());
    assert_eq!(f.offset.map(|v| v.value), Some(16));
}

#[test]
fn macro_substituted_values_keep_their_errors() {
    // Unwrapping changes nothing about what is rejected.
    let bad = invisible(quote::quote!(48));
    let cx = Ctxt::new();
    parse_struct_attrs(&cx, &attrs_of(quote::quote!(#[layout(align = #bad)])));
    let e: Vec<String> = cx.into_errors().iter().map(|e| e.to_string()).collect();
    assert_eq!(e, ["`align` must be a power of two, got 48"]);
    let expr = invisible(quote::quote!(4 + 4));
    let cx = Ctxt::new();
    parse_field_attrs(&cx, &attrs_of(quote::quote!(#[layout(offset = #expr)])));
    let e: Vec<String> = cx.into_errors().iter().map(|e| e.to_string()).collect();
    assert_eq!(e.len(), 1);
    assert!(e[0].contains("cannot evaluate expressions"), "{e:?}");
}

#[test]
fn allow_accepts_both_spellings_and_merges() {
    let a = struct_ok(
        "#[layout(allow(padding-waste, unaligned_base))] #[layout(allow(unstable-padding,))]",
    );
    let codes: Vec<&str> = a.allow.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(
        codes,
        ["padding-waste", "unaligned-base", "unstable-padding"]
    );
    assert!(a.allows("padding-waste") && a.allows("padding_waste"));
    assert!(a.allows("unaligned-base") && !a.allows("adjacent-line"));
    // Error-level and unknown names are never reported as allowed.
    assert!(!a.allows("size-mismatch") && !a.allows("banana"));
    let f = field_ok("#[layout(group = \"a\", allow(possible_false_sharing, adjacent-line))]");
    assert!(f.allows("possible-false-sharing") && f.allows("adjacent-line"));
    assert!(!f.has_checks() || f.group.is_some());
    assert!(!field_ok("#[layout(allow(adjacent-line))]").is_empty());
    assert_eq!(struct_ok("#[layout(allow())]").allow.len(), 0);
    for a in Advisory::ALL {
        assert_eq!(Advisory::parse(a.as_str()), Some(*a));
        assert_eq!(Advisory::parse(&a.as_str().replace('-', "_")), Some(*a));
    }
}

#[test]
fn allow_points_at_the_code() {
    one(
        struct_err("#[layout(allow(padding-wast))]"),
        "unknown diagnostic code `padding-wast` in `allow`; did you mean `padding-waste`?",
        "padding-wast",
    );
    one(
        struct_err("#[layout(allow(banana))]"),
        "advisory codes are: padding-waste, adjacent-line, possible-false-sharing, \
         unaligned-base, unstable-padding",
        "banana",
    );
    one(
        struct_err("#[layout(allow(size_mismatch))]"),
        "`size-mismatch` cannot be allowed: it is an error, the check that `size = N` on \
         the struct asks for",
        "size_mismatch",
    );
    one(
        struct_err("#[layout(allow(padding-waste, false-sharing))]"),
        "the check that `group = \"...\"` on the fields asks for",
        "false-sharing",
    );
    one(
        field_err("#[layout(group = \"a\", allow(false-sharing))]"),
        "`false-sharing` cannot be allowed",
        "false-sharing",
    );
    one(
        field_err("#[layout(allow(padding-waste))]"),
        "`padding-waste` is about the whole struct, not one field",
        "padding-waste",
    );
    one(
        struct_err("#[layout(allow(padding-waste))] #[layout(allow(padding_waste))]"),
        "`padding-waste` is already allowed here",
        "padding_waste",
    );
    one(
        struct_err("#[layout(allow)]"),
        "needs a list of codes",
        "allow",
    );
    one(
        struct_err("#[layout(allow = 1)]"),
        "not `allow = ...`",
        "= 1",
    );
    one(
        struct_err("#[layout(allow(\"padding-waste\"))]"),
        "expected a diagnostic code",
        "\"padding-waste\"",
    );
    let e = struct_err("#[layout(allow(padding-))]");
    assert_eq!(e.len(), 1, "{e:?}");
}

#[test]
fn macro_substituted_repr_values() {
    // `#[repr(align($n))]` with `$n:literal`: what the derive reports as the repr.
    let n = invisible(quote::quote!(64));
    let p = invisible(quote::quote!(2));
    let cx = Ctxt::new();
    let r = parse_repr(&cx, &attrs_of(quote::quote!(#[repr(C, align(#n))])));
    assert!(cx.is_empty(), "{:?}", cx.into_errors());
    assert_eq!(r.align.map(|a| a.value), Some(64));
    let cx = Ctxt::new();
    let r = parse_repr(&cx, &attrs_of(quote::quote!(#[repr(packed(#p))])));
    assert!(cx.is_empty(), "{:?}", cx.into_errors());
    assert_eq!(r.packed.map(|a| a.value), Some(2));
}
