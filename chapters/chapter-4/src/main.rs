//! `cargo run --release -p chapter-4 [-- --quick] [--seed N] [--out DIR]`
fn main() -> std::process::ExitCode {
    lab::chapter::main::<chapter_4::Chapter4>()
}
