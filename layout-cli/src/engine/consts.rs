//! Integer constant evaluation: array lengths, discriminants, const arguments.

use syn::{Expr, GenericArgument};

use super::types::{
    Arg, Ctx, Item, MAX_DEPTH, R, Scope, Why, generic_args, path_segs, type_string, unknown,
};
use crate::index::Res;

impl Ctx<'_> {
    // ----- constants --------------------------------------------------------------------

    /// Evaluates an integer constant expression (array lengths, discriminants).
    pub fn eval_const(&self, sc: &Scope, e: &Expr, d: usize) -> R<i128> {
        if d > MAX_DEPTH {
            return unknown("constant nested too deeply");
        }
        let d = d + 1;
        let overflow = || Why::Error("size overflows: constant arithmetic overflows".into());
        match e {
            Expr::Lit(l) => match &l.lit {
                syn::Lit::Int(i) => i
                    .base10_parse::<u128>()
                    .ok()
                    .and_then(|v| i128::try_from(v).ok())
                    .ok_or_else(overflow),
                _ => unknown("not an integer constant"),
            },
            // A constant's value as the skimming parser kept it.
            Expr::Verbatim(tokens) => match syn::parse2::<Expr>(tokens.clone()) {
                Ok(e) if !matches!(e, Expr::Verbatim(_)) => self.eval_const(sc, &e, d),
                _ => unknown("constant expression not evaluated"),
            },
            Expr::Paren(p) => self.eval_const(sc, &p.expr, d),
            Expr::Group(g) => self.eval_const(sc, &g.expr, d),
            Expr::Block(b) if b.block.stmts.len() == 1 => match &b.block.stmts[0] {
                syn::Stmt::Expr(e, None) => self.eval_const(sc, e, d),
                _ => unknown("block constant"),
            },
            Expr::Unary(u) => {
                let v = self.eval_const(sc, &u.expr, d)?;
                match u.op {
                    syn::UnOp::Neg(_) => v.checked_neg().ok_or_else(overflow),
                    _ => unknown("unsupported unary operator in a constant"),
                }
            }
            Expr::Cast(c) => {
                let v = self.eval_const(sc, &c.expr, d)?;
                let target = type_string(&c.ty);
                let (lo, hi) = self
                    .int_range(&target)
                    .ok_or_else(|| Why::Unknown(format!("cast to `{target}`")))?;
                if v < lo || v > hi {
                    return unknown("a cast that truncates");
                }
                Ok(v)
            }
            Expr::Binary(b) => {
                use syn::BinOp::*;
                let l = self.eval_const(sc, &b.left, d)?;
                let r = self.eval_const(sc, &b.right, d)?;
                let v = match b.op {
                    Add(_) => l.checked_add(r),
                    Sub(_) => l.checked_sub(r),
                    Mul(_) => l.checked_mul(r),
                    Div(_) => l.checked_div(r),
                    Rem(_) => l.checked_rem(r),
                    Shl(_) => u32::try_from(r)
                        .ok()
                        .filter(|&s| s < 127)
                        .and_then(|s| l.checked_mul(1i128 << s)),
                    Shr(_) => u32::try_from(r).ok().filter(|&s| s < 127).map(|s| l >> s),
                    BitAnd(_) => Some(l & r),
                    BitOr(_) => Some(l | r),
                    BitXor(_) => Some(l ^ r),
                    _ => return unknown("unsupported operator in a constant"),
                };
                v.ok_or_else(overflow)
            }
            Expr::Path(p) if p.qself.is_none() => {
                let path = &p.path;
                if path.segments.len() == 1 {
                    let name = path.segments[0].ident.to_string();
                    if let Some(a) = sc.param(&name) {
                        return match a {
                            Arg::Const(v) => v.clone(),
                            Arg::Type(..) => unknown(format!("`{name}` is a type")),
                        };
                    }
                }
                let segs = path_segs(path);
                match self
                    .ix
                    .resolve(sc.module, &segs, path.leading_colon.is_some(), &self.t)
                {
                    Some(Res::Const(id)) => self.const_value(id, d),
                    Some(Res::Extern(p)) => {
                        let n = p.len();
                        if n >= 2 && matches!(p[n - 1].as_str(), "MAX" | "MIN" | "BITS") {
                            let ty = &p[n - 2];
                            let (lo, hi) = self.int_range(ty).ok_or_else(|| {
                                Why::Unknown(format!("constant `{}`", p.join("::")))
                            })?;
                            return Ok(match p[n - 1].as_str() {
                                "MAX" => hi,
                                "MIN" => lo,
                                _ => {
                                    let bits = (hi - lo + 1).ilog2();
                                    i128::from(bits)
                                }
                            });
                        }
                        unknown(format!(
                            "constant `{}` is not from this crate",
                            p.join("::")
                        ))
                    }
                    _ => unknown(format!("cannot resolve constant `{}`", segs.join("::"))),
                }
            }
            Expr::Call(c) if c.args.is_empty() => {
                let Expr::Path(f) = &*c.func else {
                    return unknown("function call in a constant");
                };
                let Some(last) = f.path.segments.last() else {
                    return unknown("function call in a constant");
                };
                let fname = last.ident.to_string();
                let head_ok = f.path.segments.len() == 1
                    || f.path.segments.first().is_some_and(|s| {
                        matches!(s.ident.to_string().as_str(), "std" | "core" | "mem")
                    });
                if !head_ok || !matches!(fname.as_str(), "size_of" | "align_of") {
                    return unknown("function call in a constant");
                }
                let args = generic_args(&last.arguments);
                let Some(GenericArgument::Type(t)) = args.first() else {
                    return unknown("`size_of` without a type");
                };
                let l = self.layout_of(sc, t, d)?;
                Ok(i128::from(if fname == "size_of" {
                    l.size
                } else {
                    l.align
                }))
            }
            _ => unknown("constant expression not evaluated"),
        }
    }

    pub(super) fn const_value(&self, id: usize, d: usize) -> R<i128> {
        if let Some(v) = self.consts.borrow().get(&id) {
            return v.clone();
        }
        let c = &self.ix.consts[id];
        let sc = Scope {
            module: c.module,
            ..Scope::default()
        };
        let v = self.guarded(Item::Const(id), &c.item.ident.to_string(), || {
            let v = self.eval_const(&sc, &c.item.expr, d)?;
            let ty = match &*c.item.ty {
                // As the skimming parser kept it.
                syn::Type::Verbatim(tokens) => syn::parse2::<syn::Type>(tokens.clone())
                    .map(|t| type_string(&t))
                    .map_err(|_| Why::Unknown("constant of unparsed type".into()))?,
                t => type_string(t),
            };
            let (lo, hi) = self
                .int_range(&ty)
                .ok_or_else(|| Why::Unknown(format!("constant of type `{ty}`")))?;
            if v < lo || v > hi {
                return Err(Why::Error(format!(
                    "constant `{}` overflows `{ty}`",
                    c.item.ident
                )));
            }
            Ok(v)
        });
        self.consts.borrow_mut().insert(id, v.clone());
        v
    }

    pub(super) fn int_range(&self, ty: &str) -> Option<(i128, i128)> {
        let bits: u32 = match ty {
            "u8" | "i8" => 8,
            "u16" | "i16" => 16,
            "u32" | "i32" => 32,
            "u64" | "i64" => 64,
            "usize" | "isize" => 8 * self.row.pointer_size as u32,
            _ => return None,
        };
        Some(if ty.starts_with('u') {
            (0, (1i128 << bits) - 1)
        } else {
            (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
        })
    }
}
