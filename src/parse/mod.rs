//! Reading and parsing source files with syn; parsing never fails: a file yields its AST or a positioned
//! error. Also the one place that looks into macro bodies (`macro_items`, `macro_exprs`).

mod edition;
pub use edition::Edition;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// A parse error with a 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Parses a whole file. A leading BOM and a `#!` line are handled by syn.
pub fn parse_source(text: &str) -> Result<syn::File, ParseError> {
    syn::parse_file(text).map_err(|e| {
        let start = e.span().start();
        ParseError {
            line: start.line.max(1) as u32,
            column: start.column as u32 + 1,
            message: tidy(e.to_string()),
        }
    })
}

/// Items inside an item-position macro call (`cfg_if! { if #[cfg(x)] { mod a; } else { mod b; } }`,
/// `cfg_rt! { pub mod task; }`, `lazy_static! { ... }` is not items and yields `None`).
///
/// The body is tried as a list of items; if that fails, every top-level `{ ... }` group is tried
/// recursively (which covers `cfg_if!`'s branches). `None` when nothing in it parses as items.
pub fn macro_items(tokens: &TokenStream) -> Option<Vec<syn::Item>> {
    if let Ok(file) = syn::parse2::<syn::File>(tokens.clone()) {
        return Some(file.items);
    }
    let mut items = Vec::new();
    let mut any = false;
    for tt in tokens.clone() {
        if let TokenTree::Group(g) = tt {
            if g.delimiter() == Delimiter::Brace {
                if let Some(inner) = macro_items(&g.stream()) {
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
