//! `cargo-concur`: the thin front. Parses arguments, runs the verb, maps the outcome to an exit code.

use clap::Parser;

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
        // No thread with that stack: run here, with the limit of a default stack.
        Err(_) => run(),
    };
    std::process::exit(code);
}

fn run() -> i32 {
    let args = cargo_concur::cli::normalize_args(std::env::args_os().collect());
    let cli = match cargo_concur::cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                cargo_concur::exit::USAGE
            } else {
                cargo_concur::exit::SUCCESS
            };
            let _ = e.print();
            return code;
        }
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
