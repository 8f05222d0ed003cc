//! `cargo-concur`: the thin front. Parses arguments, runs the verb, maps the outcome to an exit code.

fn main() {
    // The work runs on a thread with a big stack: files are parsed and walked on it too (workload
    // signatures), and the nesting limit follows the stack of the thread that parses.
    let stack = cargo_concur::parse::depth::BIG_STACK;
    let work = std::thread::Builder::new()
        .name("concur-main".into())
        .stack_size(stack)
        .spawn(move || {
            cargo_concur::parse::depth::set_thread_stack(stack);
            run()
        });
    let code = match work {
        Ok(handle) => handle.join().unwrap_or(cargo_concur::exit::INTERNAL),
        // No thread with that stack: run here (the nesting bound then applies only in the parse pool).
        Err(_) => run(),
    };
    std::process::exit(code);
}

fn run() -> i32 {
    let cli = match cargo_concur::cli::parse(std::env::args_os().collect()) {
        cargo_concur::cli::Parsed::Run(cli) => cli,
        cargo_concur::cli::Parsed::Exit(code) => return code,
    };
    cargo_concur::render::init_color(cli.color);
    match cargo_concur::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            cargo_concur::render::status::error(&e.message);
            e.code
        }
    }
}
