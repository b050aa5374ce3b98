//! Seeded random number generators.
//!
//! Every random draw in the book comes from a [`ChaCha8Rng`] built here, from a seed and a
//! *stream* number. A parallel task (one seed of a sweep, one block of a mask) takes its own
//! stream, derived from what it computes and never from the thread that runs it, so results are
//! the same bits whatever the number of threads. ChaCha8 is specified and
//! portable: unlike `StdRng`, its output cannot change with a crate upgrade.

pub use ndarray_rand::rand::{Rng, RngCore, SeedableRng};
pub use rand_chacha::ChaCha8Rng;

/// The generator for `seed`, on stream 0.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// The generator for `seed` on an independent `stream` (e.g. a task index).
///
/// ChaCha streams with the same key are independent sequences: use one per parallel task.
pub fn rng_stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(stream);
    r
}

/// Derive a child seed from a parent seed and a label, e.g. `derive_seed(seed, "init")`.
///
/// Lets one user-facing `--seed` drive several independent generators (initialisation, batch
/// order, dropout masks) without them sharing a sequence. FNV-1a then SplitMix64 finalisation.
pub fn derive_seed(seed: u64, label: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    splitmix64(seed ^ h)
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Fisher–Yates shuffle of `0..n`, deterministic for a given generator state.
pub fn permutation(n: usize, rng: &mut impl Rng) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        idx.swap(i, j);
    }
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_numbers_and_streams_differ() {
        let a: Vec<u32> = (0..4).map(|_| rng(7).next_u32()).collect();
        assert!(a.iter().all(|&x| x == a[0]));
        let s0: Vec<u32> = {
            let mut r = rng_stream(7, 0);
            (0..8).map(|_| r.next_u32()).collect()
        };
        let s1: Vec<u32> = {
            let mut r = rng_stream(7, 1);
            (0..8).map(|_| r.next_u32()).collect()
        };
        assert_ne!(s0, s1);
        assert_ne!(derive_seed(1, "init"), derive_seed(1, "batches"));
        assert_ne!(derive_seed(1, "init"), derive_seed(2, "init"));
    }

    #[test]
    fn permutation_is_a_permutation() {
        let mut p = permutation(1000, &mut rng(3));
        assert_ne!(p[..10], (0..10).collect::<Vec<_>>()[..]);
        p.sort_unstable();
        assert_eq!(p, (0..1000).collect::<Vec<_>>());
    }
}
