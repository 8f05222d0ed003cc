//! `cargo-concur`: the thin front. Parses arguments, runs the verb, maps the outcome to an exit code; and the
//! process's allocator.

/// mimalloc (its v2 line): `analyze` parses in parallel, making and dropping millions of small syntax-tree
/// nodes, and glibc's malloc took about a third of its CPU time. On tokio (`cargo bench --bench analyze`):
/// analyze 140 ms with glibc, 110 ms with mimalloc; its own peak RSS 23 MB and 30 MB. The harness and the test
/// binaries `profile` measures are other programs, with their own allocators.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Where the system overcommits, mimalloc commits its first arena whole and asks for transparent huge pages on
/// it: 42 MB of peak RSS on tokio instead of 30. Arenas are committed as they are used instead. The process's
/// first arena is reserved at Rust's first allocation, before `main`, so the option is set from the init
/// array. (Not mimalloc's `allow_thp = 0`: that turns transparent huge pages off with `prctl`, for every
/// process a `profile` run starts too.)
#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static MIMALLOC_OPTIONS: extern "C" fn() = mimalloc_options;

#[cfg(target_os = "linux")]
extern "C" fn mimalloc_options() {
    extern "C" {
        /// mimalloc's own (`mimalloc.h`), linked in with the allocator.
        fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    }
    /// `mi_option_arena_eager_commit` in mimalloc v2's `mi_option_e`.
    const ARENA_EAGER_COMMIT: std::ffi::c_int = 4;
    // SAFETY: sets one option of the allocator linked into this executable; called once, before `main`.
    unsafe { mi_option_set(ARENA_EAGER_COMMIT, 0) }
}

fn main() {
    // The processes model of test binaries re-executes cargo-concur as its test launcher.
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if raw
        .get(1)
        .is_some_and(|a| a == cargo_concur::profile::launcher::VERB)
    {
        let rest: Vec<String> = raw[2..]
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        std::process::exit(cargo_concur::profile::launcher::main(&rest));
    }
    std::process::exit(cargo_concur::app::on_parse_stack(run));
}

fn run() -> i32 {
    let cli = match cargo_concur::cli::parse(std::env::args_os().collect()) {
        cargo_concur::cli::Parsed::Run(cli) => *cli,
        cargo_concur::cli::Parsed::Exit(code) => return code,
    };
    cargo_concur::render::init_color(cli.color_when());
    cargo_concur::render::status::set_verbosity(cli.verbosity());
    match cargo_concur::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            cargo_concur::render::status::error(&e.message);
            e.code
        }
    }
}
