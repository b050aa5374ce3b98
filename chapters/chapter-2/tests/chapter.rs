//! Claims, snapshot, 1-vs-2-thread determinism and freshness of chapter 2.
lab::chapter_tests!(chapter_2::Chapter2);
