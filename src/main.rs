//! `cargo-concur`: the thin front. Parses arguments, runs the verb, maps the outcome to an exit code.

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
    cargo_concur::render::init_color(cli.color);
    match cargo_concur::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            cargo_concur::render::status::error(&e.message);
            e.code
        }
    }
}
