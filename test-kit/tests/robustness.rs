//! What every chapter binary must survive, checked once on the small `test-chapter` binary: all
//! chapter binaries are the same `book_pipeline::chapter::main`, over their own `Chapter`.

use std::path::Path;

use test_kit::robustness::{
    assert_bad_arguments_are_refused, assert_data_errors_are_reported,
    assert_interrupted_writes_leave_whole_files, assert_unwritable_output_is_refused,
};

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_test-chapter"))
}

#[test]
fn a_chapter_binary_refuses_bad_arguments() {
    assert_bad_arguments_are_refused(binary());
}

#[test]
fn a_chapter_binary_reports_missing_truncated_and_corrupted_data() {
    assert_data_errors_are_reported(binary());
}

#[test]
fn a_chapter_binary_refuses_an_unwritable_output_folder() {
    assert_unwritable_output_is_refused(binary());
}

#[test]
fn a_chapter_binary_killed_while_writing_leaves_whole_files() {
    assert_interrupted_writes_leave_whole_files(binary());
}
