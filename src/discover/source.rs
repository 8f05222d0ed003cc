//! Reading a source file for parsing, safely: regular files only (a directory, FIFO, device or socket is
//! never read, a FIFO never opened for a blocking read), at most [`MAX_FILE_BYTES`], UTF-8 with the position
//! of the first bad byte. Each file is read once; what changes afterwards is not seen.

use crate::parse::ParseError;

/// Files larger than this are not read (a generated file of tens of MB would cost more memory and time
/// than the rest of a project; the largest file in 13,625 files of cargo's registry here is 3.6 MB).
pub const MAX_FILE_BYTES: u64 = 32 << 20;

/// Reads a source file for parsing, or says in one line why it cannot be: not a regular file (a
/// directory, a FIFO, a device, a socket: opened without blocking and never read), larger than
/// [`MAX_FILE_BYTES`], not UTF-8 (with the position of the first bad byte), or an I/O error (a file
/// that vanished, a symlink loop). The file is read once; whatever changes later is not seen.
pub fn read_source(path: &std::path::Path) -> Result<String, ParseError> {
    read_source_with_meta(path).map(|(text, _)| text)
}

/// [`read_source`], with the file's metadata as it was when it was opened (before it was read).
pub fn read_source_with_meta(
    path: &std::path::Path,
) -> Result<(String, std::fs::Metadata), ParseError> {
    use std::io::Read;
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let at_start = |message: String| ParseError {
        line: 1,
        column: 1,
        message,
        whole_file: true,
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
    let text = String::from_utf8(bytes).map_err(|e| {
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
            whole_file: true,
        }
    })?;
    Ok((text, meta))
}
