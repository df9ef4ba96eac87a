use super::*;
use crate::analysis::Analysis;
use crate::render::sample;

fn plain(a: &Analysis) -> String {
    render(&Report::new(a, 0), Options::default())
}

#[test]
fn waste_table_in_memory_order_with_holes() {
    let a = Analysis {
        structs: vec![sample::waste()],
        errors: vec![],
    };
    let mut a = a;
    crate::diag::diagnose(&mut a);
    let got = plain(&a);
    let want = "\
struct Waste {  // src/lib.rs:1, repr(C), on x86_64-linux
    a: u8,                   /*     0     1     1 */
    /* XXX 7 bytes hole at 1 */
    b: u64,                  /*     8     8     8 */
    c: u8,                   /*    16     1     1 */
    /* XXX 7 bytes tail padding */
    /* size: 24, align: 8, padding: 14 (holes 7, tail 7), lines: 1 of 64 bytes */
};

warning[padding-waste]: src/lib.rs:1:12: Waste: struct of size 24 could be 16 with the order { b, a, c }
    on x86_64-linux
    why: reordering the fields would make the struct smaller
1 struct on 1 target (1 distinct layout): 0 errors, 1 warning (padding-waste 1), 0 allowed; 0 input errors; 0 unchecked (unknown layout)
";
    assert_eq!(got, want, "\n{got}");
}

#[test]
fn line_markers_marks_and_memory_order() {
    let mut s = sample::ring();
    // Declared head, tail; tail placed first in memory, head on line 1.
    s.fields[0].offset = Some(64);
    s.fields[1].offset = Some(0);
    s.fields[1].intent.isolated = true;
    s.size = Some(192);
    s.expect.size = Some(128);
    let mut a = Analysis {
        structs: vec![s],
        errors: vec![],
    };
    crate::diag::diagnose(&mut a);
    let got = plain(&a);
    let table: Vec<&str> = got.lines().take(10).collect();
    assert_eq!(
        table,
        [
            "struct Ring {  // src/lib.rs:10, repr(C, align(64)), on x86_64-linux",
            "    tail: AtomicU64,         /*     0     8     8 */  #[layout(group = \"c\", isolated)] ✓",
            "    /* XXX 56 bytes hole at 8 */",
            "    --- cache line 1 (offset 64) ---",
            "    head: AtomicU64,         /*    64     8     8 */  #[layout(group = \"p\")] ✓",
            "    /* XXX 120 bytes tail padding */",
            "    --- cache line 2 (offset 128) ---",
            "    /* size: 192, align: 64, padding: 176 (holes 56, tail 120), lines: 3 of 64 bytes */",
            "    /* #[layout(size = 128 ✗ size-mismatch)] */",
            "};",
        ],
        "\n{got}"
    );
    assert!(got.contains("warning[adjacent-line]: src/lib.rs:12:5: Ring::tail (group \"c\") and Ring::head (group \"p\") are in one 128-byte prefetch block (block 0)\n"), "{got}");
}

#[test]
fn failing_field_gets_a_cross_with_its_codes() {
    let a = Analysis {
        structs: vec![sample::ring()],
        errors: vec![],
    };
    let mut a = a;
    crate::diag::diagnose(&mut a);
    let got = plain(&a);
    assert!(
        got.contains(
            "    head: AtomicU64,         /*     0     8     8 */  #[layout(group = \"p\")] ✓\n"
        ),
        "{got}"
    );
    assert!(got.contains("    tail: AtomicU64,         /*     8     8     8 */  #[layout(group = \"c\")] ✗ false-sharing\n"), "{got}");
    assert!(got.contains(
        "1 struct on 1 target (1 distinct layout): 1 error (false-sharing 1), 0 warnings, 0 allowed; 0 input errors; 0 unchecked"
    ));
}

#[test]
fn unknown_layout_shows_question_marks_and_reason() {
    let got = plain(&sample::analysis());
    assert!(got.contains("struct Opaque {  // src/lib.rs:30, repr(C), on x86_64-linux\n    /* unknown: type `Foreign` is not defined in this crate */\n    a: u32,                  /*     0     4     4 */\n    b: Foreign,              /*     ?     ?     ? */\n    /* size: ?, align: ?, padding: ?, lines: ? */\n};\n"), "{got}");
    assert!(got.contains("error: src/broken.rs:3:1: expected `;`\n"));
    assert!(
        got.ends_with("4 structs on 1 target (4 distinct layouts): 1 error (false-sharing 1), 2 warnings (padding-waste 1, possible-false-sharing 1), 0 allowed; 1 input error; 1 unchecked (unknown layout)\n"),
        "{got}"
    );
    assert!(!got.contains('\x1b'));
}

#[test]
fn colour_only_when_asked() {
    let a = sample::analysis();
    let got = render(
        &Report::new(&a, 0),
        Options {
            color: true,
            ..Options::default()
        },
    );
    assert!(
        got.contains("\x1b[1;31merror[false-sharing]\x1b[0m"),
        "{got}"
    );
    assert!(got.contains("\x1b[1;33mwarning[padding-waste]\x1b[0m"));
    assert!(got.contains("\x1b[32m✓\x1b[0m"));
}

#[test]
fn boundaries_inside_one_field_collapse_into_a_range() {
    use crate::analysis::FieldKind;
    // { a: u64, big: [u8; 1 << 40], b: u64 } in repr(C): 2^34 line boundaries.
    let big = 1usize << 40;
    let s = sample::report(
        "Huge",
        1,
        sample::x86(),
        sample::C,
        big + 16,
        8,
        vec![
            sample::field("a", "u64", (0, 8, 8), FieldKind::Plain),
            sample::field("big", "[u8; 1 << 40]", (8, big, 1), FieldKind::Plain),
            sample::field("b", "u64", (big + 8, 8, 8), FieldKind::Atomic),
        ],
    );
    let got = plain(&Analysis {
        structs: vec![s],
        errors: vec![],
    });
    let rows: Vec<&str> = got.lines().take(5).collect();
    assert_eq!(
        rows,
        [
            "struct Huge {  // src/lib.rs:1, repr(C), on x86_64-linux",
            "    a: u64,                  /*     0     8     8 */",
            "    big: [u8; 1 << 40],      /*     8 1099511627776     1 */",
            "    --- cache lines 1 to 17179869184 (offsets 64 to 1099511627776) ---",
            "    b: u64,                  /* 1099511627784     8     8 */",
        ],
        "\n{got}"
    );
    assert!(got.lines().count() < 12, "{got}");
}

#[test]
fn one_boundary_at_a_field_start_and_one_inside_a_hole() {
    use crate::analysis::FieldKind;
    // a at 0, b at 128 (hole 8..128 holds boundary 64), boundary 128 at b's start.
    let s = sample::report(
        "Gappy",
        1,
        sample::x86(),
        crate::render::sample::C,
        136,
        8,
        vec![
            sample::field("a", "u64", (0, 8, 8), FieldKind::Plain),
            sample::field("b", "u64", (128, 8, 8), FieldKind::Plain),
        ],
    );
    let got = plain(&Analysis {
        structs: vec![s],
        errors: vec![],
    });
    let rows: Vec<&str> = got.lines().skip(1).take(5).collect();
    assert_eq!(
        rows,
        [
            "    a: u64,                  /*     0     8     8 */",
            "    /* XXX 120 bytes hole at 8 */",
            "    --- cache line 1 (offset 64) ---",
            "    --- cache line 2 (offset 128) ---",
            "    b: u64,                  /*   128     8     8 */",
        ],
        "\n{got}"
    );
}

#[test]
fn annotations_of_an_unknown_layout_are_unchecked() {
    let mut s = sample::opaque();
    s.fields[0].intent.group = Some("g".into());
    s.expect.size = Some(8);
    let got = plain(&Analysis {
        structs: vec![s],
        errors: vec![],
    });
    assert!(
        got.contains(
            "    a: u32,                  /*     0     4     4 */  #[layout(group = \"g\")] ?\n"
        ),
        "{got}"
    );
    assert!(got.contains("    /* #[layout(size = 8 ?)] */\n"), "{got}");
    assert!(!got.contains(PASS) && !got.contains(FAIL));
}

#[test]
fn findings_name_severity_and_code_in_words_and_modes_cut_the_tables() {
    let a = sample::analysis();
    let r = Report::new(&a, 2);
    let quiet = render(
        &r,
        Options {
            mode: Mode::Quiet,
            ..Options::default()
        },
    );
    assert!(!quiet.contains("struct Waste {"), "no tables: {quiet}");
    assert!(
        quiet.contains("error[false-sharing]: src/lib.rs:12:5: Ring::tail"),
        "{quiet}"
    );
    assert!(quiet.contains("warning[padding-waste]: src/lib.rs:1:12:"));
    assert!(quiet.contains("error: src/broken.rs:3:1: expected `;`"));
    let last = quiet.lines().last().unwrap();
    assert_eq!(
        last,
        "4 structs on 1 target (4 distinct layouts): 1 error (false-sharing 1), \
         2 warnings (padding-waste 1, possible-false-sharing 1), 2 allowed; 1 input error; \
         1 unchecked (unknown layout)"
    );
    let summary = render(
        &r,
        Options {
            mode: Mode::Summary,
            ..Options::default()
        },
    );
    assert_eq!(
        summary,
        format!("error: src/broken.rs:3:1: expected `;`\n{last}\n")
    );
}

#[test]
fn a_struct_of_unknown_presence_says_why() {
    let mut s = sample::waste();
    s.present =
        crate::analysis::Presence::Unknown("`cfg(has_foo)` is set by a build script".into());
    let got = plain(&Analysis {
        structs: vec![s],
        errors: vec![],
    });
    assert!(got.contains("\n    /* present only if a cfg this tool cannot know holds: `cfg(has_foo)` is set by a build script */\n"), "{got}");
}

/// Two targets, one with rustc's numbers and one with the static model's (a target that
/// did not compile): equal tables, but each gets its own header naming its source.
fn mixed_sources() -> Analysis {
    let a = sample::waste();
    let mut b = sample::waste();
    b.target = layout::target::find("aarch64-unknown-linux-gnu").unwrap();
    let mut a2 = a.clone();
    a2.source = crate::analysis::NumberSource::Rustc;
    Analysis {
        structs: vec![a2, b],
        errors: vec![],
    }
}

#[test]
fn exact_headers_say_where_the_numbers_came_from() {
    let a = mixed_sources();
    let exact = Exact {
        rustc: "1.95.0",
        note: None,
    };
    let got = render(
        &Report::new(&a, 0),
        Options {
            exact: Some(exact),
            ..Options::default()
        },
    );
    let headers: Vec<&str> = got.lines().filter(|l| l.starts_with("struct ")).collect();
    assert_eq!(
        headers,
        [
            "struct Waste {  // src/lib.rs:1, repr(C), on x86_64-linux (rustc 1.95.0, exact)",
            "struct Waste {  // src/lib.rs:1, repr(C), on aarch64-linux (static model)",
        ],
        "\n{got}"
    );
    assert!(
        got.ends_with("\nnumbers: 1 layout from rustc 1.95.0 (exact), 1 from the static model\n"),
        "{got}"
    );
    // Without --exact: no marks, no numbers line.
    let without = plain(&a);
    assert!(!without.contains("static model") && !without.contains("numbers:"));
    // Equal tables from one source share one header.
    let mut same = a;
    same.structs[1].source = crate::analysis::NumberSource::Rustc;
    let got = render(
        &Report::new(&same, 0),
        Options {
            exact: Some(exact),
            ..Options::default()
        },
    );
    assert!(
        got.contains("struct Waste {  // src/lib.rs:1, repr(C), on x86_64-linux, aarch64-linux (rustc 1.95.0, exact)\n"),
        "{got}"
    );
}

#[test]
fn another_toolchain_is_named_even_in_summary_mode() {
    let a = mixed_sources();
    let note = "rustc 1.97.0 gave these numbers; the static model was checked on rustc 1.95";
    let got = render(
        &Report::new(&a, 0),
        Options {
            mode: Mode::Summary,
            exact: Some(Exact {
                rustc: "1.97.0",
                note: Some(note),
            }),
            ..Options::default()
        },
    );
    assert_eq!(got.lines().count(), 2, "{got}");
    assert!(
        got.ends_with(&format!(
            "numbers: 1 layout from rustc 1.97.0 (exact), 1 from the static model; {note}\n"
        )),
        "{got}"
    );
}
