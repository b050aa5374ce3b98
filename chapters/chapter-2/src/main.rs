//! `cargo run --release -p chapter-2 [-- --quick] [--seed N] [--out DIR]`
fn main() -> std::process::ExitCode {
    lab::chapter::main::<chapter_2::Chapter2>()
}
