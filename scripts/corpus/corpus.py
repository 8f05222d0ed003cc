#!/usr/bin/env python3
"""The real-crate corpus: fetch pinned popular crates through cargo, analyze each one, summarise, sample, score.

    scripts/corpus/corpus.py lock                       # regenerate Cargo.toml + Cargo.lock from crates.txt
    scripts/corpus/corpus.py run [--closure] [--out DIR] [--jobs N] [-- ARGS]
                                                        # fetch (cargo fetch --locked), analyze every crate
                                                        # (one process each, N at a time, default the cores,
                                                        # with $CARGO set as `cargo concur` has it), print the
                                                        # summary; --closure: every package of the dependency
                                                        # closure, not only the listed crates
    scripts/corpus/corpus.py summary [--closure | --out DIR]
    scripts/corpus/corpus.py sample --seed S [--per-kind N] [--kind-count KIND=M ...] [--closure | --dir DIR]
                                    [--out FILE]        # N findings per kind (M for KIND) with source context,
                                                        # for labelling
    scripts/corpus/corpus.py precision [FILES...]       # precision per kind from labelled files

The crate list is `crates.txt`; their versions are pinned by `Cargo.lock` (a generated package that depends on
every crate, never built). `run` builds cargo-concur with `cargo build --release` unless `--binary` is given, and
writes one `analyze --format json` document per crate under `--out` (default: target/corpus/). Extra arguments
after `--` go to every `analyze` (e.g. `-- --all-targets`).

`--closure` widens the corpus by rule to the lock file's dependency closure on the host target: every registry
package that `cargo fetch --locked --target x86_64-unknown-linux-gnu` brings (as `cargo metadata
--filter-platform` resolves it), the listed crates and everything they depend on, each analyzed as its own
package. Its documents go to target/corpus-closure/ unless `--out` says otherwise; `summary` and `sample` read
that directory with `--closure`.

Labels live in `tests/corpus-labels/*.tsv`: a header line, then `id<TAB>kind<TAB>label<TAB>note` where label is
`right` (the finding is true and worth a user's attention for its kind) or `wrong`; an empty label is not counted.
Exit code: 0, or 1 when an analyze process crashed (a signal, a panic, or an exit code other than 0/1).
"""

import argparse
import collections
import concurrent.futures
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
HAZARDS = ["lock-across-blocking", "double-lock", "lock-order", "blocking-in-async", "process-global"]
HOST = "x86_64-unknown-linux-gnu"


def default_dir(closure):
    """Where `run` writes (and `summary`/`sample` read) by default: the listed crates or their closure."""
    return os.path.join(REPO, "target", "corpus-closure" if closure else "corpus")


def crate_names():
    with open(os.path.join(HERE, "crates.txt")) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


def cmd_lock(_args):
    names = crate_names()
    with open(os.path.join(HERE, "Cargo.toml")) as f:
        head = f.read().split("[dependencies]")[0]
    with open(os.path.join(HERE, "Cargo.toml"), "w") as f:
        f.write(head + "[dependencies]\n" + "".join(f'{n} = "*"\n' for n in names))
    subprocess.run(["cargo", "generate-lockfile", "--manifest-path", os.path.join(HERE, "Cargo.toml")], check=True)


def corpus_crates(closure=False):
    """(name, version, directory) of every crate of crates.txt, as pinned by Cargo.lock, after fetching; with
    `closure`, of every registry package of their dependency closure on the host target."""
    import glob
    import tomllib

    manifest = os.path.join(HERE, "Cargo.toml")
    subprocess.run(["cargo", "fetch", "--locked", "--target", HOST, "--manifest-path", manifest], check=True)
    if closure:
        return closure_crates(manifest)
    with open(os.path.join(HERE, "Cargo.lock"), "rb") as f:
        lock = tomllib.load(f)["package"]
    versions = collections.defaultdict(list)
    for p in lock:
        versions[p["name"]].append(p["version"])
    root = next(p for p in lock if p["name"] == "concur-corpus")
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    out = []
    for dep in root["dependencies"]:
        name, _, ver = dep.partition(" ")
        ver = ver or versions[name][0]
        dirs = glob.glob(os.path.join(home, "registry", "src", "*", f"{name}-{ver}"))
        if not dirs:
            sys.exit(f"error: {name} {ver} is not in {home}/registry/src after `cargo fetch`")
        out.append((name, ver, sorted(dirs)[0]))
    return sorted(out)


def closure_crates(manifest):
    """(name, version, directory) of every registry package that the host target's resolve of `manifest`
    reaches: what `cargo fetch --locked --target HOST` downloads."""
    p = subprocess.run(
        ["cargo", "metadata", "--locked", "--offline", "--format-version", "1", "--filter-platform", HOST,
         "--manifest-path", manifest],
        check=True, capture_output=True, text=True)
    meta = json.loads(p.stdout)
    packages = {pkg["id"]: pkg for pkg in meta["packages"]}
    out = []
    for node in meta["resolve"]["nodes"]:
        pkg = packages[node["id"]]
        if pkg["source"] is None:
            continue  # the corpus package itself
        out.append((pkg["name"], pkg["version"], os.path.dirname(pkg["manifest_path"])))
    return sorted(out)


def toolchain_cargo():
    """The toolchain's own cargo, as `cargo concur` would see it in `$CARGO` (not rustup's proxy)."""
    if os.environ.get("CARGO"):
        return os.environ["CARGO"]
    try:
        p = subprocess.run(["rustup", "which", "cargo"], capture_output=True, text=True)
        if p.returncode == 0 and p.stdout.strip():
            return p.stdout.strip()
    except OSError:
        pass
    return shutil.which("cargo") or "cargo"


def fixed_costs(env, manifest, rounds=9):
    """Median wall (ms) of the two processes every analyze starts before it reads a file, run alone."""
    rustc = os.path.join(os.path.dirname(env["CARGO"]), "rustc")
    if not os.path.isfile(rustc):
        rustc = "rustc"
    cmds = {
        "cargo metadata": [env["CARGO"], "metadata", "--format-version", "1", "--no-deps", "--offline",
                           "--manifest-path", manifest],
        "rustc --print cfg": [rustc, "--print", "cfg"],
    }
    out = {}
    for name, cmd in cmds.items():
        walls = []
        for _ in range(rounds):
            start = time.monotonic()
            subprocess.run(cmd, capture_output=True, env=env)
            walls.append((time.monotonic() - start) * 1000)
        out[name] = sorted(walls)[len(walls) // 2]
    return out


def cmd_run(args):
    binary = args.binary
    if not binary:
        subprocess.run(["cargo", "build", "--release", "--manifest-path", os.path.join(REPO, "Cargo.toml")],
                       check=True)
        binary = os.path.join(REPO, "target", "release", "cargo-concur")
    out_dir = args.out or default_dir(args.closure)
    os.makedirs(out_dir, exist_ok=True)
    crates = corpus_crates(args.closure)
    extra = args.extra[1:] if args.extra[:1] == ["--"] else args.extra
    # As `cargo concur` runs it: cargo puts its own path in $CARGO for a subcommand.
    env = dict(os.environ, CARGO=toolchain_cargo())
    fixed = fixed_costs(env, os.path.join(crates[0][2], "Cargo.toml")) if crates else {}

    def one(crate):
        name, ver, d = crate
        out_file = os.path.join(out_dir, f"{name}@{ver}.json")
        start = time.monotonic()
        try:
            p = subprocess.run(
                [binary, "concur", "analyze", "--format", "json", "--manifest-path", os.path.join(d, "Cargo.toml"),
                 "--output", out_file] + extra,
                capture_output=True, text=True, timeout=args.timeout, env=env,
            )
            code, stderr = p.returncode, p.stderr
        except subprocess.TimeoutExpired:
            code, stderr = "timeout", ""
        wall = time.monotonic() - start
        crashed = code not in (0, 1) or "panicked" in stderr
        if not args.quiet:
            print(f"{name}@{ver}: exit {code} in {wall:.2f}s", file=sys.stderr)
        return {"crate": f"{name}@{ver}", "dir": d, "code": code, "wall": wall, "crashed": crashed,
                "stderr": stderr.strip().splitlines()[-1:] if crashed else [], "out": out_file}

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        rows = list(pool.map(one, crates))
    total_wall = time.monotonic() - start
    with open(os.path.join(out_dir, "index.json"), "w") as f:
        json.dump({"rows": rows, "wall": total_wall, "extra": extra, "jobs": args.jobs, "fixed_ms": fixed},
                  f, indent=1)
    summarise(out_dir)
    return 1 if any(r["crashed"] for r in rows) else 0


def load_docs(out_dir):
    with open(os.path.join(out_dir, "index.json")) as f:
        index = json.load(f)
    docs = []
    for r in index["rows"]:
        if r["crashed"] or not os.path.exists(r["out"]):
            docs.append((r, None))
            continue
        with open(r["out"]) as f:
            docs.append((r, json.load(f)))
    return index, docs


def target_kind(doc, finding):
    """The kind of target a finding belongs to: the analyzer's `target` when it writes one, else by path."""
    if finding.get("target"):
        return finding["target"]
    f = finding["file"]
    for prefix, kind in (("tests/", "test"), ("benches/", "bench"), ("examples/", "example")):
        if f.startswith(prefix):
            return kind
    if f == "build.rs":
        return "custom-build"
    return "lib/bin"


def summarise(out_dir):
    index, docs = load_docs(out_dir)
    files = bytes_ = 0
    per_kind = collections.Counter()
    per_level = collections.Counter()
    per_target = collections.Counter()
    parse_errors = []
    crashes = []
    excluded = collections.Counter()
    for r, doc in docs:
        if doc is None:
            crashes.append(r)
            continue
        files += doc["files"]["analyzed"]
        bytes_ += doc["files"].get("bytes", 0)
        for e in doc["files"]["parse_errors"]:
            parse_errors.append((r["crate"], e))
        for k, v in doc["files"].get("excluded", {}).items():
            if isinstance(v, int):
                excluded[k] += v
        for f in doc["findings"]:
            per_kind[f["kind"]] += 1
            per_level[f["level"]] += 1
            per_target[target_kind(doc, f)] += 1
    mb = bytes_ / 1e6
    print(f"corpus: {len(docs)} crates, {files} files, {mb:.1f} MB of source, analyze args {index['extra']}")
    print(f"crashes: {len(crashes)}")
    for r in crashes:
        print(f"  {r['crate']}: exit {r['code']} {' '.join(r['stderr'])}")
    jobs = index.get("jobs", 1)
    print(f"throughput: {mb / index['wall']:.2f} MB/s end to end ({index['wall']:.1f} s for {len(docs)} processes, "
          f"{jobs} at a time, cargo metadata and rustc included; "
          f"{sum(r['wall'] for r, _ in docs):.1f} s summed over processes)")
    if index.get("fixed_ms"):
        print("fixed cost per crate, each process alone (median): "
              + ", ".join(f"{k} {v:.1f} ms" for k, v in index["fixed_ms"].items())
              + " (analyze runs them at once, and no rustc at all when the rustc beside $CARGO built cargo-concur)")
    print(f"parse errors: {len(parse_errors)}")
    for crate, e in parse_errors:
        print(f"  {crate} {e['file']}:{e['line']}:{e['column']}: {e.get('skipped', 'file')} skipped: {e['message']}")
    if excluded:
        print("left out by scope: " + ", ".join(f"{k} {v}" for k, v in sorted(excluded.items())))
    total = sum(per_kind.values())
    print(f"findings: {total} ({', '.join(f'{l} {n}' for l, n in sorted(per_level.items()))})")
    for k, n in sorted(per_kind.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {k:22} {n}")
    print("findings per target kind:")
    for k, n in sorted(per_target.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {k:22} {n}")


def finding_id(crate, f):
    return f"{crate}:{f['file']}:{f['line']}:{f['column']}:{f['kind']}"


def context(path, line, around=6):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().split("\n")
    except OSError:
        return "    (source not readable)"
    lo, hi = max(1, line - around), min(len(lines), line + around)
    return "\n".join(f"{'>' if i == line else ' '} {i:5} | {lines[i - 1]}" for i in range(lo, hi + 1))


def cmd_sample(args):
    out_dir = args.dir or default_dir(args.closure)
    _, docs = load_docs(out_dir)
    by_kind = collections.defaultdict(list)
    for r, doc in docs:
        if doc is None:
            continue
        for f in doc["findings"]:
            by_kind[f["kind"]].append((r, doc, f))
    counts = kind_counts(args.kind_count)
    rng = random.Random(args.seed)
    picked = []
    pools = {}
    for kind in sorted(by_kind):
        pool = sorted(by_kind[kind], key=lambda t: finding_id(t[0]["crate"], t[2]))
        first = rng.sample(pool, min(args.per_kind, counts.get(kind, args.per_kind), len(pool)))
        picked.extend(first)
        pools[kind] = [t for t in pool if not any(t is f for f in first)]
    # More of a kind (`--kind-count`) after every kind's first draw: the rest is what `--per-kind` alone draws.
    for kind, n in sorted(counts.items()):
        rest = pools.get(kind, [])
        picked.extend(rng.sample(rest, min(max(n - args.per_kind, 0), len(rest))))
    out = args.out or os.path.join(out_dir, f"sample-seed-{args.seed}.md")
    labels = args.labels or os.path.join(REPO, "tests", "corpus-labels", f"seed-{args.seed}.tsv")
    with open(out, "w") as fh:
        other = "".join(f", {n} of {k}" for k, n in sorted(counts.items()))
        fh.write(f"# corpus sample, seed {args.seed}, {args.per_kind} per kind{other}\n\n")
        for r, doc, f in picked:
            fid = finding_id(r["crate"], f)
            fh.write(f"## {fid}\n{f['level']} {f['kind']} in `{f.get('function')}`\n{f['message']}\n")
            if f.get("chain"):
                fh.write("chain: " + " -> ".join(f["chain"]) + "\n")
            fh.write("```\n" + context(os.path.join(r["dir"], f["file"]), f["line"]) + "\n```\n\n")
    if not os.path.exists(labels):
        os.makedirs(os.path.dirname(labels), exist_ok=True)
        with open(labels, "w") as fh:
            fh.write("id\tkind\tlabel\tnote\n")
            for r, doc, f in picked:
                fh.write(f"{finding_id(r['crate'], f)}\t{f['kind']}\t\t\n")
    print(f"wrote {len(picked)} findings to {out}; labels go in {labels}")


def kind_counts(specs):
    """`--kind-count KIND=N` options as {kind: N}: a kind drawn N times instead of `--per-kind`'s count. A
    larger N draws the extra findings after every kind's `--per-kind` draw, so the sample holds what `--per-kind`
    alone draws with the same seed, and more of that kind."""
    out = {}
    for spec in specs or []:
        kind, sep, n = spec.partition("=")
        if not sep or not n.isdigit():
            sys.exit(f"error: --kind-count takes KIND=N (a count), not `{spec}`")
        out[kind] = int(n)
    return out


def read_labels(path):
    rows = []
    with open(path) as fh:
        for i, line in enumerate(fh):
            parts = line.rstrip("\n").split("\t")
            if i == 0 or len(parts) < 3 or not parts[2].strip():
                continue
            label = parts[2].strip()
            if label not in ("right", "wrong"):
                sys.exit(f"error: {path}:{i + 1}: label must be `right` or `wrong`, not `{label}`")
            rows.append((parts[0], parts[1], label, parts[3] if len(parts) > 3 else ""))
    return rows


def cmd_precision(args):
    paths = args.files or sorted(
        os.path.join(REPO, "tests", "corpus-labels", p)
        for p in os.listdir(os.path.join(REPO, "tests", "corpus-labels")) if p.endswith(".tsv"))
    for path in paths:
        rows = read_labels(path)
        per = collections.defaultdict(lambda: [0, 0])
        for _, kind, label, _ in rows:
            per[kind][1] += 1
            per[kind][0] += label == "right"
        right = sum(v[0] for v in per.values())
        total = sum(v[1] for v in per.values())
        print(f"{os.path.relpath(path, REPO)}: {right}/{total} right ({100 * right / max(total, 1):.0f}%)")
        print("| kind | right / labelled | precision | target |")
        print("| --- | ---: | ---: | ---: |")
        for kind in sorted(per, key=lambda k: (k not in HAZARDS, k)):
            r, n = per[kind]
            target = 90 if kind in HAZARDS else 80
            print(f"| `{kind}` | {r} / {n} | {100 * r / n:.0f}% | {target}% |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("lock")
    run = sub.add_parser("run")
    run.add_argument("--binary")
    run.add_argument("--out")
    run.add_argument("--closure", action="store_true",
                     help="every package of the dependency closure (default --out: target/corpus-closure)")
    run.add_argument("--timeout", type=float, default=300)
    run.add_argument("--quiet", action="store_true")
    run.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                     help="analyze processes at a time (default: the cores)")
    run.add_argument("extra", nargs=argparse.REMAINDER)
    summ = sub.add_parser("summary")
    summ.add_argument("--out")
    summ.add_argument("--closure", action="store_true")
    sample = sub.add_parser("sample")
    sample.add_argument("--seed", type=int, required=True)
    sample.add_argument("--per-kind", type=int, default=10)
    sample.add_argument("--kind-count", action="append", metavar="KIND=N",
                        help="draw N findings of KIND instead of --per-kind (repeatable)")
    sample.add_argument("--dir")
    sample.add_argument("--closure", action="store_true")
    sample.add_argument("--out")
    sample.add_argument("--labels")
    prec = sub.add_parser("precision")
    prec.add_argument("files", nargs="*")
    args = ap.parse_args()
    if args.cmd == "lock":
        cmd_lock(args)
    elif args.cmd == "run":
        sys.exit(cmd_run(args))
    elif args.cmd == "summary":
        summarise(args.out or default_dir(args.closure))
    elif args.cmd == "sample":
        cmd_sample(args)
    elif args.cmd == "precision":
        cmd_precision(args)


if __name__ == "__main__":
    main()
