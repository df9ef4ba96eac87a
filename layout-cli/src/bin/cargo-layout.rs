//! `cargo-layout`: the same program as `layout-cli`, under cargo's subcommand name, so
//! `cargo layout report` runs `layout-cli report`.

#[path = "../main.rs"]
mod app;

fn main() -> std::process::ExitCode {
    app::main()
}
