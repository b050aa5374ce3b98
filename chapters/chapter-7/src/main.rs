//! `cargo run --release -p chapter-7 [-- --quick] [--seed N] [--out DIR]`
fn main() -> std::process::ExitCode {
    book_pipeline::chapter::main::<chapter_7::Chapter7>()
}
