//! Reading and parsing source files with syn; parsing never fails: a file yields its AST or a positioned
//! error. Also the one place that looks into macro bodies (`macro_items`, `macro_exprs`). Nothing is parsed
//! deeper than the current thread's stack holds (`depth`): a deeper file is an error, a deeper macro body is
//! not expanded.

pub mod depth;

use proc_macro2::{Delimiter, TokenStream, TokenTree};

/// A parse error with a 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Files larger than this are not read (a generated file of tens of MB would cost more memory and time
/// than the rest of a project; the largest file in 13,625 files of cargo's registry here is 3.6 MB).
pub const MAX_FILE_BYTES: u64 = 32 << 20;

/// Reads a source file for parsing, or says in one line why it cannot be: not a regular file (a
/// directory, a FIFO, a device, a socket: opened without blocking and never read), larger than
/// [`MAX_FILE_BYTES`], not UTF-8 (with the position of the first bad byte), or an I/O error (a file
/// that vanished, a symlink loop). The file is read once; whatever changes later is not seen.
pub fn read_source(path: &std::path::Path) -> Result<String, ParseError> {
    use std::io::Read;
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let at_start = |message: String| ParseError {
        line: 1,
        column: 1,
        message,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| at_start(format!("cannot read: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| at_start(format!("cannot read: {e}")))?;
    let ft = meta.file_type();
    if !ft.is_file() {
        let what = if ft.is_dir() {
            "a directory"
        } else if ft.is_fifo() {
            "a FIFO"
        } else if ft.is_socket() {
            "a socket"
        } else if ft.is_char_device() || ft.is_block_device() {
            "a device"
        } else {
            "not a regular file"
        };
        return Err(at_start(format!("cannot read: {what}, not a regular file")));
    }
    let too_large = |bytes: u64| {
        at_start(format!(
            "too large to analyze: {:.1} MB (the limit is {} MiB)",
            bytes as f64 / 1e6,
            MAX_FILE_BYTES >> 20
        ))
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| at_start(format!("cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        let column = good.iter().rev().take_while(|&&b| b != b'\n').count() as u32 + 1;
        let bad = e.as_bytes()[good.len()];
        ParseError {
            line,
            column,
            message: format!(
                "not UTF-8: byte 0x{bad:02x} is not valid UTF-8; Rust source must be UTF-8"
            ),
        }
    })
}

/// Parses a whole file, as `syn::parse_file` does (a leading BOM and a `#!` line are skipped), after
/// checking that its nesting fits the current thread's stack ([`depth::limit`]).
pub fn parse_source(text: &str) -> Result<syn::File, ParseError> {
    let (content, shebang) = strip_bom_and_shebang(text);
    let positioned = |span: proc_macro2::Span, message: String| {
        let start = span.start();
        ParseError {
            line: start.line.max(1) as u32,
            column: start.column as u32 + 1,
            message,
        }
    };
    let tokens: TokenStream = content
        .parse()
        .map_err(|e: proc_macro2::LexError| positioned(e.span(), tidy(e.to_string())))?;
    depth::check(tokens.clone(), depth::Macros::Skip, depth::limit()).map_err(|d| ParseError {
        line: d.line,
        column: d.column,
        message: format!(
            "nested too deeply to analyze (nesting score {} passes the limit of {} for this stack)",
            d.score, d.limit
        ),
    })?;
    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| positioned(e.span(), tidy(e.to_string())))?;
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
