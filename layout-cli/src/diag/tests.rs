use super::*;
use crate::render::sample;

fn codes(s: &StructReport) -> Vec<&'static str> {
    diagnose_struct(s).iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn padding_waste_names_sizes_and_order() {
    let d = diagnose_struct(&sample::waste());
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, Code::PaddingWaste);
    assert_eq!(
        d[0].message,
        "Waste: struct of size 24 could be 16 with the order { b, a, c }"
    );
    assert_eq!(
        (d[0].line, d[0].column, d[0].field.as_deref()),
        (1, 12, None)
    );
}

#[test]
fn padding_waste_skips_repr_rust_and_fixed() {
    let mut s = sample::waste();
    s.repr.c = false;
    assert!(codes(&s).is_empty());
    let mut s = sample::waste();
    s.fixed = true;
    assert!(codes(&s).is_empty());
    let mut s = sample::waste();
    s.optimal_size = Some(24);
    assert!(codes(&s).is_empty());
}

#[test]
fn groups_on_one_line_are_false_sharing_from_the_rule() {
    let d = diagnose_struct(&sample::ring());
    assert_eq!(d.len(), 1, "{d:?}");
    let f = &d[0];
    assert_eq!(f.code, Code::FalseSharing);
    assert_eq!(f.severity, layout::Severity::Error);
    assert_eq!(f.field.as_deref(), Some("tail"));
    assert_eq!(f.line, 12, "points at the field");
    // The rule's own message, without the `[code] ` prefix.
    assert!(
        f.message
            .starts_with("Ring::tail (group \"c\") at 8..16 shares line 0"),
        "{}",
        f.message
    );
    // Without the target: findings are grouped across targets.
    assert!(!f.message.contains("target"), "{}", f.message);
    assert_eq!(f.partner.as_deref(), Some("head"), "the pair's other field");
}

#[test]
fn separated_groups_in_one_prefetch_pair_warn_adjacent() {
    let mut s = sample::ring();
    s.fields[1].offset = Some(64);
    s.size = Some(128);
    assert_eq!(codes(&s), ["adjacent-line"]);
    s.fields[1].offset = Some(128);
    s.size = Some(192);
    assert!(codes(&s).is_empty());
}

#[test]
fn isolated_field_with_neighbour_and_straddle() {
    let mut s = sample::ring();
    s.fields[0].intent = Default::default();
    s.fields[1].intent = Default::default();
    s.fields[1].intent.isolated = true;
    s.fields[1].offset = Some(60);
    assert_eq!(codes(&s), ["line-straddle", "not-isolated"]);
}

#[test]
fn struct_level_expectations_each_reported() {
    let mut s = sample::ring();
    s.fields[1].offset = Some(64);
    s.fields[1].intent = Default::default();
    s.fields[0].intent = Default::default();
    s.size = Some(128);
    s.expect.size = Some(64);
    s.expect.align = Some(128);
    s.expect.max_padding = Some(8);
    assert_eq!(
        codes(&s),
        ["size-mismatch", "align-mismatch", "padding-budget"]
    );
    let d = diagnose_struct(&s);
    assert_eq!(
        d[0].message,
        "Ring is 128 bytes; #[layout(size = 64)] expects 64"
    );
    assert_eq!(
        d[2].message,
        "Ring has 112 bytes of padding (size 128); #[layout(max_padding = 8)] allows 8"
    );
}

#[test]
fn line_intent_on_repr_rust_warns_twice() {
    let mut s = sample::counters();
    s.fields[0].intent.line = Some(0);
    // aligned 8 < 64: unaligned-base; repr(Rust): unstable-padding; line intent also
    // silences the heuristic.
    assert_eq!(codes(&s), ["unaligned-base", "unstable-padding"]);
}

#[test]
fn unannotated_atomics_on_one_line_are_possible_false_sharing() {
    let d = diagnose_struct(&sample::counters());
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0].code, Code::PossibleFalseSharing);
    assert_eq!(d[0].field.as_deref(), Some("misses"));
    assert!(
        d[0].message.contains(
            "2 atomics, locks or cells share line 0 of 64-byte lines (hits at 0, misses at 8)"
        ),
        "{}",
        d[0].message
    );
}

#[test]
fn heuristic_needs_an_atomic_or_lock_and_one_line() {
    let mut s = sample::counters();
    s.fields[0].kind = FieldKind::Cell;
    s.fields[1].kind = FieldKind::Cell;
    assert!(codes(&s).is_empty(), "cells alone: not plausibly shared");
    let mut s = sample::counters();
    s.fields[1].offset = Some(64);
    s.size = Some(96);
    assert!(codes(&s).is_empty(), "different lines");
}

#[test]
fn unknown_layout_gets_no_findings() {
    let mut s = sample::opaque();
    s.expect.size = Some(1);
    assert!(codes(&s).is_empty());
}

#[test]
fn diagnose_replaces_previous_findings() {
    let mut a = sample::analysis();
    let before: Vec<usize> = a.structs.iter().map(|s| s.diagnostics.len()).collect();
    diagnose(&mut a);
    let after: Vec<usize> = a.structs.iter().map(|s| s.diagnostics.len()).collect();
    assert_eq!(before, after);
    assert_eq!(after, [1, 1, 1, 0]);
}

#[test]
fn heuristic_is_not_slowed_by_huge_arrays() {
    // { hits: [AtomicU64; 2^37] (1 TiB), misses: AtomicU64 }: the array and `misses`
    // never share a line; the check must not walk 2^34 lines.
    let big = 1usize << 40;
    let mut s = sample::counters();
    s.fields[0].ty = "[AtomicU64; 1 << 37]".into();
    s.fields[0].size = Some(big);
    s.fields[1].offset = Some(big);
    s.fields[2].offset = Some(big + 8);
    s.size = Some(big + 32);
    let t = std::time::Instant::now();
    assert!(codes(&s).is_empty());
    // Now `misses` sits on the array's last line.
    s.fields[1].offset = Some(big - 8);
    s.fields[0].size = Some(big - 16);
    let d = diagnose_struct(&s);
    assert_eq!(d.len(), 1, "{d:?}");
    assert!(
        d[0].message
            .contains(&format!("share line {} ", (big - 16) / 64)),
        "{}",
        d[0].message
    );
    assert!(t.elapsed().as_secs() < 5);
}
