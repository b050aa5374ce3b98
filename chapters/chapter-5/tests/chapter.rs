//! Claims, snapshot, 1-vs-2-thread determinism and freshness of chapter 5.
lab::chapter_tests!(chapter_5::Chapter5);
