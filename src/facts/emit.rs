//! Finding emission for one function body: turns what the visitor met (an API site, a blocking call under a
//! guard or in async context, a double lock, a construction, a type occurrence, a hotspot) into `Finding`s
//! with their rule's message, and keeps the body's I/O weight and first blocking site. It decides nothing
//! about liveness or types.

use super::classify::Construction;
use super::file::{push_type_findings, FileInfo};
use super::types::TypeInfo;
use super::{pos, BlockingSite, HeldLock};
use crate::rules::{self, apis::Api};
use crate::vocab::{Finding, FindingKind};

/// What blocks at a site.
pub(super) enum Blocking {
    /// I/O, sleep, receive, join: `what` names it.
    Call(String),
    Await,
}

/// Where a site is, as far as blocking is concerned.
pub(super) struct Context<'h> {
    /// The locks alive at the site, oldest first.
    pub held: &'h [HeldLock],
    /// In async context.
    pub in_async: bool,
}

/// The findings of one body, in the order met.
pub(super) struct Emitter<'i, 'a> {
    info: &'i FileInfo<'a>,
    fn_path: String,
    pub findings: Vec<Finding>,
    /// First own blocking call (I/O, sleep, receive, join).
    pub blocking: Option<BlockingSite>,
    /// Own I/O weight: 10 per blocking I/O site, 1 per console site.
    pub io_weight: u32,
}

impl<'i, 'a> Emitter<'i, 'a> {
    pub fn new(info: &'i FileInfo<'a>, fn_path: String) -> Self {
        Emitter {
            info,
            fn_path,
            findings: Vec::new(),
            blocking: None,
            io_weight: 0,
        }
    }

    fn site(&self, span: proc_macro2::Span) -> rules::Site {
        self.info.site(span, Some(&self.fn_path))
    }

    pub fn push(&mut self, kind: FindingKind, span: proc_macro2::Span, message: String) {
        let site = self.site(span);
        self.findings.push(rules::finding(kind, site, message));
    }

    /// Findings of a type written in the body or signature (`Arc<Mutex<_>>`, `Rc<_>`...).
    pub fn type_findings(&mut self, ti: &TypeInfo, span: proc_macro2::Span) {
        let site = self.site(span);
        push_type_findings(&mut self.findings, ti, &site, false);
    }

    /// The site of one API category (every category but `Cpu`, which is work, not a finding).
    pub fn api(&mut self, api: Api, what: &str, span: proc_macro2::Span, cx: &Context) {
        match api {
            Api::Io | Api::Sleep => {
                self.io_weight += 10;
                self.push(FindingKind::Io, span, rules::io::message(what));
                self.blocking(Blocking::Call(what.to_string()), span, cx);
            }
            Api::Console => {
                self.io_weight += 1;
                self.push(FindingKind::Io, span, rules::io::message(what));
            }
            Api::Recv | Api::Join => self.blocking(Blocking::Call(what.to_string()), span, cx),
            Api::ProcessGlobal => self.push(
                FindingKind::ProcessGlobal,
                span,
                rules::process_global::call(what),
            ),
            Api::Spawn => self.push(FindingKind::Spawn, span, rules::spawn::message(what)),
            Api::Channel => self.push(FindingKind::Channel, span, rules::channel::message(what)),
            Api::Ffi => self.push(FindingKind::Ffi, span, rules::ffi::message(what)),
            Api::Cpu | Api::Detaches | Api::SyncContext | Api::Drop => {}
        }
    }

    /// A blocking site: lock-across-blocking under a guard, blocking-in-async in async context.
    pub fn blocking(&mut self, b: Blocking, span: proc_macro2::Span, cx: &Context) {
        let (line, column) = pos(span);
        match &b {
            Blocking::Await => {
                if let Some(g) = cx.held.iter().rev().find(|g| !g.is_async) {
                    let msg = rules::lock_across_blocking::direct(&short(&g.id), &g.desc, ".await");
                    self.push(FindingKind::LockAcrossBlocking, span, msg);
                }
            }
            Blocking::Call(what) => {
                if let Some(g) = cx.held.last() {
                    let msg = rules::lock_across_blocking::direct(&short(&g.id), &g.desc, what);
                    self.push(FindingKind::LockAcrossBlocking, span, msg);
                }
                if cx.in_async {
                    self.push(
                        FindingKind::BlockingInAsync,
                        span,
                        rules::blocking_in_async::direct(what),
                    );
                }
                if self.blocking.is_none() {
                    self.blocking = Some(BlockingSite {
                        what: what.clone(),
                        line,
                        column,
                    });
                }
            }
        }
    }

    /// `lock` taken again while a guard of it is alive.
    pub fn double_lock(&mut self, lock: &HeldLock, span: proc_macro2::Span) {
        let msg = rules::double_lock::direct(&short(&lock.id), &lock.desc);
        self.push(FindingKind::DoubleLock, span, msg);
    }

    pub fn construction(&mut self, c: &Construction, span: proc_macro2::Span) {
        let (kind, msg) = match c {
            Construction::SingleThread(ty) => (
                FindingKind::SingleThreadState,
                rules::single_thread_state::message(ty),
            ),
            Construction::SharedLock(lock) => {
                (FindingKind::SharedLock, rules::shared_lock::message(lock))
            }
            Construction::SharedAtomic(ty) => (FindingKind::Atomic, rules::atomic::message(ty)),
        };
        self.push(kind, span, msg);
    }

    /// The hotspot finding of a function named `name` whose own score is `score`, at its `fn` keyword.
    pub fn compute_hotspot(&mut self, name: &str, score: u32, span: proc_macro2::Span) {
        let msg = rules::compute_hotspot::message(name, score);
        self.push(FindingKind::ComputeHotspot, span, msg);
    }
}

/// The short name of a lock id for messages: `Type.field`, a static's name, a local's expression.
fn short(id: &str) -> String {
    match id.rsplit_once("::") {
        Some((_, last)) => last.to_string(),
        None => id.to_string(),
    }
}
