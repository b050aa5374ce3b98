//! `cargo run --release -p chapter-4 [-- --quick] [--seed N] [--out DIR]`
fn main() -> std::process::ExitCode {
    book_pipeline::chapter::main::<chapter_4::Chapter4>()
}
