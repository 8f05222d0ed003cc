"""cargo-concur's Python workload runner: one run of one (model, workers) pair of a Python workload.

Usage: python runner.py SPEC.json MODEL WORKERS [--order forward|reverse] [--board PATH]

SPEC.json: {"module", "call", "setup" (or null), "pass": "shared" | "pickle", "jobs"}. `call` is evaluated
with `job` (the job id), `data` (the value of `setup`, or None) and the module bound to `m` and to its own
last name. Models:
  sequential  one process, `setup` once, jobs 0..jobs in order;
  threads     concurrent.futures.ThreadPoolExecutor(WORKERS): one `setup`, shared by every thread;
  processes   concurrent.futures.ProcessPoolExecutor(WORKERS) with the spawn start method: with
              pass = "shared" each worker builds `setup` once (initializer); with pass = "pickle" the parent
              builds it once and every job receives it pickled.
Prints one JSON line (the fields of the Rust harness, plus Python's own): setup_ns, jobs_wall_ns, job_ns,
digest (order-independent sum over jobs of FNV-1a(job ":" repr(result))), job_digests (each job's, hex, by
job id), self_maxrss_kb,
workers_maxrss_kb, pool_start_ns (pool creation until every worker is ready, setup included),
pickled_bytes_per_job, gil_enabled, python, start_method; or {"error": {"kind", "job", "message"}} and
exit code 1.

--board PATH: a file of `jobs` zero bytes that every process of the run maps (MAP_SHARED) and marks, one
byte per job: 1 when the job starts, 2 when it ends. A store to shared memory, no system call: whatever the
job does (a C call that never returns to the interpreter, where no signal handler could run), the host
reads after it killed the run which jobs were running.
"""

import concurrent.futures as cf
import importlib
import json
import mmap
import multiprocessing as mp
import pickle
import resource
import sys
import threading
import time
import traceback

MASK = (1 << 64) - 1


def fnv1a(text):
    h = 0xCBF29CE484222325
    for b in text.encode("utf-8", "surrogatepass"):
        h = ((h ^ b) * 0x100000001B3) & MASK
    return h


def job_digest(job, result):
    return fnv1a("%d:%r" % (job, result))


def maxrss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class JobError(Exception):
    def __init__(self, job, message):
        super().__init__(job, message)
        self.job = job
        self.message = message


# Per-process state: the compiled call, its scope and the setup value.
_STATE = {}

# This process's map of the job board (None without --board).
_BOARD = [None]

STARTED, ENDED = 1, 2


def _open_board(path, jobs):
    if path is None or jobs <= 0:
        return
    with open(path, "r+b") as f:
        _BOARD[0] = mmap.mmap(f.fileno(), jobs)


def _prepare(spec):
    try:
        module = importlib.import_module(spec["module"])
    except ImportError as e:
        raise JobError(None, "cannot import the extension module `%s`: %s" % (spec["module"], e)) from None
    scope = {"m": module, spec["module"].rsplit(".", 1)[-1]: module}
    try:
        code = compile(spec["call"], "<call>", "eval")
        setup = compile(spec["setup"], "<setup>", "eval") if spec.get("setup") else None
    except SyntaxError as e:
        raise JobError(None, "invalid Python expression: %s" % e) from None
    _STATE.update(scope=scope, code=code, setup=setup)
    return scope


def _build_setup():
    if _STATE["setup"] is None:
        return None, 0
    t = time.perf_counter_ns()
    data = eval(_STATE["setup"], dict(_STATE["scope"]))
    return data, time.perf_counter_ns() - t


def _run(job, data):
    scope = dict(_STATE["scope"])
    scope["job"] = job
    scope["data"] = data
    board = _BOARD[0]
    if board is not None:
        board[job] = STARTED
    t = time.perf_counter_ns()
    try:
        result = eval(_STATE["code"], scope)
    except Exception as e:  # the job failed: say which one
        raise JobError(job, "%s: %s" % (type(e).__name__, e)) from None
    finally:
        if board is not None:
            board[job] = ENDED
    ns = time.perf_counter_ns() - t
    return job, job_digest(job, result), ns


# Process workers.
def _worker_init(spec, barrier, board):
    _STATE["barrier"] = barrier
    _open_board(board, int(spec["jobs"]))
    _prepare(spec)
    if spec["pass"] == "shared":
        _STATE["data"], _STATE["setup_ns"] = _build_setup()
    else:
        _STATE["data"], _STATE["setup_ns"] = None, 0


def _worker_ready():
    # Every worker blocks here until all are started: the pool's start-up ends when the barrier opens.
    _STATE["barrier"].wait(600)
    return _STATE["setup_ns"]


def _worker_job(job):
    return _run(job, _STATE["data"]) + (mp.current_process().pid, maxrss_kb())


def _worker_job_with(data, job):
    return _run(job, data) + (mp.current_process().pid, maxrss_kb())


def main(argv):
    with open(argv[1]) as f:
        spec = json.load(f)
    model, workers = argv[2], int(argv[3])
    options = dict(zip(argv[4::2], argv[5::2]))
    # `--order reverse`: the sequential model runs jobs from the last to the first (order-dependence check).
    reverse = options.get("--order") == "reverse"
    board = options.get("--board")
    jobs = int(spec["jobs"])
    _open_board(board, jobs)
    gil_enabled = getattr(sys, "_is_gil_enabled", lambda: True)()
    out = {
        "python": "%d.%d.%d" % sys.version_info[:3],
        "gil_enabled": bool(gil_enabled),
        "start_method": "spawn" if model == "processes" else None,
        "setup_ns": 0,
        "pool_start_ns": 0,
        "workers_maxrss_kb": 0,
    }
    _prepare(spec)
    job_ns = [0] * jobs
    job_digests = ["0" * 16] * jobs
    digest = 0
    out["pickled_bytes_per_job"] = 0
    if model == "processes" and spec["pass"] == "pickle":
        # The parent builds the input once; each job carries it to its worker.
        data, out["setup_ns"] = _build_setup()
        out["pickled_bytes_per_job"] = len(pickle.dumps((data, 0)))
    elif model == "processes":
        out["pickled_bytes_per_job"] = len(pickle.dumps(0))
    if model == "sequential":
        data, out["setup_ns"] = _build_setup()
        start = time.perf_counter_ns()
        for job in reversed(range(jobs)) if reverse else range(jobs):
            _, d, ns = _run(job, data)
            digest = (digest + d) & MASK
            job_ns[job] = ns
            job_digests[job] = "%016x" % d
        out["jobs_wall_ns"] = time.perf_counter_ns() - start
    elif model == "threads":
        data, out["setup_ns"] = _build_setup()
        barrier = threading.Barrier(workers)
        t0 = time.perf_counter_ns()
        with cf.ThreadPoolExecutor(workers) as pool:
            for f in [pool.submit(barrier.wait, 600) for _ in range(workers)]:
                f.result()
            out["pool_start_ns"] = time.perf_counter_ns() - t0
            start = time.perf_counter_ns()
            for job, d, ns in pool.map(lambda j: _run(j, data), range(jobs)):
                digest = (digest + d) & MASK
                job_ns[job] = ns
                job_digests[job] = "%016x" % d
            out["jobs_wall_ns"] = time.perf_counter_ns() - start
    elif model == "processes":
        ctx = mp.get_context("spawn")
        barrier = ctx.Barrier(workers)
        rss = {}
        t0 = time.perf_counter_ns()
        with cf.ProcessPoolExecutor(
            workers, mp_context=ctx, initializer=_worker_init, initargs=(spec, barrier, board)
        ) as pool:
            setups = [f.result() for f in [pool.submit(_worker_ready) for _ in range(workers)]]
            out["pool_start_ns"] = time.perf_counter_ns() - t0
            if spec["pass"] == "shared":
                out["setup_ns"] = max(setups)
            start = time.perf_counter_ns()
            if spec["pass"] == "pickle":
                futures = [pool.submit(_worker_job_with, data, job) for job in range(jobs)]
                results = (f.result() for f in futures)
            else:
                results = pool.map(_worker_job, range(jobs))
            for job, d, ns, pid, kb in results:
                digest = (digest + d) & MASK
                job_ns[job] = ns
                job_digests[job] = "%016x" % d
                rss[pid] = max(rss.get(pid, 0), kb)
            out["jobs_wall_ns"] = time.perf_counter_ns() - start
        out["workers_maxrss_kb"] = sum(rss.values())
    else:
        raise JobError(None, "unknown model %r" % model)
    out.update(job_ns=job_ns, job_digests=job_digests, digest="%016x" % digest, self_maxrss_kb=maxrss_kb())
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except JobError as e:
        kind = "invalid" if e.job is None else "panic"
        print(json.dumps({"error": {"kind": kind, "job": e.job, "message": e.message}}), flush=True)
        sys.exit(1)
    except cf.process.BrokenProcessPool as e:
        print(json.dumps({"error": {"kind": "crash", "job": None, "message": "a worker process died: %s" % e}}), flush=True)
        sys.exit(1)
    except Exception as e:
        last = traceback.format_exception_only(type(e), e)[-1].strip()
        print(json.dumps({"error": {"kind": "crash", "job": None, "message": last}}), flush=True)
        sys.exit(1)
