//! `cargo run --release -p chapter-1 [-- --quick] [--seed N] [--out DIR]`

/// mimalloc, as the bench: a training step's short-lived arrays reuse freed memory instead of
/// faulting in fresh pages (the performance appendix, "The allocator", measures why).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    book_pipeline::chapter::main::<chapter_1::Chapter1>()
}
