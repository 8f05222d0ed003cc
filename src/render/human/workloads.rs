//! Human rendering of the workload list (`cargo concur workloads`).

use std::io::{self, Write};

use anstyle::{Effects, Style};

use super::Human;
use crate::render::Export;
use crate::workload::WorkloadSpec;

const BOLD: Style = Style::new().effects(Effects::BOLD);

impl Export<[WorkloadSpec]> for Human {
    fn export(&self, list: &[WorkloadSpec], out: &mut dyn Write) -> io::Result<()> {
        if list.is_empty() {
            return writeln!(
                out,
                "no workloads: declare [[package.metadata.concur.workload]] (name, run, jobs) in Cargo.toml"
            );
        }
        let header = [
            "package",
            "workload",
            "kind",
            "jobs",
            "declared in",
            "functions",
        ];
        let rows: Vec<[String; 6]> = list
            .iter()
            .map(|w| {
                let functions = match (&w.setup, &w.run) {
                    (Some(s), Some(r)) => format!("{s} -> {r}"),
                    (None, Some(r)) => r.clone(),
                    _ => String::new(),
                };
                [
                    w.package.clone(),
                    w.name.clone(),
                    w.kind.to_string(),
                    w.jobs.to_string(),
                    w.declared_in.clone(),
                    functions,
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let fmt = |cells: [&str; 6]| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    if i == 3 {
                        format!("{c:>w$}", w = widths[i])
                    } else {
                        format!("{c:<w$}", w = widths[i])
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        writeln!(out, "{BOLD}{}{BOLD:#}", fmt(header))?;
        for r in &rows {
            writeln!(out, "{}", fmt(r.each_ref().map(String::as_str)))?;
        }
        Ok(())
    }
}
