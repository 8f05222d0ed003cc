//! Finding emission for one function body: turns what the visitor met (an API site, a blocking call under a
//! guard or in async context, a double lock, a construction, a type occurrence, a hotspot) into `Finding`s
//! with their rule's message, and keeps the body's I/O weight and first blocking site. It decides nothing
//! about liveness or types.

use super::classify::Construction;
use super::file::{push_type_findings, FileInfo};
use super::types::TypeInfo;
use super::{pos, BlockingSite, HeldLock};
use crate::rules::{self, apis::Api};
use crate::vocab::{Finding, FindingData};

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
    /// In code passed to a spawning call (see `CallSite::detached`): a blocking call there is not the
    /// function's own.
    pub detached: bool,
    /// In a static's lazy initialiser (see `CallSite::once`): a blocking call there happens once per
    /// process, so it is no hazard and not the function's own blocking.
    pub once: bool,
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

    pub fn push(&mut self, span: proc_macro2::Span, data: FindingData) {
        let site = self.site(span);
        self.findings.push(rules::finding(site, data));
    }

    /// Findings of a type written in the body or signature (`Arc<Mutex<_>>`, `Rc<_>`...).
    pub fn type_findings(&mut self, ti: &TypeInfo, span: proc_macro2::Span) {
        let site = self.site(span);
        push_type_findings(&mut self.findings, ti, &site, false);
    }

    /// The site of one API category (every category but `Cpu`, which is work, not a finding).
    pub fn api(&mut self, api: Api, what: &str, span: proc_macro2::Span, cx: &Context) {
        let api_path = what.to_string();
        match api {
            Api::Io | Api::Sleep => {
                self.io_weight += 10;
                self.push(span, FindingData::Io { api: api_path });
                self.blocking(Blocking::Call(what.to_string()), span, cx);
            }
            Api::IoQuick => {
                self.io_weight += 10;
                self.push(span, FindingData::Io { api: api_path });
            }
            Api::Console => {
                self.io_weight += 1;
                self.push(span, FindingData::Io { api: api_path });
            }
            Api::Recv | Api::Join => self.blocking(Blocking::Call(api_path), span, cx),
            Api::ProcessGlobal => self.push(span, FindingData::ProcessGlobal { api: api_path }),
            Api::Spawn => self.push(span, FindingData::Spawn { api: api_path }),
            Api::Channel => self.push(span, FindingData::Channel { api: api_path }),
            Api::Ffi => self.push(span, FindingData::Ffi { api: api_path }),
            Api::Cpu | Api::Detaches | Api::SyncContext | Api::Drop => {}
        }
    }

    /// A blocking site: lock-across-blocking under a guard, blocking-in-async in async context.
    pub fn blocking(&mut self, b: Blocking, span: proc_macro2::Span, cx: &Context) {
        let (line, column) = pos(span);
        match &b {
            Blocking::Await => {
                if let Some(g) = cx.held.iter().rev().find(|g| !g.is_async) {
                    let data = FindingData::LockAcrossBlocking {
                        lock: g.lock_ref(),
                        blocker: ".await".into(),
                        via: None,
                    };
                    self.push(span, data);
                }
            }
            Blocking::Call(_) if cx.once => {}
            Blocking::Call(what) => {
                if let Some(g) = cx.held.last() {
                    let data = FindingData::LockAcrossBlocking {
                        lock: g.lock_ref(),
                        blocker: what.clone(),
                        via: None,
                    };
                    self.push(span, data);
                }
                if cx.in_async {
                    let data = FindingData::BlockingInAsync {
                        blocker: what.clone(),
                        via: None,
                    };
                    self.push(span, data);
                }
                if self.blocking.is_none() && !cx.detached {
                    self.blocking = Some(BlockingSite {
                        what: what.clone(),
                        line,
                        column,
                    });
                }
            }
        }
    }

    /// `lock` taken again while `held`, a guard of it, is alive (guessed when either is).
    pub fn double_lock(&mut self, lock: &HeldLock, held: &HeldLock, span: proc_macro2::Span) {
        let mut lock = lock.lock_ref();
        lock.guessed = lock.guessed.or_else(|| held.guessed.clone());
        let data = FindingData::DoubleLock { lock, via: None };
        self.push(span, data);
    }

    pub fn construction(&mut self, c: &Construction, span: proc_macro2::Span) {
        let data = match c {
            Construction::SingleThread(ty) => FindingData::SingleThreadState { ty: ty.to_string() },
            Construction::SharedLock(lock) => FindingData::SharedLock {
                lock_type: lock.to_string(),
            },
            Construction::SharedAtomic(ty) => FindingData::Atomic { ty: ty.to_string() },
        };
        self.push(span, data);
    }

    /// The hotspot finding of a function named `name` whose own score is `score`, at its `fn` keyword.
    pub fn compute_hotspot(&mut self, name: &str, score: u32, span: proc_macro2::Span) {
        let data = FindingData::ComputeHotspot {
            name: name.to_string(),
            score,
        };
        self.push(span, data);
    }
}
