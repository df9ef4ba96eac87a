//! Arbitrary bytes as a `.rs` file, through everything `layout-cli report` does: source
//! parsing, the layout engine for every target in the table, the diagnostics, lint levels and
//! every renderer. Any panic, overflow or stack exhaustion is a bug: user input must
//! only ever become an error entry.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use layout_cli::render;
use libfuzzer_sys::fuzz_target;

/// One scratch directory per fuzzing process; the file in it is rewritten per input.
fn scratch() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("layout-cli-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let file = scratch().join("input.rs");
    if std::fs::write(&file, data).is_err() {
        return;
    }
    let targets: Vec<_> = layout::target::TARGETS.iter().collect();
    let mut analysis = layout_cli::analyze(std::slice::from_ref(&file), &targets);
    layout_cli::diag::diagnose(&mut analysis);
    let applied = layout_cli::levels::apply(
        &mut analysis,
        &layout_cli::levels::LintConfig::default(),
        &layout_cli::levels::Levels::default(),
    );
    let grouped = render::model::Report::new(&analysis, applied.allowed);
    let text = render::text::render(
        &grouped,
        render::text::Options {
            color: true,
            ..Default::default()
        },
    );
    let markdown = render::markdown::render(&grouped, &[]);
    let json = render::json::render(&analysis);
    let sarif = render::sarif::render(&grouped, &[], &Default::default());
    // The documents must stay valid JSON whatever the input.
    assert!(
        serde_json::from_str::<serde_json::Value>(&json).is_ok(),
        "{json}"
    );
    assert!(
        serde_json::from_str::<serde_json::Value>(&sarif).is_ok(),
        "{sarif}"
    );
    assert!(text.ends_with('\n'));
    assert!(markdown.ends_with('\n'));
    // Every number the JSON reports must be self-consistent.
    for s in &analysis.structs {
        if let (Some(size), Some(align)) = (s.size, s.align) {
            assert!(align.is_power_of_two(), "{}: align {align}", s.name);
            assert_eq!(
                size % align,
                0,
                "{}: size {size} not a multiple of {align}",
                s.name
            );
            for f in &s.fields {
                if let (Some(o), Some(z)) = (f.offset, f.size) {
                    assert!(
                        o + z <= size,
                        "{}::{} at {o}+{z} beyond {size}",
                        s.name,
                        f.name
                    );
                }
            }
        }
    }
});
