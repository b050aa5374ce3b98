//! `cargo run --release -p chapter-3 [-- --quick] [--seed N] [--out DIR]`
fn main() -> std::process::ExitCode {
    lab::chapter::main::<chapter_3::Chapter3>()
}
