//! `cargo run --release -p chapter-2 [-- --quick] [--seed N] [--out DIR]`
fn main() -> std::process::ExitCode {
    book_pipeline::chapter::main::<chapter_2::Chapter2>()
}
