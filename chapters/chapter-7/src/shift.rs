//! Experiment 6: the same predictions on rotated test images (a dataset shift, as in the
//! rotated MNIST of Ovadia et al. 2019), against a small deep ensemble at the same inference
//! cost as MC Dropout.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use lab::Mlp;
use lab::loss::softmax;

use crate::mc::{self, Average, Quality};

/// Fashion-MNIST images are 28 × 28.
pub const SIDE: usize = 28;

// ANCHOR: rotate
/// Each row of `x: (n, side²)`, a row-major `side × side` image, rotated by `degrees`
/// counter-clockwise about its centre, with bilinear interpolation; where the source falls
/// outside the image, the pixel is `background` (the standardised value of black).
///
/// Written here rather than taken from an image crate: it is one loop over standardised `f32`
/// rows, which are not an image type.
pub fn rotate(x: ArrayView2<f32>, side: usize, degrees: f64, background: f32) -> Array2<f32> {
    assert_eq!(x.ncols(), side * side, "rows are side × side images");
    let (sin, cos) = degrees.to_radians().sin_cos();
    let centre = (side as f64 - 1.0) / 2.0;
    // A source coordinate within 10⁻⁹ of a whole pixel is that pixel (so 90° is exact).
    let snap = |v: f64| {
        if (v - v.round()).abs() < 1e-9 {
            v.round()
        } else {
            v
        }
    };
    // Per output pixel, its four source pixels and their weights (the same for every image):
    // the output pixel at (x, y) from the centre, y up, comes from the source at R(−θ)(x, y).
    let taps: Vec<[(Option<usize>, f32); 4]> = (0..side * side)
        .map(|i| {
            let (x, y) = ((i % side) as f64 - centre, centre - (i / side) as f64);
            let col = snap(centre + cos * x + sin * y);
            let row = snap(centre - (-sin * x + cos * y));
            let (r0, c0) = (row.floor(), col.floor());
            let (fr, fc) = ((row - r0) as f32, (col - c0) as f32);
            let at = |r: f64, c: f64| {
                let inside = (0.0..side as f64).contains(&r) && (0.0..side as f64).contains(&c);
                inside.then(|| r as usize * side + c as usize)
            };
            [
                (at(r0, c0), (1.0 - fr) * (1.0 - fc)),
                (at(r0, c0 + 1.0), (1.0 - fr) * fc),
                (at(r0 + 1.0, c0), fr * (1.0 - fc)),
                (at(r0 + 1.0, c0 + 1.0), fr * fc),
            ]
        })
        .collect();
    let mut out = Array2::zeros(x.raw_dim());
    for (src, mut dst) in x.rows().into_iter().zip(out.rows_mut()) {
        for (o, taps) in dst.iter_mut().zip(&taps) {
            *o = taps
                .iter()
                .map(|&(i, w)| w * i.map_or(background, |i| src[i]))
                .sum();
        }
    }
    out
}
// ANCHOR_END: rotate

/// Every method's predictions on the test images rotated by one angle, for one seed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ShiftEval {
    pub seed: u64,
    pub degrees: f64,
    /// Experiment 4's net: one weight-scaled pass, as it is and temperature-scaled (τ fitted
    /// on the unrotated validation split), and MC Dropout at each T of `shift_passes`.
    pub weight_scaled: Quality,
    pub temperature_scaled: Quality,
    pub mc: Vec<Quality>,
    /// The mean of the members' weight-scaled predictions.
    pub ensemble: Quality,
}

// ANCHOR: ensemble
/// A deep ensemble (Lakshminarayanan et al. 2017): the average of the members' probabilities,
/// one deterministic pass each; the spread across members is its uncertainty.
pub fn ensemble(members: &[&Mlp], x: ArrayView2<f32>, labels: &[usize], bins: usize) -> Quality {
    let k = members[0].layers.last().expect("layers").n_out();
    let mut average = Average::new(x.nrows(), k);
    for m in members {
        average.add(softmax(m.forward(x).view()).view());
    }
    average.quality(labels, bins).0
}
// ANCHOR_END: ensemble

/// All methods on `x` rotated by `degrees`: `members[0]` is the MC Dropout net, MC seeded
/// with `mc_seed`.
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    members: &[&Mlp],
    val: (ArrayView2<f32>, &[usize]),
    (x, labels): (ArrayView2<f32>, &[usize]),
    degrees: f64,
    background: f32,
    passes: &[usize],
    (seed, mc_seed): (u64, u64),
    chunk: usize,
    bins: usize,
) -> ShiftEval {
    let rotated = rotate(x, SIDE, degrees, background);
    let t_max = *passes.iter().max().expect("at least one T");
    let ev = mc::evaluate(
        members[0],
        val,
        rotated.view(),
        labels,
        passes,
        mc_seed,
        chunk,
        bins,
        t_max,
    );
    ShiftEval {
        seed,
        degrees,
        weight_scaled: ev.weight_scaled,
        temperature_scaled: ev.temperature_scaled,
        mc: ev.mc,
        ensemble: ensemble(members, rotated.view(), labels, bins),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lab::rng::rng;
    use lab::{Init, MlpSpec};

    fn images(n: usize, side: usize) -> Array2<f32> {
        Init::Normal { std: 1.0 }.sample((n, side * side), &mut rng(5))
    }

    /// 90° moves pixel (r, c) to (side − 1 − c, r) exactly; four of them are the identity; 0°
    /// is the identity.
    #[test]
    fn quarter_turns_are_exact_permutations() {
        let side = 5;
        let x = images(3, side);
        let r90 = rotate(x.view(), side, 90.0, 0.0);
        for i in 0..3 {
            for r in 0..side {
                for c in 0..side {
                    assert_eq!(r90[(i, (side - 1 - c) * side + r)], x[(i, r * side + c)]);
                }
            }
        }
        let mut y = x.clone();
        for _ in 0..4 {
            y = rotate(y.view(), side, 90.0, 0.0);
        }
        assert_eq!(y, x);
        assert_eq!(rotate(x.view(), side, 0.0, 0.0), x);
    }

    /// A constant image stays constant where the source is inside, and the corners of a 45°
    /// turn come from outside: they are the background.
    #[test]
    fn interpolation_keeps_constants_and_fills_the_corners() {
        let side = 8;
        let x = Array2::from_elem((1, side * side), 2.0f32);
        let y = rotate(x.view(), side, 45.0, -1.0);
        let centre = (side / 2) * side + side / 2;
        assert!((y[(0, centre)] - 2.0).abs() < 1e-6);
        assert_eq!(y[(0, 0)], -1.0);
        assert_eq!(y[(0, side * side - 1)], -1.0);
    }

    /// An ensemble of one net is that net's weight-scaled prediction; of two copies of it, too
    /// (no spread).
    #[test]
    fn an_ensemble_of_one_is_the_net() {
        let spec = MlpSpec::relu(&[6, 8, 3]).with_bias_init(Init::Normal { std: 0.1 });
        let net = Mlp::new(&spec, &mut rng(2));
        let x = Init::Normal { std: 1.0 }.sample((10, 6), &mut rng(5));
        let labels: Vec<usize> = (0..10).map(|i| i % 3).collect();
        let alone = mc::quality(
            softmax(net.forward(x.view()).view()).view(),
            &labels,
            None,
            0,
            5,
        );
        let one = ensemble(&[&net], x.view(), &labels, 5);
        let two = ensemble(&[&net, &net], x.view(), &labels, 5);
        for q in [&one, &two] {
            assert!((q.nll - alone.nll).abs() < 1e-6);
            assert_eq!(q.accuracy, alone.accuracy);
        }
    }
}
