//! JSON exporter: the contract documents, pretty-printed, fields in declaration order.

use std::io::{self, Write};

use serde::Serialize;

use super::Export;

pub struct Json;

impl<D: Serialize + ?Sized> Export<D> for Json {
    fn export(&self, doc: &D, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, doc).map_err(io::Error::other)?;
        out.write_all(b"\n")
    }
}
