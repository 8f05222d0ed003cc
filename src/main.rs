//! `cargo-concur`: the thin front. Parses arguments, runs the verb, maps the outcome to an exit code.

fn main() {
    let args = cargo_concur::cli::normalize_args(std::env::args_os().collect());
    let cli = match cargo_concur::cli::Cli::parse_args(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() {
                cargo_concur::exit::USAGE
            } else {
                cargo_concur::exit::SUCCESS
            };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    cargo_concur::render::init_color(cli.color_when());
    cargo_concur::render::status::set_verbosity(cli.verbosity());
    let code = match cargo_concur::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            cargo_concur::render::status::error(&e.message);
            e.code
        }
    };
    std::process::exit(code);
}
