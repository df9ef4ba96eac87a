//! `#[cfg(...)]` and `#[cfg_attr(...)]`, evaluated for one target as rustc would.
//!
//! Predicates about the target (`target_arch`, `target_os`, `target_env`,
//! `target_pointer_width`, `target_family`, `unix`, `windows`, `target_endian`,
//! `target_has_atomic`, `target_vendor`, `panic`, ...) come from cfg-expr's copy of
//! rustc's built-in target list. Everything that depends on how the crate is built is
//! evaluated for a plain `cargo build` with no features and no extra `--cfg`:
//! - `feature = "..."` is false (the report describes the crate without features);
//! - `test`, `debug_assertions`, `proc_macro`, `doc`, `miri` and any other bare flag or
//!   `key = "value"` rustc does not set itself (`loom`, `docsrs`, `tokio_unstable`) are
//!   false;
//! - `target_feature = "..."` is true only for the features the target enables by
//!   default that are listed in [`baseline_feature`]; anything else is false;
//! - `cfg(true)` and `cfg(false)` are what they say.

use cfg_expr::targets::get_builtin_target_by_triple;
use cfg_expr::{Expression, Predicate};
use layout::target::TargetInfo;
use syn::punctuated::Punctuated;
use syn::{Attribute, Meta, Token};

/// A target as the `cfg` evaluator sees it.
#[derive(Clone, Copy, Debug)]
pub struct CfgTarget {
    /// Our table row.
    pub row: &'static TargetInfo,
    /// cfg-expr's description of the same triple.
    pub builtin: Option<&'static cfg_expr::targets::TargetInfo>,
}

impl CfgTarget {
    /// The evaluator for a table row.
    pub fn new(row: &'static TargetInfo) -> Self {
        CfgTarget {
            row,
            builtin: get_builtin_target_by_triple(row.triple),
        }
    }
}

/// Target features on by default for the target's baseline CPU (rustc's
/// `--print cfg` for the triple with no `-C target-cpu`).
pub fn baseline_feature(t: &TargetInfo, feature: &str) -> bool {
    match t.arch {
        "x86_64" => matches!(feature, "fxsr" | "sse" | "sse2"),
        "x86" => matches!(feature, "fxsr" | "sse" | "sse2" | "x87"),
        "aarch64" => matches!(feature, "neon" | "fp-armv8"),
        _ => false,
    }
}

/// Evaluates one cfg predicate (the text inside `cfg(...)`).
pub fn eval_predicate(text: &str, t: &CfgTarget) -> Result<bool, String> {
    let expr = Expression::parse(text).map_err(|e| format!("cannot parse cfg: {e}"))?;
    Ok(expr.eval(|p| match p {
        Predicate::Target(tp) => t.builtin.is_some_and(|b| tp.matches(b)),
        Predicate::TargetFeature(f) => baseline_feature(t.row, f),
        Predicate::Flag("true") => true,
        _ => false,
    }))
}

/// The attributes active on this target: `cfg_attr` expanded (nested too), `cfg` itself
/// evaluated and removed. `Ok(None)` when a `cfg` is false, so the item is absent.
pub fn active(attrs: &[Attribute], t: &CfgTarget) -> Result<Option<Vec<Attribute>>, syn::Error> {
    let mut out = Vec::new();
    for a in attrs {
        if !expand_into(a.clone(), t, &mut out, 0)? {
            return Ok(None);
        }
    }
    Ok(Some(out))
}

type Active = Result<Option<Vec<Attribute>>, syn::Error>;

/// [`active`] and [`enabled`], memoised per attribute list and target. Keys are the
/// addresses of attribute slices, so a cache must not outlive the syntax trees it was
/// used with: the crate [`crate::index::Index`] owns both.
#[derive(Debug, Default)]
pub struct CfgCache {
    active: std::cell::RefCell<std::collections::HashMap<(usize, usize, usize), Active>>,
    enabled: std::cell::RefCell<std::collections::HashMap<(usize, usize, usize), bool>>,
}

fn key(attrs: &[Attribute], t: &CfgTarget) -> (usize, usize, usize) {
    (
        attrs.as_ptr() as usize,
        attrs.len(),
        std::ptr::from_ref(t.row) as usize,
    )
}

fn has_cfg(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|a| a.path().is_ident("cfg") || a.path().is_ident("cfg_attr"))
}

impl CfgCache {
    /// Memoised [`active`].
    pub fn active(&self, attrs: &[Attribute], t: &CfgTarget) -> Active {
        if !has_cfg(attrs) {
            return Ok(Some(attrs.to_vec()));
        }
        let k = key(attrs, t);
        if let Some(r) = self.active.borrow().get(&k) {
            return r.clone();
        }
        let r = active(attrs, t);
        self.active.borrow_mut().insert(k, r.clone());
        r
    }

    /// Memoised [`enabled`]; a malformed `cfg` counts as disabled (it is reported
    /// where the item itself is reported).
    pub fn enabled(&self, attrs: &[Attribute], t: &CfgTarget) -> bool {
        if !has_cfg(attrs) {
            return true;
        }
        let k = key(attrs, t);
        if let Some(&r) = self.enabled.borrow().get(&k) {
            return r;
        }
        let r = matches!(active(attrs, t), Ok(Some(_)));
        self.enabled.borrow_mut().insert(k, r);
        r
    }
}

/// Whether the item is present (every `cfg`, also those from `cfg_attr`, holds).
pub fn enabled(attrs: &[Attribute], t: &CfgTarget) -> Result<bool, syn::Error> {
    Ok(active(attrs, t)?.is_some())
}

fn expand_into(
    a: Attribute,
    t: &CfgTarget,
    out: &mut Vec<Attribute>,
    depth: usize,
) -> Result<bool, syn::Error> {
    if depth > 32 {
        return Err(syn::Error::new_spanned(&a, "cfg_attr nested too deeply"));
    }
    let path = a.path();
    if path.is_ident("cfg") {
        let list = a.meta.require_list()?;
        let text = list.tokens.to_string();
        return eval_predicate(&text, t).map_err(|m| syn::Error::new_spanned(&list.tokens, m));
    }
    if path.is_ident("cfg_attr") {
        let list = a.meta.require_list()?;
        let metas = list.parse_args_with(Punctuated::<Meta, Token![,]>::parse_terminated)?;
        let mut it = metas.into_iter();
        let Some(pred) = it.next() else {
            return Err(syn::Error::new_spanned(
                list,
                "`cfg_attr` needs a predicate",
            ));
        };
        let text = quote::ToTokens::to_token_stream(&pred).to_string();
        let on = eval_predicate(&text, t).map_err(|m| syn::Error::new_spanned(&pred, m))?;
        if !on {
            return Ok(true);
        }
        for meta in it {
            let inner = Attribute {
                pound_token: a.pound_token,
                style: a.style,
                bracket_token: a.bracket_token,
                meta,
            };
            if !expand_into(inner, t, out, depth + 1)? {
                return Ok(false);
            }
        }
        return Ok(true);
    }
    out.push(a);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use layout::target::{AARCH64_MACOS, I686_LINUX, X86_64_LINUX, X86_64_WINDOWS_MSVC};

    fn attrs(src: &str) -> Vec<Attribute> {
        let item: syn::ItemStruct = syn::parse_str(&format!("{src} struct S;")).unwrap();
        item.attrs
    }

    #[test]
    fn target_predicates() {
        let lin = CfgTarget::new(&X86_64_LINUX);
        let win = CfgTarget::new(&X86_64_WINDOWS_MSVC);
        let mac = CfgTarget::new(&AARCH64_MACOS);
        let x86 = CfgTarget::new(&I686_LINUX);
        let e = |s: &str, t: &CfgTarget| eval_predicate(s, t).unwrap();
        assert!(e("unix", &lin) && !e("unix", &win) && e("windows", &win));
        assert!(e(r#"target_os = "macos""#, &mac) && !e(r#"target_os = "macos""#, &lin));
        assert!(e("target_pointer_width = \"32\"", &x86));
        assert!(e(r#"all(unix, not(target_arch = "x86"))"#, &lin));
        assert!(!e(r#"feature = "std""#, &lin) && !e("test", &lin) && !e("debug_assertions", &lin));
        assert!(e(r#"target_feature = "sse2""#, &lin) && !e(r#"target_feature = "avx2""#, &lin));
        assert!(e(r#"target_has_atomic = "64""#, &x86));
        assert!(e("true", &lin) && !e("false", &lin));
    }

    #[test]
    fn cfg_attr_expands_nested() {
        let lin = CfgTarget::new(&X86_64_LINUX);
        let mac = CfgTarget::new(&AARCH64_MACOS);
        let a = attrs(
            r#"#[cfg_attr(unix, cfg_attr(target_os = "macos", repr(C, align(128))), layout(size = 8))]"#,
        );
        let on_lin = active(&a, &lin).unwrap().unwrap();
        assert_eq!(on_lin.len(), 1);
        assert!(on_lin[0].path().is_ident("layout"));
        let on_mac = active(&a, &mac).unwrap().unwrap();
        assert_eq!(on_mac.len(), 2);
        assert!(on_mac[0].path().is_ident("repr"));
        let gone = attrs(r#"#[cfg_attr(windows, cfg(any()))] #[cfg(unix)]"#);
        assert!(active(&gone, &lin).unwrap().is_some());
        assert!(
            active(&gone, &CfgTarget::new(&X86_64_WINDOWS_MSVC))
                .unwrap()
                .is_none()
        );
        assert!(active(&attrs("#[cfg(windows)]"), &lin).unwrap().is_none());
        assert!(active(&attrs("#[cfg_attr()]"), &lin).is_err());
    }
}
