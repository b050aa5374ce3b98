//! Claims, snapshot, 1-vs-2-thread determinism and freshness of chapter 4.
lab::chapter_tests!(chapter_4::Chapter4);
