//! Reading and parsing source files with syn; parsing never fails: a file yields the items that parse and a
//! positioned error for each one that does not (`parse_items`). Also the one place that looks into macro bodies
//! (`macro_items`, `macro_exprs`), and the package `Edition`. It never reads files nor extracts facts. Nothing is
//! parsed deeper than the current thread's stack holds (`depth`): a deeper file is an error, a deeper macro body
//! is not expanded.

pub mod cfg;
pub mod depth;
mod edition;
pub mod lex;
pub use edition::Edition;
pub use lex::Docs;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use syn::parse::discouraged::Speculative;
use syn::parse::{ParseStream, Parser};

/// A parse error with a 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub message: String,
    /// Nothing of the file was parsed (it does not tokenize); otherwise only the item at this position is lost.
    pub whole_file: bool,
}

/// Parses a whole file, as `syn::parse_file` does (a leading BOM and a `#!` line are skipped), after
/// checking that its nesting fits the current thread's stack ([`depth::limit`]).
pub fn parse_source(text: &str) -> Result<syn::File, ParseError> {
    parse_whole(text, Docs::Keep).map_err(|(e, _)| e)
}

/// [`parse_source`], with the doc comments kept or stripped ([`lex::prepare`]), also saying whether
/// splitting the file into items may still help (not for a file that does not tokenize or is nested too
/// deeply).
fn parse_whole(text: &str, docs: Docs) -> Result<syn::File, (ParseError, bool)> {
    let (content, shebang) = strip_bom_and_shebang(text);
    let positioned = |span: proc_macro2::Span, message: String| {
        let start = span.start();
        ParseError {
            line: start.line.max(1) as u32,
            column: start.column as u32 + 1,
            message,
            whole_file: true,
        }
    };
    let too_deep = |d: depth::TooDeep| {
        let e = ParseError {
            line: d.line,
            column: d.column,
            message: format!(
                "nested too deeply to analyze (nesting score {} passes the limit of {} for this stack)",
                d.score, d.limit
            ),
            whole_file: true,
        };
        (e, false)
    };
    let limit = depth::limit();
    // One pass over the text scores its nesting (and strips its docs); where that lexer gives up, the
    // token tree is scored instead.
    let prepared = lex::prepare(content, docs, limit);
    let scored = match &prepared {
        Some(p) => {
            p.depth.map_err(too_deep)?;
            true
        }
        None => false,
    };
    let source = prepared.as_ref().map_or(content, |p| &*p.text);
    let tokens: TokenStream = source
        .parse()
        .map_err(|e: proc_macro2::LexError| (positioned(e.span(), tidy(e.to_string())), false))?;
    if !scored {
        depth::check(tokens.clone(), depth::Macros::Skip, limit).map_err(too_deep)?;
    }
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| (positioned(e.span(), tidy(e.to_string())), true))?;
    file.shebang = shebang;
    Ok(file)
}

/// What `syn::parse_file` strips before tokenizing: a BOM, and a `#!` line that is not `#![attr]`. The
/// newline stays, so line numbers are the file's.
fn strip_bom_and_shebang(text: &str) -> (&str, Option<String>) {
    let content = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(rest) = content.strip_prefix("#!") {
        if !rest.trim_start().starts_with('[') {
            return match content.find('\n') {
                Some(i) => (&content[i..], Some(content[..i].to_string())),
                None => ("", Some(content.to_string())),
            };
        }
    }
    (content, None)
}

/// Whether a macro body may be reparsed on this thread (its nesting fits the stack).
fn body_fits(tokens: &TokenStream) -> bool {
    depth::check(tokens.clone(), depth::Macros::Score, depth::limit()).is_ok()
}

/// Parses a file item by item: what parses is kept, what does not becomes a [`ParseError`].
///
/// A whole-file parse is tried first. When it fails (2015-edition syntax syn rejects on purpose, such as bare
/// trait objects or anonymous trait method parameters; nightly-only syntax), the file is tokenized (proc-macro2
/// still tokenizes such files) and split into top-level items, each parsed on its own; an inline `mod` whose body
/// fails is split the same way, so one bad function costs that function and not its module. Only a file that
/// does not even tokenize (unbalanced delimiters, invalid tokens) yields no item at all.
///
/// `docs`: whether doc comments are parsed as the attributes they are or stripped first (same lines and
/// columns; the analysis has no use for them).
pub fn parse_items(text: &str, docs: Docs) -> (syn::File, Vec<ParseError>) {
    match parse_whole(text, docs) {
        Ok(file) => (file, Vec::new()),
        Err((whole, false)) => (empty_file(), vec![whole]),
        Err((whole, true)) => {
            let cleaned = blank_preamble(text);
            let source = match lex::prepare(&cleaned, docs, usize::MAX) {
                Some(p) => p.text.into_owned(),
                None => cleaned,
            };
            let tokens: TokenStream = match source.parse() {
                Ok(t) => t,
                Err(_) => return (empty_file(), vec![whole]),
            };
            let mut errors = Vec::new();
            let split = |input: ParseStream| {
                let attrs = input.call(syn::Attribute::parse_inner).unwrap_or_default();
                Ok((attrs, lossy_items(input, &mut errors)))
            };
            match split.parse2(tokens) {
                Ok((attrs, items)) => {
                    // No error here means only the preamble (frontmatter) stopped the whole-file parse.
                    let errors: Vec<ParseError> = errors.iter().map(position).collect();
                    (
                        syn::File {
                            shebang: None,
                            attrs,
                            items,
                        },
                        errors,
                    )
                }
                Err(_) => (empty_file(), vec![whole]),
            }
        }
    }
}

fn empty_file() -> syn::File {
    syn::File {
        shebang: None,
        attrs: Vec::new(),
        items: Vec::new(),
    }
}

fn position(e: &syn::Error) -> ParseError {
    let start = e.span().start();
    ParseError {
        line: start.line.max(1) as u32,
        column: start.column as u32 + 1,
        message: tidy(e.to_string()),
        whole_file: false,
    }
}

/// The text with what precedes the first item blanked, keeping line numbers: a BOM, a `#!` line (not `#![`), and
/// an unstable frontmatter block (`---` ... `---`).
fn blank_preamble(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let mut i = 0;
    if lines.first().is_some_and(|l| {
        l.starts_with("#!") && !l.trim_start_matches("#!").trim_start().starts_with('[')
    }) {
        lines[0].clear();
        i = 1;
    }
    while i < lines.len() && lines[i].trim().is_empty() {
        i += 1;
    }
    if i < lines.len() && lines[i].starts_with("---") {
        if let Some(end) = (i + 1..lines.len()).find(|&j| lines[j].trim_end() == "---") {
            for line in &mut lines[i..=end] {
                line.clear();
            }
        }
    }
    lines.join("\n")
}

/// Items until the end of `input`, each parsed on its own; one that fails is skipped up to its end
/// ([`skip_item`]) and its error recorded. An inline module whose body fails keeps its items that parse.
fn lossy_items(input: ParseStream, errors: &mut Vec<syn::Error>) -> Vec<syn::Item> {
    let mut items = Vec::new();
    while !input.is_empty() {
        let fork = input.fork();
        match fork.parse::<syn::Item>() {
            Ok(item) => {
                input.advance_to(&fork);
                items.push(item);
            }
            Err(e) => {
                let fork = input.fork();
                if let Some(m) = lossy_inline_mod(&fork, errors) {
                    input.advance_to(&fork);
                    items.push(syn::Item::Mod(m));
                    continue;
                }
                errors.push(e);
                if skip_item(input).is_err() {
                    break;
                }
            }
        }
    }
    items
}

/// `[attrs] [vis] [unsafe] mod name { ... }` with its body split into items.
fn lossy_inline_mod(input: ParseStream, errors: &mut Vec<syn::Error>) -> Option<syn::ItemMod> {
    let parsed = (|| -> syn::Result<Option<syn::ItemMod>> {
        let attrs = input.call(syn::Attribute::parse_outer)?;
        let vis: syn::Visibility = input.parse()?;
        let unsafety: Option<syn::Token![unsafe]> = input.parse()?;
        let mod_token: syn::Token![mod] = input.parse()?;
        let ident: syn::Ident = input.parse()?;
        if !input.peek(syn::token::Brace) {
            return Ok(None);
        }
        let body;
        let brace = syn::braced!(body in input);
        let inner_attrs = body.call(syn::Attribute::parse_inner).unwrap_or_default();
        let mut all = attrs;
        all.extend(inner_attrs);
        let items = lossy_items(&body, errors);
        Ok(Some(syn::ItemMod {
            attrs: all,
            vis,
            unsafety,
            mod_token,
            ident,
            content: Some((brace, items)),
            semi: None,
        }))
    })();
    parsed.ok().flatten()
}

/// Skips one item that does not parse: up to and including a top-level `;`, or a top-level `{ ... }` group
/// (and a `;` right after it) that is followed by what may start an item. Always consumes at least one token.
fn skip_item(input: ParseStream) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tt, next)) = rest.token_tree() {
            rest = next;
            match &tt {
                TokenTree::Punct(p) if p.as_char() == ';' => return Ok(((), rest)),
                TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => {
                    match rest.token_tree() {
                        None => return Ok(((), rest)),
                        Some((TokenTree::Punct(p), after)) if p.as_char() == ';' => {
                            return Ok(((), after))
                        }
                        Some((TokenTree::Punct(p), _))
                            if p.as_char() == '#' && p.spacing() == Spacing::Alone =>
                        {
                            return Ok(((), rest))
                        }
                        Some((TokenTree::Ident(i), _)) if i != "else" && i != "where" => {
                            return Ok(((), rest))
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        Ok(((), rest))
    })
}

/// Items inside an item-position macro call (`cfg_if! { if #[cfg(x)] { mod a; } else { mod b; } }`,
/// `cfg_rt! { pub mod task; }`, `lazy_static! { ... }` is not items and yields `None`).
///
/// The body is tried as a list of items; if that fails, every top-level `{ ... }` group is tried
/// recursively (which covers `cfg_if!`'s branches). `None` when nothing in it parses as items.
pub fn macro_items(tokens: &TokenStream) -> Option<Vec<syn::Item>> {
    if !body_fits(tokens) {
        return None;
    }
    items_within(tokens)
}

fn items_within(tokens: &TokenStream) -> Option<Vec<syn::Item>> {
    if let Ok(file) = syn::parse2::<syn::File>(tokens.clone()) {
        return Some(file.items);
    }
    let mut items = Vec::new();
    let mut any = false;
    for tt in tokens.clone() {
        if let TokenTree::Group(g) = tt {
            if g.delimiter() == Delimiter::Brace {
                if let Some(inner) = items_within(&g.stream()) {
                    any = true;
                    items.extend(inner);
                }
            }
        }
    }
    any.then_some(items)
}

/// Expressions inside a statement/expression macro call whose body is a comma-separated list of
/// expressions (`vec![a, b]`, `assert!(x, "..", y)`, `println!("{}", f(x))`, `writeln!(w, "..")`).
/// Statements in a brace body (`select! { ... }` arms are not handled here) are returned as a block.
/// `None` when the body does not parse.
pub fn macro_exprs(tokens: &TokenStream) -> Option<Vec<syn::Expr>> {
    use syn::parse::Parser;
    use syn::punctuated::Punctuated;
    if !body_fits(tokens) {
        return None;
    }
    let parser = Punctuated::<syn::Expr, syn::Token![,]>::parse_terminated;
    if let Ok(list) = parser.parse2(tokens.clone()) {
        return Some(list.into_iter().collect());
    }
    // A block of statements (also covers `vec![x; n]`).
    let block = |input: syn::parse::ParseStream| syn::Block::parse_within(input);
    if let Ok(stmts) = block.parse2(tokens.clone()) {
        return Some(vec![syn::Expr::Block(syn::ExprBlock {
            attrs: Vec::new(),
            label: None,
            block: syn::Block {
                brace_token: Default::default(),
                stmts,
            },
        })]);
    }
    None
}

/// proc-macro2's lexer error says nothing useful; say what it means.
fn tidy(message: String) -> String {
    if message == "cannot parse string into token stream" {
        "cannot tokenize: unbalanced delimiter or invalid token".to_string()
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_error_has_position() {
        let e = parse_source("fn main() {\n    let x = ;\n}\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.column > 1, "{e:?}");
    }

    /// `check(src, kept, errors)`: the item names that survive and the lines of the errors.
    fn check(src: &str, kept: &[&str], error_lines: &[u32]) {
        let (file, errors) = parse_items(src, Docs::Keep);
        let names: Vec<String> = file.items.iter().map(item_name).collect();
        assert_eq!(names, kept, "items of {src}");
        let lines: Vec<u32> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, error_lines, "errors {errors:?}");
    }

    fn item_name(item: &syn::Item) -> String {
        match item {
            syn::Item::Fn(f) => f.sig.ident.to_string(),
            syn::Item::Static(s) => s.ident.to_string(),
            syn::Item::Struct(s) => s.ident.to_string(),
            syn::Item::Trait(t) => t.ident.to_string(),
            syn::Item::Impl(_) => "impl".into(),
            syn::Item::Use(_) => "use".into(),
            syn::Item::Const(c) => c.ident.to_string(),
            syn::Item::Macro(m) => {
                m.mac
                    .path
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default()
                    + "!"
            }
            syn::Item::Mod(m) => {
                let inner = m
                    .content
                    .as_ref()
                    .map(|(_, items)| items.iter().map(item_name).collect::<Vec<_>>().join(","));
                format!("mod {}{{{}}}", m.ident, inner.unwrap_or_default())
            }
            other => format!("{other:?}").chars().take(20).collect(),
        }
    }

    #[test]
    fn partial_files_keep_what_parses() {
        // A file that parses is untouched.
        check("fn a() {}\nfn b() {}\n", &["a", "b"], &[]);
        // 2015-edition anonymous trait parameters: the trait is lost, the rest kept.
        check(
            "use std::fmt;\ntrait T {\n    fn f(u8);\n}\nfn after() {}\nstatic mut S: u8 = 0;\n",
            &["use", "after", "S"],
            &[3],
        );
        // A bare trait object in a function signature; the item after it (with a brace body) survives.
        check(
            "fn bad(f: Box<Fn()>) -> u8 {\n    1\n}\nstruct Ok1 {}\nfn good() {}\n",
            &["Ok1", "good"],
            &[1],
        );
        // A bad `const` ending in `;` after a brace group; nothing after it is swallowed.
        check(
            "const C: Box<Fn()> = X { a: 1 };\nfn good() {}\n",
            &["good"],
            &[1],
        );
        // Inside an inline module, only the bad item goes.
        check(
            "mod m {\n    fn ok() {}\n    fn bad(x: &Fn()) {}\n    fn ok2() {}\n}\nfn top() {}\n",
            &["mod m{ok,ok2}", "top"],
            &[3],
        );
        // Two bad items: two errors, in order.
        check(
            "fn a(x: Box<Fn()>) {}\nfn b() {}\nfn c(y: Box<Fn()>) {}\n",
            &["b"],
            &[1, 3],
        );
        // Items after an `if`/`else` inside a bad body stay whole.
        check(
            "fn bad(x: Box<Fn()>) { if a { } else { } }\nfn ok() {}\n",
            &["ok"],
            &[1],
        );
        // Unstable frontmatter and a shebang line are not items.
        check(
            "#!/usr/bin/env cargo\n---\n[package]\nedition = \"2024\"\n---\nfn main() {}\n",
            &["main"],
            &[],
        );
        // A file that does not tokenize gives no item and one error.
        check("fn a() {}\nfn b( {\n", &[], &[2]);
    }

    #[test]
    fn cfg_if_branches_yield_items() {
        let f = parse_source(
            "cfg_if::cfg_if! { if #[cfg(unix)] { mod a; } else { mod b; fn c() {} } }",
        )
        .unwrap();
        let syn::Item::Macro(m) = &f.items[0] else {
            panic!("not a macro")
        };
        let items = macro_items(&m.mac.tokens).unwrap();
        assert_eq!(items.len(), 3);
    }

    #[test]
    fn plain_item_macro_yields_items() {
        let f = parse_source("cfg_rt! { pub mod task; pub(crate) use task::spawn; }").unwrap();
        let syn::Item::Macro(m) = &f.items[0] else {
            panic!("not a macro")
        };
        assert_eq!(macro_items(&m.mac.tokens).unwrap().len(), 2);
    }

    #[test]
    fn macro_exprs_variants() {
        let e: syn::ExprMacro = syn::parse_str("vec![f(1), g(2)]").unwrap();
        assert_eq!(macro_exprs(&e.mac.tokens).unwrap().len(), 2);
        let e: syn::ExprMacro = syn::parse_str("vec![0u8; n * 2]").unwrap();
        assert!(macro_exprs(&e.mac.tokens).is_some());
        let e: syn::ExprMacro = syn::parse_str("m! { let x = 1; x + 1 }").unwrap();
        assert_eq!(macro_exprs(&e.mac.tokens).unwrap().len(), 1);
        let e: syn::ExprMacro = syn::parse_str("m! { => nonsense <= }").unwrap();
        assert!(macro_exprs(&e.mac.tokens).is_none());
    }
}
