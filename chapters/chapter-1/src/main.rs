//! `cargo run --release -p chapter-1 [-- --quick] [--seed N] [--out DIR]`
fn main() -> std::process::ExitCode {
    book_pipeline::chapter::main::<chapter_1::Chapter1>()
}
