//! Claims, snapshot, 1-vs-2-thread determinism and freshness of chapter 1.
lab::chapter_tests!(chapter_1::Chapter1);
