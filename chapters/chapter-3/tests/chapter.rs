//! Claims, snapshot, 1-vs-2-thread determinism and freshness of chapter 3.
lab::chapter_tests!(chapter_3::Chapter3);
