//! `cargo run --release -p chapter-6 [-- --quick] [--seed N] [--out DIR]`
fn main() -> std::process::ExitCode {
    book_pipeline::chapter::main::<chapter_6::Chapter6>()
}
