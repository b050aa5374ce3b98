//! `cargo run --release -p chapter-5 [-- --quick] [--seed N] [--out DIR]`
fn main() -> std::process::ExitCode {
    book_pipeline::chapter::main::<chapter_5::Chapter5>()
}
