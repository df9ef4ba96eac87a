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
    assert_eq!(Code::ALL.len(), 14);
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
