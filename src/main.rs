//! `cargo-concur`: the thin front. Parses arguments, runs the verb, maps the outcome to an exit code.

fn main() {
    std::process::exit(cargo_concur::app::on_parse_stack(run));
}

fn run() -> i32 {
    let cli = match cargo_concur::cli::parse(std::env::args_os().collect()) {
        cargo_concur::cli::Parsed::Run(cli) => *cli,
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
