//! The async part of the cargo-concur harness, appended to `harness_template.rs` only when some workload's
//! `run` is an `async fn` (the harness then depends on tokio: rt, rt-multi-thread, time). It adapts async
//! jobs to the sync models (each thread blocks on its own current-thread runtime, one job at a time) and
//! runs them as tasks: `run_async`, K jobs in flight on a current-thread or an N-worker multi-thread
//! runtime, with the same digests, per-job times and panic reports as the other models.

/// An async workload without setup: `pub async fn(usize) -> R`.
pub struct AsyncPlain<F>(pub F);

impl<R, Fut, F> AsyncInstance for AsyncPlain<F>
where
    R: Debug,
    Fut: std::future::Future<Output = R> + Send + 'static,
    F: Fn(usize) -> Fut + Sync,
{
    fn job(
        &'static self,
        job: usize,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send + 'static>> {
        let fut = (self.0)(job);
        Box::pin(async move { format!("{:?}", fut.await) })
    }
}

/// An async workload with setup: `pub async fn(&S, usize) -> R`, the setup value shared by every task.
pub struct AsyncShared<S, F> {
    state: S,
    run: F,
}

impl<S, F> AsyncShared<S, F> {
    pub fn new(state: S, run: F) -> AsyncShared<S, F> {
        AsyncShared { state, run }
    }
}

impl<S, R, Fut, F> AsyncInstance for AsyncShared<S, F>
where
    S: Sync + 'static,
    R: Debug,
    Fut: std::future::Future<Output = R> + Send + 'static,
    F: Fn(&'static S, usize) -> Fut + Sync,
{
    fn job(
        &'static self,
        job: usize,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send + 'static>> {
        let fut = (self.run)(&self.state, job);
        Box::pin(async move { format!("{:?}", fut.await) })
    }
}

/// Builds an async instance for the whole process (its futures borrow it for `'static`).
pub fn leak<T: AsyncInstance + 'static>(instance: T) -> &'static dyn AsyncInstance {
    Box::leak(Box::new(instance))
}

thread_local! {
    /// The current-thread runtime of this OS thread, for async jobs under the sync models.
    static THREAD_RUNTIME: Option<tokio::runtime::Runtime> = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok();
}

/// An async workload under a sync model: each job blocks this thread on its own current-thread runtime.
pub struct Blocking(pub &'static dyn AsyncInstance);

impl Instance for Blocking {
    fn job(&self, job: usize) -> String {
        let fut = self.0.job(job);
        THREAD_RUNTIME.with(|rt| match rt {
            Some(rt) => rt.block_on(fut),
            None => panic!("cannot build a current-thread tokio runtime on this thread"),
        })
    }
}

/// `make` of an async entry: the leaked instance behind the sync `Instance` interface.
pub fn blocking(instance: &'static dyn AsyncInstance) -> Box<dyn Instance> {
    Box::new(Blocking(instance))
}

/// One job's future, marked with its id for the panic and crash hooks and in the running slots while it is
/// polled, its panic caught; `state` (its entry in `IN_FLIGHT`) becomes `TASK_DONE` when it finished.
struct Marked {
    job: usize,
    state: &'static AtomicU8,
    fut: std::pin::Pin<Box<dyn std::future::Future<Output = String> + Send + 'static>>,
}

impl std::future::Future for Marked {
    type Output = Result<String, String>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<String, String>> {
        let job = self.job;
        // While it is polled, the job holds this worker thread: a timeout names it as running (the tasks in
        // flight that are not polled are named as waiting).
        let slot = running_slot();
        RUNNING[slot].store(job + 1, Ordering::SeqCst);
        CURRENT_JOB.with(|c| c.set(Some(job)));
        let polled = catch_unwind(AssertUnwindSafe(|| self.fut.as_mut().poll(cx)));
        CURRENT_JOB.with(|c| c.set(None));
        RUNNING[slot].store(0, Ordering::SeqCst);
        if !matches!(polled, Ok(std::task::Poll::Pending)) {
            self.state.store(TASK_DONE, Ordering::SeqCst);
        }
        match polled {
            Ok(std::task::Poll::Ready(text)) => std::task::Poll::Ready(Ok(text)),
            Ok(std::task::Poll::Pending) => std::task::Poll::Pending,
            Err(p) => std::task::Poll::Ready(Err(one_line(&panic_text(p.as_ref())))),
        }
    }
}

/// Runs the jobs as tasks on one tokio runtime (`current-thread`, or `multi-thread` with `workers`
/// worker threads), keeping `in_flight` of them started and not finished; the first panic stops the run.
fn run_async(
    entry: &Entry,
    jobs: usize,
    runtime: &str,
    workers: usize,
    in_flight: usize,
) -> (Report, Option<Failure>) {
    let Some(make) = entry.make_async else {
        usage(&format!("workload {} is not async", entry.name))
    };
    let mut builder = match runtime {
        "current-thread" => tokio::runtime::Builder::new_current_thread(),
        "multi-thread" => {
            let mut b = tokio::runtime::Builder::new_multi_thread();
            b.worker_threads(workers.max(1));
            b
        }
        other => usage(&format!("unknown runtime {other}")),
    };
    let start = Instant::now();
    let instance = make();
    let setup_ns = start.elapsed().as_nanos() as u64;
    let mut report = Report::in_process(setup_ns, jobs);
    let rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            let message = format!("cannot build the {runtime} tokio runtime: {e}");
            return (report, Some(Failure { kind: protocol::KIND_CRASH, job: None, message }));
        }
    };
    // Each job's task state, for the timeout's report of the tasks in flight.
    let board: &'static [AtomicU8] =
        Box::leak((0..jobs).map(|_| AtomicU8::new(0)).collect::<Vec<_>>().into_boxed_slice());
    IN_FLIGHT_LEN.store(jobs, Ordering::SeqCst);
    IN_FLIGHT.store(board.as_ptr() as *mut AtomicU8, Ordering::SeqCst);
    let start = Instant::now();
    let (done, failure) = rt.block_on(async move {
        let mut set = tokio::task::JoinSet::new();
        let mut next = 0usize;
        let mut done: Vec<(usize, u64, u64)> = Vec::with_capacity(jobs);
        let mut failure: Option<Failure> = None;
        let spawn = |set: &mut tokio::task::JoinSet<_>, job: usize| {
            let state = &board[job];
            state.store(TASK_IN_FLIGHT, Ordering::SeqCst);
            set.spawn(async move {
                let t = Instant::now();
                let out = Marked { job, state, fut: instance.job(job) }.await;
                (job, out, t.elapsed().as_nanos() as u64)
            });
        };
        while next < jobs && next < in_flight {
            spawn(&mut set, next);
            next += 1;
        }
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((job, Ok(text), ns)) => done.push((job, job_digest(job, &text), ns)),
                Ok((job, Err(message), _)) => {
                    failure = Some(Failure { kind: protocol::KIND_PANIC, job: Some(job), message });
                    break;
                }
                Err(e) => {
                    let message = format!("a task ended without a result: {e}");
                    failure = Some(Failure { kind: protocol::KIND_CRASH, job: None, message });
                    break;
                }
            }
            if next < jobs {
                spawn(&mut set, next);
                next += 1;
            }
        }
        set.abort_all();
        (done, failure)
    });
    report.jobs_wall_ns = start.elapsed().as_nanos() as u64;
    // Tasks still blocked in a failed run are not waited for.
    rt.shutdown_background();
    for (job, digest, ns) in done {
        report.job_ns[job] = ns;
        report.job_digests[job] = digest;
        report.digest = report.digest.wrapping_add(digest);
    }
    (report, failure)
}
