//! `#[ithaca::main]` and `#[ithaca::test]`: run an `async fn` as the root goroutine.
//!
//! Both attributes turn
//!
//! ```text
//! #[ithaca::main]
//! async fn main() -> R { body }
//! ```
//!
//! into
//!
//! ```text
//! fn main() -> R { ::ithaca::runtime::__block_on_root::<R, _>("main", async move { body }) }
//! ```
//!
//! i.e. the body runs as a goroutine named `main` (for tests: named after the test function)
//! on a runtime worker thread, and the calling thread parks until it finishes; a panic in the
//! body is resumed on the calling thread. `#[ithaca::test]` also adds `#[test]`. Because the
//! body runs on another thread, it must be `Send + 'static`.
//!
//! Both run the deadlock detector on the body's goroutines (Go's "all goroutines are asleep -
//! deadlock!"; by default the test or `main` panics with the report). `#[ithaca::test]`
//! expands to `runtime::__block_on_test("name", check_leaks, ...)` instead: after the body
//! returns, the test fails if goroutines it spawned (transitively) are still alive after a
//! grace period of 1 s (Go's `goleak`), printing their dump. `#[ithaca::main]` reports, by
//! default on stderr, the goroutines it spawned that are still durably blocked on ithaca
//! primitives when `main` returns (`runtime::LeakPolicy`; `ITHACA_LEAKS=off|log|panic`).
//!
//! Arguments (comma-separated):
//!
//! * `crate = path` (or `crate = "path"`) names the crate that provides `runtime`; it
//!   defaults to `::ithaca`. Inside `ithaca-rt` itself, use `crate = ::ithaca_rt`.
//! * `leaks = "allow"` (tests only) turns the leak check off; `leaks = "check"` is the
//!   default.
//!
//! Misuse is a compile error naming the problem:
//!
//! ```compile_fail
//! #[ithaca_rt::main(crate = ::ithaca_rt)]
//! fn main() {} // error: #[ithaca::main] requires an `async fn` (add `async`)
//! ```
//!
//! ```compile_fail
//! #[ithaca_rt::test(flavor = "current_thread")] // error: unknown attribute argument
//! async fn t() {}
//! ```
//!
//! ```compile_fail
//! #[ithaca_rt::test(crate = ::ithaca_rt, leaks = "ignore")] // error: "allow" or "check"
//! async fn t() {}
//! ```
//!
//! ```compile_fail
//! #[ithaca_rt::main(crate = ::ithaca_rt, leaks = "allow")] // error: tests only
//! async fn main() {}
//! ```
//!
//! ```compile_fail
//! #[ithaca_rt::test(crate = ::ithaca_rt)]
//! async fn t(x: u8) {} // error: the function cannot take arguments
//! ```
//!
//! The macro is written with plain `proc_macro` token handling (no `syn`), so it adds nothing
//! to build times. Its only invariant: the item's tokens are passed through unchanged except
//! for the removed `async` keyword and the wrapped body.

use proc_macro::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};

/// Runs `async fn main` as the root goroutine on the default ithaca runtime.
///
/// ```
/// #[ithaca_rt::main(crate = ::ithaca_rt)]
/// async fn main() {
///     let h = ithaca_rt::go!(async { 1 });
///     assert_eq!(h.await.unwrap(), 1);
/// }
/// ```
///
/// Returning a `Result` works, with `?` in the body:
///
/// ```
/// #[ithaca_rt::main(crate = ::ithaca_rt)]
/// async fn main() -> Result<(), std::num::ParseIntError> {
///     let n: u32 = "42".parse()?;
///     assert_eq!(n, 42);
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args, item, false).unwrap_or_else(|e| e)
}

/// Runs an `async fn` test as a root goroutine on the default ithaca runtime (adds `#[test]`),
/// with deadlock detection and a leak check after the body returns (see the crate docs).
///
/// ```
/// #[ithaca_rt::test(crate = ::ithaca_rt)]
/// async fn adds() {
///     assert_eq!(ithaca_rt::go!(async { 1 + 1 }).await.unwrap(), 2);
/// }
/// ```
///
/// A test that deliberately leaves goroutines running opts out of the leak check:
///
/// ```
/// #[ithaca_rt::test(crate = ::ithaca_rt, leaks = "allow")]
/// async fn leaves_a_daemon() {
///     ithaca_rt::go!(std::future::pending::<()>());
/// }
/// ```
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    expand(args, item, true).unwrap_or_else(|e| e)
}

fn error(span: Span, msg: &str) -> TokenStream {
    // ::core::compile_error!("msg");
    let mut ts: Vec<TokenTree> = Vec::new();
    path_tokens(&mut ts, &["core", "compile_error"], span);
    ts.push(Punct::new('!', Spacing::Alone).into());
    let mut lit = Literal::string(msg);
    lit.set_span(span);
    let mut g = Group::new(Delimiter::Parenthesis, TokenTree::from(lit).into());
    g.set_span(span);
    ts.push(g.into());
    ts.push(Punct::new(';', Spacing::Alone).into());
    ts.into_iter().collect()
}

fn path_tokens(ts: &mut Vec<TokenTree>, segments: &[&str], span: Span) {
    for s in segments {
        let mut c1 = Punct::new(':', Spacing::Joint);
        c1.set_span(span);
        let mut c2 = Punct::new(':', Spacing::Alone);
        c2.set_span(span);
        ts.push(c1.into());
        ts.push(c2.into());
        ts.push(Ident::new(s, span).into());
    }
}

/// The parsed attribute arguments.
struct Args {
    krate: TokenStream,
    check_leaks: bool,
}

/// Splits `args` at top-level commas.
fn split_commas(toks: Vec<TokenTree>) -> Vec<Vec<TokenTree>> {
    let mut out = vec![Vec::new()];
    for t in toks {
        match &t {
            TokenTree::Punct(p) if p.as_char() == ',' => out.push(Vec::new()),
            _ => out.last_mut().expect("never empty").push(t),
        }
    }
    if out.last().is_some_and(Vec::is_empty) {
        out.pop();
    }
    out
}

/// Parses `crate = path` / `crate = "path"` and `leaks = "allow" | "check"`.
fn parse_args(args: TokenStream, is_test: bool) -> Result<Args, TokenStream> {
    let mut krate = None;
    let mut check_leaks = true;
    let bad = |span| {
        error(
            span,
            "ithaca: unknown attribute argument; accepted: `crate = path` (e.g. \
             `crate = ::ithaca_rt`) and, for tests, `leaks = \"allow\"`",
        )
    };
    for arg in split_commas(args.into_iter().collect()) {
        let key = match (&arg[0], arg.get(1)) {
            (TokenTree::Ident(i), Some(TokenTree::Punct(p))) if p.as_char() == '=' => i.to_string(),
            (t, _) => return Err(bad(t.span())),
        };
        let rest: Vec<TokenTree> = arg[2..].to_vec();
        match key.as_str() {
            "crate" => krate = Some(parse_path(&arg[1], rest)?),
            "leaks" if is_test => match rest.as_slice() {
                [TokenTree::Literal(l)] if l.to_string() == "\"allow\"" => check_leaks = false,
                [TokenTree::Literal(l)] if l.to_string() == "\"check\"" => check_leaks = true,
                _ => {
                    return Err(error(
                        arg[1].span(),
                        "ithaca: `leaks =` expects \"allow\" or \"check\"",
                    ))
                }
            },
            _ => return Err(bad(arg[0].span())),
        }
    }
    let krate = krate.unwrap_or_else(|| {
        let mut ts = Vec::new();
        path_tokens(&mut ts, &["ithaca"], Span::call_site());
        ts.into_iter().collect()
    });
    Ok(Args { krate, check_leaks })
}

/// The path after `crate =`.
fn parse_path(eq: &TokenTree, rest: Vec<TokenTree>) -> Result<TokenStream, TokenStream> {
    match rest.as_slice() {
        [] => Err(error(eq.span(), "ithaca: `crate =` needs a path")),
        [TokenTree::Literal(l)] => {
            let s = l.to_string();
            let inner = s
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .ok_or_else(|| error(l.span(), "ithaca: `crate =` expects a path or a string"))?;
            inner
                .parse::<TokenStream>()
                .map_err(|_| error(l.span(), "ithaca: `crate = \"...\"` is not a valid path"))
        }
        _ => Ok(rest.into_iter().collect()),
    }
}

fn expand(args: TokenStream, item: TokenStream, is_test: bool) -> Result<TokenStream, TokenStream> {
    let Args { krate, check_leaks } = parse_args(args, is_test)?;
    let what = if is_test {
        "#[ithaca::test]"
    } else {
        "#[ithaca::main]"
    };
    let toks: Vec<TokenTree> = item.into_iter().collect();

    // Find `fn`, drop `async` before it.
    let fn_pos = toks
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "fn"))
        .ok_or_else(|| {
            error(
                Span::call_site(),
                &format!("{what} applies to an `async fn`"),
            )
        })?;
    let async_pos = toks[..fn_pos]
        .iter()
        .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "async"));
    let Some(async_pos) = async_pos else {
        return Err(error(
            toks[fn_pos].span(),
            &format!("{what} requires an `async fn` (add `async`)"),
        ));
    };
    let name = match toks.get(fn_pos + 1) {
        Some(TokenTree::Ident(i)) => i.clone(),
        _ => return Err(error(toks[fn_pos].span(), "expected a function name")),
    };
    let body = match toks.last() {
        Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Brace => g.clone(),
        _ => {
            return Err(error(
                name.span(),
                &format!("{what}: expected a function body"),
            ))
        }
    };
    let sig = &toks[fn_pos + 2..toks.len() - 1];
    // Parameters: the first parenthesised group (main/test functions have no generics).
    let params_ix = sig
        .iter()
        .position(|t| matches!(t, TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis))
        .ok_or_else(|| error(name.span(), "expected a parameter list"))?;
    if let TokenTree::Group(g) = &sig[params_ix] {
        if !g.stream().is_empty() {
            return Err(error(
                g.span(),
                &format!("{what}: the function cannot take arguments"),
            ));
        }
    }
    if params_ix != 0 {
        return Err(error(
            sig[0].span(),
            &format!("{what}: the function cannot be generic"),
        ));
    }
    // Return type: after `->`, up to `where` (none for main/test, but be lenient).
    let after = &sig[params_ix + 1..];
    let ret: Option<Vec<TokenTree>> = match after {
        [] => None,
        [TokenTree::Punct(a), TokenTree::Punct(b), rest @ ..]
            if a.as_char() == '-' && b.as_char() == '>' =>
        {
            let end = rest
                .iter()
                .position(|t| matches!(t, TokenTree::Ident(i) if i.to_string() == "where"))
                .unwrap_or(rest.len());
            Some(rest[..end].to_vec())
        }
        [t, ..] => {
            return Err(error(
                t.span(),
                &format!("{what}: unexpected tokens in the signature"),
            ))
        }
    };

    let span = body.span();
    let mut out: Vec<TokenTree> = Vec::new();
    if is_test {
        // #[::core::prelude::v1::test]
        out.push(Punct::new('#', Spacing::Alone).into());
        let mut attr = Vec::new();
        path_tokens(&mut attr, &["core", "prelude", "v1", "test"], span);
        out.push(Group::new(Delimiter::Bracket, attr.into_iter().collect()).into());
    }
    for (i, t) in toks[..toks.len() - 1].iter().enumerate() {
        if i != async_pos {
            out.push(t.clone());
        }
    }
    // { <krate>::runtime::__block_on_root::<R, _>("name", async move <body>) }
    // { <krate>::runtime::__block_on_test::<R, _>("name", check_leaks, async move <body>) }
    let mut call: Vec<TokenTree> = krate.into_iter().collect();
    let entry = if is_test {
        "__block_on_test"
    } else {
        "__block_on_root"
    };
    path_tokens(&mut call, &["runtime", entry], span);
    call.push(Punct::new(':', Spacing::Joint).into());
    call.push(Punct::new(':', Spacing::Alone).into());
    call.push(Punct::new('<', Spacing::Alone).into());
    match ret {
        Some(r) => call.extend(r),
        None => call.push(Group::new(Delimiter::Parenthesis, TokenStream::new()).into()),
    }
    call.push(Punct::new(',', Spacing::Alone).into());
    call.push(Ident::new("_", span).into());
    call.push(Punct::new('>', Spacing::Alone).into());
    let goroutine_name = if is_test {
        name.to_string()
    } else {
        "main".to_owned()
    };
    let mut args: Vec<TokenTree> = vec![
        Literal::string(&goroutine_name).into(),
        Punct::new(',', Spacing::Alone).into(),
    ];
    if is_test {
        args.push(Ident::new(if check_leaks { "true" } else { "false" }, span).into());
        args.push(Punct::new(',', Spacing::Alone).into());
    }
    args.push(Ident::new("async", span).into());
    args.push(Ident::new("move", span).into());
    args.push(body.clone().into());
    call.push(Group::new(Delimiter::Parenthesis, args.into_iter().collect()).into());
    let mut new_body = Group::new(Delimiter::Brace, call.into_iter().collect());
    new_body.set_span(span);
    out.push(new_body.into());
    Ok(out.into_iter().collect())
}
