//! `cargo run --release -p chapter-3 [-- --quick] [--seed N] [--out DIR]`
fn main() -> std::process::ExitCode {
    book_pipeline::chapter::main::<chapter_3::Chapter3>()
}
