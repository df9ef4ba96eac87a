//! `layout-cli explain`: the codes' descriptions, from `layout::Code` (one source).

use layout::Code;

/// Every code with its severity and one-line summary, one per line.
pub fn list() -> String {
    Code::ALL
        .iter()
        .map(|c| {
            format!(
                "{:<24} {:<8} {}\n",
                c.as_str(),
                c.severity().as_str(),
                c.summary()
            )
        })
        .collect()
}

/// One code's full description, or the usage error naming the valid codes.
pub fn one(name: &str) -> Result<String, String> {
    let Some(c) = Code::ALL.iter().find(|c| c.as_str() == name) else {
        let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        return Err(format!(
            "unknown code `{name}`; codes: {}",
            names.join(", ")
        ));
    };
    Ok(format!(
        "{} ({})\n\n{}\n\n{}\n",
        c.as_str(),
        c.severity().as_str(),
        c.summary(),
        wrap(c.explanation(), 80)
    ))
}

/// Greedy word wrap at `width` columns (a longer word gets a line of its own).
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut col = 0;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if col > 0 && col + 1 + len > width {
            out.push('\n');
            col = 0;
        } else if col > 0 {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_width_and_keeps_every_word() {
        let text = "aaa bbb ccc dddddddddd e";
        assert_eq!(wrap(text, 7), "aaa bbb\nccc\ndddddddddd\ne");
        for c in Code::ALL {
            let w = wrap(c.explanation(), 80);
            assert!(w.lines().all(|l| l.chars().count() <= 80), "{w}");
            assert_eq!(
                w.split_whitespace().collect::<Vec<_>>(),
                c.explanation().split_whitespace().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn unknown_code_lists_the_valid_ones() {
        let e = one("nope").unwrap_err();
        assert!(e.contains("false-sharing") && e.contains("unstable-padding"));
        assert!(
            one("padding-waste")
                .unwrap()
                .starts_with("padding-waste (warning)\n")
        );
        assert_eq!(list().lines().count(), Code::ALL.len());
    }
}
