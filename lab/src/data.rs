//! Data: the Fashion-MNIST IDX files, splits and subsets, scaling, mini-batches, and small
//! synthetic sets for fast tests.
//!
//! The four `.gz` files live in `data/fashion-mnist/` at the root of the repository. They are
//! checked on every load (magic number, dimensions, item count, SHA-256 of the decompressed
//! bytes); a bad file gives a [`DataError`] that names it and says how to restore it.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use ndarray::{Array2, Axis};
use ndarray_rand::rand::Rng;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::rng::{permutation, rng};

/// A labelled data set: one sample per row.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// `(n, features)`
    pub x: Array2<f32>,
    /// `(n)`, class indices in `0..classes`
    pub y: Vec<usize>,
    pub classes: usize,
}

/// The Fashion-MNIST class names, in label order.
pub const FASHION_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// What can be wrong with a data file. Every message names the file and how to restore it.
#[derive(Debug, Error)]
pub enum DataError {
    #[error("{path}: file not found. {RESTORE}")]
    Missing { path: PathBuf },
    #[error("{path}: cannot read ({source}). {RESTORE}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: truncated or not gzip ({detail}). {RESTORE}")]
    Truncated { path: PathBuf, detail: String },
    #[error("{path}: bad magic number {found:#010x}, expected {expected:#010x}. {RESTORE}")]
    BadMagic {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("{path}: {detail}. {RESTORE}")]
    BadShape { path: PathBuf, detail: String },
    #[error(
        "{path}: checksum mismatch (SHA-256 of contents {found}, expected {expected}). {RESTORE}"
    )]
    Checksum {
        path: PathBuf,
        found: String,
        expected: String,
    },
}

const RESTORE: &str = "Restore the original with `git checkout -- data/fashion-mnist` \
                       (see data/fashion-mnist/SOURCE)";

/// One of the four files: its name, what it must hold, and the SHA-256 of its decompressed bytes.
struct IdxFile {
    name: &'static str,
    magic: u32,
    dims: &'static [u32],
    sha256: &'static str,
}

const TRAIN_IMAGES: IdxFile = IdxFile {
    name: "train-images-idx3-ubyte.gz",
    magic: 0x0803,
    dims: &[60_000, 28, 28],
    sha256: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
};
const TRAIN_LABELS: IdxFile = IdxFile {
    name: "train-labels-idx1-ubyte.gz",
    magic: 0x0801,
    dims: &[60_000],
    sha256: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
};
const TEST_IMAGES: IdxFile = IdxFile {
    name: "t10k-images-idx3-ubyte.gz",
    magic: 0x0803,
    dims: &[10_000, 28, 28],
    sha256: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
};
const TEST_LABELS: IdxFile = IdxFile {
    name: "t10k-labels-idx1-ubyte.gz",
    magic: 0x0801,
    dims: &[10_000],
    sha256: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
};

/// The repository's `data/fashion-mnist` folder, or `$FASHION_MNIST_DIR` if set.
pub fn fashion_mnist_dir() -> PathBuf {
    std::env::var_os("FASHION_MNIST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/fashion-mnist"))
}

/// Read and check one IDX file: returns its payload (the bytes after the header).
fn read_idx(dir: &Path, spec: &IdxFile) -> Result<Vec<u8>, DataError> {
    let path = dir.join(spec.name);
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(DataError::Missing { path });
        }
        Err(source) => return Err(DataError::Unreadable { path, source }),
    };
    let mut bytes = Vec::new();
    GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .map_err(|e| DataError::Truncated {
            path: path.clone(),
            detail: e.to_string(),
        })?;
    parse_idx(&path, &bytes, spec)
}

fn parse_idx(path: &Path, bytes: &[u8], spec: &IdxFile) -> Result<Vec<u8>, DataError> {
    let header_len = 4 + 4 * spec.dims.len();
    let word = |i: usize| u32::from_be_bytes(bytes[4 * i..4 * i + 4].try_into().expect("4 bytes"));
    if bytes.len() < 4 {
        return Err(DataError::Truncated {
            path: path.into(),
            detail: format!("{} bytes", bytes.len()),
        });
    }
    if word(0) != spec.magic {
        return Err(DataError::BadMagic {
            path: path.into(),
            found: word(0),
            expected: spec.magic,
        });
    }
    if bytes.len() < header_len {
        return Err(DataError::Truncated {
            path: path.into(),
            detail: "header cut short".into(),
        });
    }
    let dims: Vec<u32> = (1..=spec.dims.len()).map(word).collect();
    if dims != spec.dims {
        return Err(DataError::BadShape {
            path: path.into(),
            detail: format!("dimensions {dims:?}, expected {:?}", spec.dims),
        });
    }
    let expected_len: usize = spec.dims.iter().map(|&d| d as usize).product();
    let payload = &bytes[header_len..];
    if payload.len() != expected_len {
        return Err(DataError::BadShape {
            path: path.into(),
            detail: format!(
                "{} data bytes, expected {expected_len} (wrong item count)",
                payload.len()
            ),
        });
    }
    let found = hex(&Sha256::digest(bytes));
    if found != spec.sha256 {
        return Err(DataError::Checksum {
            path: path.into(),
            found,
            expected: spec.sha256.into(),
        });
    }
    Ok(payload.to_vec())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The standard split: 60,000 training and 10,000 test images, pixels scaled to [0, 1].
#[derive(Clone, Debug)]
pub struct FashionMnist {
    pub train: Dataset,
    pub test: Dataset,
}

/// Load Fashion-MNIST from [`fashion_mnist_dir`]. When `$FASHION_MNIST_DIR` chose the folder, an
/// error says so (its advice to restore the repository's copy would otherwise mislead).
pub fn fashion_mnist() -> anyhow::Result<FashionMnist> {
    let dir = fashion_mnist_dir();
    let data = fashion_mnist_from(&dir);
    if std::env::var_os("FASHION_MNIST_DIR").is_some() {
        use anyhow::Context as _;
        return data.with_context(|| {
            format!(
                "loading Fashion-MNIST from $FASHION_MNIST_DIR = {}",
                dir.display()
            )
        });
    }
    Ok(data?)
}

/// Load Fashion-MNIST from a given folder (the four `.gz` files, checked).
pub fn fashion_mnist_from(dir: &Path) -> Result<FashionMnist, DataError> {
    let load = |images: &IdxFile, labels: &IdxFile| -> Result<Dataset, DataError> {
        let pixels = read_idx(dir, images)?;
        let y: Vec<usize> = read_idx(dir, labels)?
            .into_iter()
            .map(usize::from)
            .collect();
        if let Some(&bad) = y.iter().find(|&&c| c >= 10) {
            return Err(DataError::BadShape {
                path: dir.join(labels.name),
                detail: format!("label {bad} ≥ 10"),
            });
        }
        let x = Array2::from_shape_vec(
            (y.len(), 784),
            pixels.into_iter().map(|p| f32::from(p) / 255.0).collect(),
        )
        .expect("checked length");
        Ok(Dataset { x, y, classes: 10 })
    };
    Ok(FashionMnist {
        train: load(&TRAIN_IMAGES, &TRAIN_LABELS)?,
        test: load(&TEST_IMAGES, &TEST_LABELS)?,
    })
}

impl Dataset {
    /// Inputs without class labels (every label 0, one class): for a regression, whose loss
    /// (a [`LossFn`](crate::train::LossFn)) holds the targets and looks them up by row.
    pub fn unlabelled(x: Array2<f32>) -> Dataset {
        Dataset {
            y: vec![0; x.nrows()],
            x,
            classes: 1,
        }
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }
    pub fn features(&self) -> usize {
        self.x.ncols()
    }

    /// The rows `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Dataset {
        Dataset {
            x: self.x.select(Axis(0), idx),
            y: idx.iter().map(|&i| self.y[i]).collect(),
            classes: self.classes,
        }
    }

    /// A seeded split into `(rest, validation)` with `n_val` validation samples.
    pub fn split_validation(&self, n_val: usize, seed: u64) -> (Dataset, Dataset) {
        assert!(n_val < self.len(), "validation set larger than the data");
        let p = permutation(self.len(), &mut rng(seed));
        let (val, rest) = p.split_at(n_val);
        let mut rest = rest.to_vec();
        let mut val = val.to_vec();
        rest.sort_unstable();
        val.sort_unstable();
        (self.select(&rest), self.select(&val))
    }

    /// A seeded subset of `n` samples with the classes in the same proportions as the whole
    /// (each class gets its share, rounded down, then the remainder goes to the first classes).
    pub fn stratified_subset(&self, n: usize, seed: u64) -> Dataset {
        assert!(n <= self.len(), "subset larger than the data");
        let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); self.classes];
        for (i, &c) in self.y.iter().enumerate() {
            by_class[c].push(i);
        }
        let mut r = rng(seed);
        let mut quota: Vec<usize> = by_class.iter().map(|v| v.len() * n / self.len()).collect();
        let mut short = n - quota.iter().sum::<usize>();
        for (c, q) in quota.iter_mut().enumerate() {
            if short == 0 {
                break;
            }
            if *q < by_class[c].len() {
                *q += 1;
                short -= 1;
            }
        }
        let mut idx = Vec::with_capacity(n);
        for (members, q) in by_class.iter().zip(quota) {
            let p = permutation(members.len(), &mut r);
            idx.extend(p[..q].iter().map(|&j| members[j]));
        }
        idx.sort_unstable();
        self.select(&idx)
    }

    /// Seeded mini-batches of indices for one epoch; the last batch may be smaller.
    pub fn batches(&self, batch_size: usize, rng: &mut impl Rng) -> Vec<Vec<usize>> {
        permutation(self.len(), rng)
            .chunks(batch_size)
            .map(<[usize]>::to_vec)
            .collect()
    }

    /// Samples per class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        self.y.iter().for_each(|&c| counts[c] += 1);
        counts
    }
}

/// Mean and standard deviation of all pixels of a training set, to standardise every split with
/// the same numbers (never with statistics of the test set).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Standardizer {
    pub mean: f32,
    pub std: f32,
}

impl Standardizer {
    pub fn fit(train: &Dataset) -> Self {
        let (mean, std) = crate::stats::moments(train.x.iter());
        Standardizer {
            mean: mean as f32,
            std: std as f32,
        }
    }
    /// The standardised value of the raw pixel value `v`.
    pub fn standardize(&self, v: f32) -> f32 {
        (v - self.mean) / self.std
    }
    /// `x ← (x − mean) / std`.
    pub fn apply(&self, data: &mut Dataset) {
        let (m, s) = (self.mean, self.std);
        data.x.mapv_inplace(|v| (v - m) / s);
    }
}

/// Which test rows a chapter scores on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TestRows {
    /// All 10,000.
    All,
    /// The first `n`, in file order.
    First(usize),
    /// A seeded stratified subset of `n` (see [`Dataset::stratified_subset`]).
    Stratified(usize, u64),
}

/// A chapter's share of Fashion-MNIST: a stratified training subset, optionally a validation
/// set held out of the training images first, and test rows; every split is standardised with
/// the training subset's pixel statistics.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FashionSubset {
    /// Training samples and the seed of their stratified draw.
    pub train: usize,
    pub train_seed: u64,
    /// Validation samples and the seed of their draw, held out before the training subset.
    pub validation: Option<(usize, u64)>,
    pub test: TestRows,
}

/// The standardised splits of a [`FashionSubset`].
#[derive(Clone, Debug)]
pub struct Splits {
    pub train: Dataset,
    /// Empty without a validation set.
    pub validation: Dataset,
    pub test: Dataset,
    /// The training subset's pixel statistics every split was standardised with.
    pub scaler: Standardizer,
}

impl FashionSubset {
    /// `train` samples drawn with `seed`, every test row, no validation set.
    pub fn new(train: usize, seed: u64) -> Self {
        FashionSubset {
            train,
            train_seed: seed,
            validation: None,
            test: TestRows::All,
        }
    }
    pub fn with_test(self, test: TestRows) -> Self {
        FashionSubset { test, ..self }
    }
    pub fn with_validation(self, n: usize, seed: u64) -> Self {
        FashionSubset {
            validation: Some((n, seed)),
            ..self
        }
    }

    /// Load Fashion-MNIST ([`fashion_mnist`]) and take the splits.
    pub fn load(&self) -> anyhow::Result<Splits> {
        Ok(self.take(fashion_mnist()?))
    }

    /// The splits of `data`.
    pub fn take(&self, data: FashionMnist) -> Splits {
        let (rest, mut validation) = match self.validation {
            Some((n, seed)) => data.train.split_validation(n, seed),
            None => {
                let features = data.train.features();
                (
                    data.train,
                    Dataset::unlabelled(Array2::zeros((0, features))),
                )
            }
        };
        let mut train = rest.stratified_subset(self.train, self.train_seed);
        let mut test = match self.test {
            TestRows::All => data.test,
            TestRows::First(n) => {
                let idx: Vec<usize> = (0..n.min(data.test.len())).collect();
                data.test.select(&idx)
            }
            TestRows::Stratified(n, seed) => data.test.stratified_subset(n, seed),
        };
        let scaler = Standardizer::fit(&train);
        for d in [&mut train, &mut validation, &mut test] {
            scaler.apply(d);
        }
        Splits {
            train,
            validation,
            test,
            scaler,
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Synthetic data for fast tests

/// `classes` Gaussian blobs in `dim` dimensions, centres N(0, spread²), unit noise.
pub fn blobs(n: usize, classes: usize, dim: usize, spread: f32, seed: u64) -> Dataset {
    use ndarray_rand::rand_distr::{Distribution, StandardNormal};
    let mut r = rng(seed);
    let centres: Vec<Vec<f32>> = (0..classes)
        .map(|_| {
            (0..dim)
                .map(|_| {
                    let z: f32 = StandardNormal.sample(&mut r);
                    spread * z
                })
                .collect()
        })
        .collect();
    let y: Vec<usize> = (0..n).map(|i| i % classes).collect();
    let x = Array2::from_shape_fn((n, dim), |(i, j)| {
        let noise: f32 = StandardNormal.sample(&mut r);
        centres[y[i]][j] + noise
    });
    Dataset { x, y, classes }
}

/// Interleaved 2-D spirals, one arm per class: not linearly separable, needs a hidden layer.
pub fn spirals(n: usize, classes: usize, noise: f32, seed: u64) -> Dataset {
    use ndarray_rand::rand_distr::{Distribution, StandardNormal};
    let mut r = rng(seed);
    let y: Vec<usize> = (0..n).map(|i| i % classes).collect();
    let mut x = Array2::zeros((n, 2));
    for i in 0..n {
        let t = (i / classes) as f32 / (n / classes) as f32;
        let angle = 4.0 * t + y[i] as f32 * std::f32::consts::TAU / classes as f32;
        let e1: f32 = StandardNormal.sample(&mut r);
        let e2: f32 = StandardNormal.sample(&mut r);
        x[(i, 0)] = t * angle.cos() + noise * e1;
        x[(i, 1)] = t * angle.sin() + noise * e2;
    }
    Dataset { x, y, classes }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idx_bytes(magic: u32, dims: &[u32], payload: &[u8]) -> Vec<u8> {
        let mut b = magic.to_be_bytes().to_vec();
        dims.iter().for_each(|d| b.extend(d.to_be_bytes()));
        b.extend(payload);
        b
    }

    #[test]
    fn idx_parser_accepts_good_and_names_what_is_wrong() {
        let payload: Vec<u8> = (0..12).collect();
        let good = idx_bytes(0x0803, &[3, 2, 2], &payload);
        let spec = IdxFile {
            name: "toy.gz",
            magic: 0x0803,
            dims: &[3, 2, 2],
            sha256: "",
        };
        let spec = IdxFile {
            sha256: Box::leak(hex(&Sha256::digest(&good)).into_boxed_str()),
            ..spec
        };
        let p = Path::new("toy.gz");
        assert_eq!(parse_idx(p, &good, &spec).unwrap(), payload);

        let err = parse_idx(p, &good[..good.len() - 1], &spec).unwrap_err();
        assert!(matches!(err, DataError::BadShape { .. }), "{err}");
        assert!(err.to_string().contains("toy.gz") && err.to_string().contains("git checkout"));

        let bad_magic = idx_bytes(0x0801, &[3, 2, 2], &payload);
        assert!(matches!(
            parse_idx(p, &bad_magic, &spec),
            Err(DataError::BadMagic { found: 0x0801, .. })
        ));

        let bad_dims = idx_bytes(0x0803, &[4, 2, 2], &payload);
        assert!(matches!(
            parse_idx(p, &bad_dims, &spec),
            Err(DataError::BadShape { .. })
        ));

        let mut corrupt = good.clone();
        *corrupt.last_mut().unwrap() ^= 1;
        assert!(matches!(
            parse_idx(p, &corrupt, &spec),
            Err(DataError::Checksum { .. })
        ));
        assert!(matches!(
            parse_idx(p, &good[..2], &spec),
            Err(DataError::Truncated { .. })
        ));
    }

    #[test]
    fn synthetic_sets_and_splits() {
        let d = blobs(1000, 4, 3, 3.0, 1);
        assert_eq!(d.class_counts(), vec![250; 4]);
        let s = d.stratified_subset(100, 2);
        assert_eq!(s.class_counts(), vec![25; 4]);
        assert_eq!(d.stratified_subset(100, 2), s, "seeded");
        let (rest, val) = d.split_validation(200, 3);
        assert_eq!((rest.len(), val.len()), (800, 200));
        let batches = d.batches(128, &mut rng(4));
        assert_eq!(batches.len(), 8);
        assert_eq!(batches.last().unwrap().len(), 1000 - 7 * 128);
        let mut all: Vec<usize> = batches.concat();
        all.sort_unstable();
        assert_eq!(all, (0..1000).collect::<Vec<_>>());
        let sp = spirals(300, 3, 0.05, 5);
        assert_eq!(sp.x.dim(), (300, 2));
    }

    /// The splits have the sizes asked for, the validation rows are never training rows, and
    /// every split is standardised with the training subset's statistics.
    #[test]
    fn fashion_subset_standardises_with_the_training_statistics() {
        let mut data = FashionMnist {
            train: blobs(1000, 4, 3, 3.0, 1),
            test: blobs(400, 4, 3, 3.0, 2),
        };
        // Tag each training row by its index so the splits can be traced back.
        for (i, mut row) in data.train.x.rows_mut().into_iter().enumerate() {
            row[0] = i as f32;
        }
        let subset = FashionSubset::new(200, 3)
            .with_validation(100, 4)
            .with_test(TestRows::Stratified(40, 5));
        let s = subset.take(data.clone());
        assert_eq!(
            (s.train.len(), s.validation.len(), s.test.len()),
            (200, 100, 40)
        );
        let scaler = Standardizer::fit(
            &data
                .train
                .split_validation(100, 4)
                .0
                .stratified_subset(200, 3),
        );
        let tag = |d: &Dataset| -> Vec<i64> {
            d.x.column(0)
                .iter()
                .map(|&v| (v * scaler.std + scaler.mean).round() as i64)
                .collect()
        };
        let (train_rows, val_rows) = (tag(&s.train), tag(&s.validation));
        assert!(train_rows.iter().all(|r| !val_rows.contains(r)));
        let (m, sd) = crate::stats::moments(s.train.x.iter());
        assert!(
            m.abs() < 1e-4 && (sd - 1.0).abs() < 1e-4,
            "train moments {m}, {sd}"
        );
        let mut expected = data.test.stratified_subset(40, 5);
        scaler.apply(&mut expected);
        assert_eq!(s.test, expected);
        let first = FashionSubset::new(200, 3)
            .with_test(TestRows::First(7))
            .take(data);
        assert_eq!(first.test.len(), 7);
        assert!(first.validation.is_empty());
    }
}
