extern crate std;
use std::{vec, vec::Vec};

use super::*;
use crate::{FieldIntent, ReprInfo, StructExpect, target::X86_64_LINUX};

const fn field(name: &'static str, offset: usize, size: usize) -> FieldLayout<'static> {
    FieldLayout {
        name,
        offset,
        size,
        align: if size >= 8 { 8 } else { 1 },
        intent: NONE,
    }
}

const NONE: FieldIntent<'static> = FieldIntent {
    offset: None,
    line: None,
    group: None,
    isolated: false,
    pad: false,
};

fn layout<'a>(fields: &'a [FieldLayout<'a>], size: usize) -> StructLayout<'a> {
    StructLayout {
        name: "S",
        size,
        align: 64,
        line: 64,
        prefetch_span: 128,
        target: X86_64_LINUX.short,
        repr: ReprInfo {
            c: true,
            ..ReprInfo::default()
        },
        fields,
        expect: StructExpect::default(),
    }
}

#[test]
fn size_and_align() {
    let f = [field("a", 0, 8)];
    let mut l = layout(&f, 64);
    assert_eq!(check_struct(&l), None);
    l.expect.size = Some(128);
    let x = check_struct(&l).unwrap();
    assert_eq!(
        (x.code, x.expected, x.actual),
        (Code::SizeMismatch, 128, 64)
    );
    assert_eq!(
        x.message(&l).as_str(),
        "[size-mismatch] S is 64 bytes; #[layout(size = 128)] expects 128 (target x86_64-linux)"
    );
    l.expect.size = None;
    l.expect.align = Some(128);
    assert_eq!(check_struct(&l).unwrap().code, Code::AlignMismatch);
}

#[test]
fn padding_budget_counts_holes_not_pad_fields() {
    let mut f = [field("a", 0, 8), field("_pad", 8, 48), field("b", 56, 1)];
    f[1].intent.pad = true;
    let mut l = layout(&f, 64);
    assert_eq!(l.padding(), Some(7));
    l.expect.max_padding = Some(7);
    assert_eq!(check_padding(&l), None);
    l.expect.max_padding = Some(6);
    let x = check_padding(&l).unwrap();
    assert_eq!((x.code, x.expected, x.actual), (Code::PaddingBudget, 6, 7));
}

#[test]
fn wrong_line_and_straddle() {
    let mut f = [field("a", 0, 8), field("v", 60, 8)];
    f[1].intent.line = Some(1);
    let l = layout(&f, 128);
    let x = check_field(&l, 1).unwrap();
    assert_eq!((x.code, x.expected, x.actual), (Code::WrongLine, 1, 0));
    assert_eq!(
        x.message(&l).as_str(),
        "[wrong-line] S::v starts at offset 60, on line 0 of 64-byte lines; \
         #[layout(line = 1)] expects line 1 (target x86_64-linux)"
    );
    f[1].intent.line = Some(0);
    let l = layout(&f, 128);
    let x = check_field(&l, 1).unwrap();
    assert_eq!((x.code, x.expected, x.actual), (Code::LineStraddle, 0, 1));
    // Same field, 128-byte lines: fits on line 0.
    let mut l = layout(&f, 128);
    l.line = 128;
    assert_eq!(check_field(&l, 1), None);
}

#[test]
fn offset_pin() {
    let mut f = [field("a", 0, 8), field("b", 8, 8)];
    f[1].intent.offset = Some(16);
    let l = layout(&f, 16);
    let x = check_field(&l, 1).unwrap();
    assert_eq!(
        (x.code, x.expected, x.actual),
        (Code::OffsetMismatch, 16, 8)
    );
}

#[test]
fn isolation_ignores_pad_and_zero_sized_fields() {
    let mut f = [
        field("_p", 0, 64),
        field("v", 64, 8),
        field("z", 72, 0),
        field("_q", 72, 56),
    ];
    f[0].intent.pad = true;
    f[3].intent.pad = true;
    f[1].intent.isolated = true;
    let l = layout(&f, 128);
    for i in 0..f.len() {
        assert_eq!(check_field_all(&l, i), None, "field {i}");
    }
    f[3].intent.pad = false;
    let l = layout(&f, 128);
    let x = check_field_all(&l, 1).unwrap();
    assert_eq!(
        (x.code, x.field, x.other, x.actual),
        (Code::NotIsolated, Some(1), Some(3), 1)
    );
}

#[test]
fn false_sharing_reported_once_at_later_field() {
    let mut f = [field("head", 0, 8), field("tail", 56, 8), field("x", 64, 8)];
    f[0].intent.group = Some("producer");
    f[1].intent.group = Some("consumer");
    f[2].intent.group = Some("producer");
    let l = layout(&f, 128);
    assert_eq!(check_pair(&l, 0, 1), None);
    let x = check_pair(&l, 1, 0).unwrap();
    assert_eq!((x.code, x.actual), (Code::FalseSharing, 0));
    // Same group never conflicts; different lines never conflict.
    assert_eq!(check_pair(&l, 2, 0), None);
    assert_eq!(check_pair(&l, 2, 1), None);
    // But tail (line 0) and x (line 1) are one 128-byte prefetch block.
    let w = warn_adjacent(&l, 2, 1).unwrap();
    assert_eq!((w.code, w.actual), (Code::AdjacentLine, 0));
    assert!(
        x.message(&l)
            .as_str()
            .contains("S::tail (group \"consumer\") at 56..64 shares line 0")
    );
}

#[test]
fn warnings() {
    let mut f = [field("a", 0, 8), field("b", 8, 8)];
    f[0].intent.isolated = true;
    let mut l = layout(&f, 16);
    l.align = 8;
    assert_eq!(warn_unaligned_base(&l).unwrap().code, Code::UnalignedBase);
    assert_eq!(warn_unstable_padding(&l), None);
    l.repr.c = false;
    assert_eq!(
        warn_unstable_padding(&l).unwrap().code,
        Code::UnstablePadding
    );
}

#[test]
fn codes_are_unique_kebab_case() {
    for (i, a) in Code::ALL.iter().enumerate() {
        let s = a.as_str();
        assert!(
            s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{s}"
        );
        assert!(!a.explanation().is_empty() && !a.summary().is_empty());
        for b in &Code::ALL[i + 1..] {
            assert_ne!(s, b.as_str());
        }
    }
    assert_eq!(Code::ALL.len(), 15);
}

// The rules must be usable in const evaluation: this is what generated code does.
const GOOD: StructLayout<'static> = StructLayout {
    name: "Good",
    size: 128,
    align: 128,
    line: 64,
    prefetch_span: 128,
    target: "test",
    repr: ReprInfo {
        c: true,
        transparent: false,
        packed: None,
        align: Some(128),
    },
    fields: &[FieldLayout {
        name: "v",
        offset: 64,
        size: 8,
        align: 8,
        intent: FieldIntent {
            line: Some(1),
            isolated: true,
            ..NONE
        },
    }],
    expect: StructExpect {
        size: Some(128),
        align: None,
        line: None,
        max_padding: None,
    },
};
const _: () = assert_all(&GOOD);

#[test]
fn const_checks_pass_on_good_layout() {
    assert_all(&GOOD);
}

#[test]
#[should_panic(expected = "[size-mismatch] Good is 128 bytes; #[layout(size = 64)] expects 64")]
fn assert_panics_with_message() {
    let mut l = GOOD;
    l.expect.size = Some(64);
    assert_all(&l);
}

/// A finding's rule, field and other field.
type Found = (Code, Option<usize>, Option<usize>);

/// Every pair finding the brute-force loops give, sorted.
fn brute_pairs(l: &StructLayout<'_>) -> Vec<Found> {
    let n = l.fields.len();
    let mut out = Vec::new();
    for i in 0..n {
        for j in 0..n {
            out.extend(check_pair(l, i, j));
        }
        for j in 0..i {
            out.extend(warn_adjacent(l, i, j));
        }
    }
    let mut out: Vec<_> = out.iter().map(|v| (v.code, v.field, v.other)).collect();
    out.sort_by_key(|&(c, f, o)| (c.as_str(), f, o));
    out
}

fn fast_pairs(l: &StructLayout<'_>) -> (Vec<Found>, u64) {
    let mut scratch = vec![0; l.fields.len()];
    let mut out = Vec::new();
    let work = each_pair_violation(l, &mut scratch, |v| out.push((v.code, v.field, v.other)));
    out.sort_by_key(|&(c, f, o)| (c.as_str(), f, o));
    (out, work)
}

const GROUPS: [&str; 3] = ["a", "b", "c"];

/// A repr(C)-like layout of `n` fields with pseudo-random sizes and intents.
fn random_fields(n: usize, seed: u64, overlap: bool) -> (Vec<FieldLayout<'static>>, usize) {
    let mut x = seed;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as usize
    };
    let mut fields = Vec::new();
    let mut end = 0;
    for _ in 0..n {
        let size = [0, 1, 2, 4, 8, 8, 16, 64, 100, 200][next() % 10];
        let mut f = field("f", end, size);
        if overlap && next() % 4 == 0 {
            f.offset = end.saturating_sub(size / 2 + 1);
        }
        f.intent.group = match next() % 5 {
            0..=2 => Some(GROUPS[next() % 3]),
            _ => None,
        };
        f.intent.isolated = next() % 13 == 0;
        f.intent.pad = next() % 17 == 0;
        end = end.max(f.offset + size) + next() % 3;
        fields.push(f);
    }
    (fields, end.next_multiple_of(8).max(8))
}

#[test]
fn pair_findings_match_every_pair() {
    for seed in 0..300 {
        for overlap in [false, true] {
            let n = 1 + (seed as usize % 40);
            let (fields, size) = random_fields(n, seed, overlap);
            for (line, span) in [(64, 128), (64, 64), (128, 128), (32, 128), (48, 128)] {
                let mut l = layout(&fields, size);
                l.line = line;
                l.prefetch_span = span;
                assert_eq!(
                    fast_pairs(&l).0,
                    brute_pairs(&l),
                    "seed {seed} overlap {overlap} line {line} span {span}"
                );
            }
        }
    }
}

#[test]
fn pair_rules_do_work_linear_in_fields_plus_findings() {
    // Small fields of one group: nothing to report, and no pair is looked at twice.
    let count = |n: usize, groups: &[&'static str]| {
        let fields: Vec<FieldLayout<'static>> = (0..n)
            .map(|i| {
                let mut f = field("f", i, 1);
                f.intent.group = Some(groups[i % groups.len()]);
                f
            })
            .collect();
        let l = layout(&fields, n.next_multiple_of(64));
        let (found, work) = fast_pairs(&l);
        (found.len() as u64, work)
    };
    // Whole 128-byte blocks, so both sizes have the same work per field.
    let (k1, w1) = count(8_192, &["a"]);
    let (k2, w2) = count(16_384, &["a"]);
    assert_eq!((k1, k2), (0, 0));
    assert!(w2 <= 2 * w1, "{w1} {w2}");
    // One comparison per pair of fields within one 128-byte block: under 128 each.
    assert!(w1 <= 8_192 * 128, "{w1}");
    // Two groups interleaved byte by byte: every cross pair on a line is a finding;
    // the work is bounded by the findings, not by n².
    let (k, w) = count(8_000, &["a", "b"]);
    assert!(k > 0 && w <= k + 8_000 * 128, "{k} {w}");
    // 100,000 fields: a handful of million comparisons, not 10^10.
    let (_, w) = count(100_000, &["a"]);
    assert!(w <= 100_000 * 128, "{w}");
}
