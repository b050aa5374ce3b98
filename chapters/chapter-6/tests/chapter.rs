//! Claims, snapshot, 1-vs-2-thread determinism and freshness of chapter 6.
lab::chapter_tests!(chapter_6::Chapter6);
