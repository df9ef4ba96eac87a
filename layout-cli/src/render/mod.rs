//! Renderers, one module per format, and the colour decision they share.

pub mod explain;
pub mod json;
pub mod markdown;
pub mod model;
pub mod sarif;
pub mod text;

#[cfg(test)]
pub(crate) mod sample;

/// Output format of `report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// pahole-style tables per distinct layout, then one line per finding.
    Text,
    /// One JSON document (schema 2, docs/json.md).
    Json,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
    /// A markdown table of failing and changed structs, for a pull-request comment.
    Markdown,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty.
    Auto,
    /// Always colour, unless `NO_COLOR` is set.
    Always,
    /// Never colour.
    Never,
}

/// Whether to colour output. `NO_COLOR` (set and non-empty, <https://no-color.org>)
/// wins over everything; otherwise `always`, or `auto` on a terminal.
pub fn use_color(choice: ColorChoice, stdout_is_tty: bool, no_color: Option<&str>) -> bool {
    if no_color.is_some_and(|v| !v.is_empty()) {
        return false;
    }
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout_is_tty,
    }
}

/// A path for output: `/` separators on every OS, so snapshots and SARIF URIs agree.
pub fn display_path(p: &std::path::Path) -> String {
    let s = p.to_string_lossy();
    let s = s.strip_prefix("./").unwrap_or(&s);
    s.replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_wins() {
        assert!(!use_color(ColorChoice::Always, true, Some("1")));
        assert!(use_color(ColorChoice::Always, false, Some("")));
        assert!(use_color(ColorChoice::Always, false, None));
        assert!(!use_color(ColorChoice::Never, true, None));
        assert!(use_color(ColorChoice::Auto, true, None));
        assert!(!use_color(ColorChoice::Auto, false, None));
        assert!(!use_color(ColorChoice::Auto, true, Some("yes")));
    }

    #[test]
    fn paths_use_slashes() {
        assert_eq!(display_path(std::path::Path::new("./src/a.rs")), "src/a.rs");
        assert_eq!(display_path(std::path::Path::new("src\\a.rs")), "src/a.rs");
    }
}
