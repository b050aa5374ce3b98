// Chapter 5, live: heavy-ball momentum on the quadratic f(w) = ½ (λ₁ w₁² + λ₂ w₂²), run in the
// browser while the reader drags the sliders for α, β and the condition number λ₁/λ₂.
//
// The iteration is chapters/chapter-5/src/quadratic.rs (`step` and `run`) line by line, in the
// same f64 operations in the same order, so at the chapter's settings it counts exactly the
// iterations and sign changes of the committed report (book/tests/heavy_ball.test.mjs checks it).
// Plain JavaScript, no libraries: it runs from file:// or a server, and in Node for the test.
"use strict";

const heavyBall = (function () {
  // ---------------------------------------------------------------------------------------------
  // The iteration (quadratic.rs)

  /// The chapter's problem (chapters/chapter-5/src/lib.rs, `Config::full`), in the report's
  /// field names: κ = 100 from (1, 1), converged when ‖w‖ < tol·‖w₀‖ for good.
  const CHAPTER_PROBLEM = {
    lambda: [1.0, 0.01],
    w0: [1.0, 1.0],
    tol: 1e-6,
    fit_to: 1e-12,
    cap: 20000000,
  };
  /// The chapter's step size for the heavy-ball runs.
  const CHAPTER_ALPHA = 1.0;
  /// A run whose ‖w‖ grows past this multiple of ‖w₀‖ has diverged (`DIVERGED` in Rust).
  const DIVERGED = 1e6;

  /// Runs momentum SGD from w₀ (v₀ = 0) as `quadratic::run` does: each step
  ///   g = λᵢ wᵢ,  vᵢ ← β vᵢ + g,  wᵢ ← wᵢ − α vᵢ   (Nesterov: wᵢ ← wᵢ − α (g + β vᵢ)),
  /// until ‖w‖ < fit_to·‖w₀‖, divergence or the cap. Converged means ‖w‖ < tol·‖w₀‖ from then
  /// on: `iterations` is one past the last iterate at or above the tolerance (null if the run
  /// ends above it). Sign changes are counted up to that last iterate, as in Rust.
  ///
  /// `problem` has the report's fields (lambda, w0, tol, fit_to, cap); `method` is
  /// { alpha, beta, nesterov }. `trace` (optional) asks for drawing data: the first
  /// `pathSteps` iterates, and ‖w‖² per block of iterations (smallest and largest in each of at
  /// most `bins` blocks, whose width doubles as the run grows). Tracing never changes the counts.
  function run(problem, method, trace) {
    const l1 = problem.lambda[0];
    const l2 = problem.lambda[1];
    const alpha = method.alpha;
    const beta = method.beta;
    const nesterov = Boolean(method.nesterov);
    const cap = problem.cap;
    // Squared thresholds, as in Rust: (x·‖w₀‖)².
    const n0 = Math.sqrt(problem.w0[0] * problem.w0[0] + problem.w0[1] * problem.w0[1]);
    const tol = problem.tol * n0;
    const to = problem.fit_to * n0;
    const blown = DIVERGED * n0;
    const tol2 = tol * tol;
    const to2 = to * to;
    const blown2 = blown * blown;

    // Drawing data (only when asked for).
    const pathSteps = trace ? trace.pathSteps || 0 : 0;
    const maxBins = trace ? Math.max(2, 2 * Math.floor((trace.bins || 512) / 2)) : 0;
    const path = [[problem.w0[0], problem.w0[1]]];
    const lo = new Float64Array(maxBins);
    const hi = new Float64Array(maxBins);
    let binWidth = 1;
    let bins = 0;
    let binEnd = 0;

    // The state: w = (w1, w2), v = (v1, v2), in locals for speed.
    let w1 = problem.w0[0];
    let w2 = problem.w0[1];
    let v1 = 0.0;
    let v2 = 0.0;
    let overshoots = 0; // sign changes of w₂ (the second, flat direction)
    let steep = 0; // sign changes of w₁
    let countedOvershoots = 0;
    let countedSteep = 0;
    let lastAbove = 0;
    let n2 = tol2;
    let steps = 0;
    for (let k = 1; k <= cap; k++) {
      const prev1 = w1;
      const prev2 = w2;
      // `step`: coordinate 0 then coordinate 1, the same operations as Rust.
      const g1 = l1 * w1;
      v1 = beta * v1 + g1;
      w1 = w1 - alpha * (nesterov ? g1 + beta * v1 : v1);
      const g2 = l2 * w2;
      v2 = beta * v2 + g2;
      w2 = w2 - alpha * (nesterov ? g2 + beta * v2 : v2);
      steps = k;
      n2 = w1 * w1 + w2 * w2;
      if (w2 > 0.0 !== prev2 > 0.0) overshoots++;
      if (w1 > 0.0 !== prev1 > 0.0) steep++;
      if (n2 >= tol2) {
        lastAbove = k;
        countedOvershoots = overshoots;
        countedSteep = steep;
      }
      if (maxBins > 0) {
        if (k <= pathSteps) path.push([w1, w2]);
        if (k > binEnd) {
          if (bins === maxBins) {
            // Full: merge neighbouring blocks, each now twice as wide.
            for (let j = 0; j < maxBins / 2; j++) {
              lo[j] = Math.min(lo[2 * j], lo[2 * j + 1]);
              hi[j] = Math.max(hi[2 * j], hi[2 * j + 1]);
            }
            bins = maxBins / 2;
            binWidth *= 2;
          }
          lo[bins] = Infinity;
          hi[bins] = -Infinity;
          bins++;
          binEnd = bins * binWidth;
        }
        if (n2 < lo[bins - 1]) lo[bins - 1] = n2;
        if (n2 > hi[bins - 1]) hi[bins - 1] = n2;
      }
      if (n2 < to2 || n2 >= blown2 || Number.isNaN(n2)) break;
    }
    const diverged = n2 >= blown2 || Number.isNaN(n2);
    return {
      iterations: n2 < tol2 ? lastAbove + 1 : null,
      overshoots: countedOvershoots,
      steepSignChanges: countedSteep,
      stepsRun: steps,
      diverged: diverged,
      n0: n0,
      path: path,
      // Block b covers iterations b·width + 1 … (b + 1)·width; lo/hi are ‖w‖² in it.
      norm: { width: binWidth, count: bins, lo: lo.slice(0, bins), hi: hi.slice(0, bins) },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // The eigenvalue prediction (quadratic.rs, `theory`)

  /// The 2×2 matrix M with (w, v)ₖ₊₁ = M (w, v)ₖ in one eigen-direction of curvature λ.
  function iterationMatrix(alpha, beta, lambda, nesterov) {
    if (nesterov) {
      return [
        [1.0 - alpha * lambda * (1.0 + beta), -alpha * beta * beta],
        [lambda, beta],
      ];
    }
    return [
      [1.0 - alpha * lambda, -alpha * beta],
      [lambda, beta],
    ];
  }

  /// The spectral radius ρ of M and the kind of its eigenvalues: "Complex", "Real" or
  /// "Repeated" (critical damping, to rounding).
  function roots(m) {
    const tr = m[0][0] + m[1][1];
    const det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    const disc = tr * tr - 4.0 * det;
    if (Math.abs(disc) <= 1e-9 * Math.max(tr * tr, 4.0 * Math.abs(det))) {
      return { rho: 0.5 * Math.abs(tr), kind: "Repeated" };
    }
    if (disc < 0.0) return { rho: Math.sqrt(det), kind: "Complex" };
    const s = Math.sqrt(disc);
    return { rho: Math.max(Math.abs(0.5 * (tr + s)), Math.abs(0.5 * (tr - s))), kind: "Real" };
  }

  /// The slowest direction's spectral radius and kind of roots (`predicted_rate`).
  function predictedRate(alpha, beta, lambda, nesterov) {
    let best = null;
    for (const l of lambda) {
      const r = roots(iterationMatrix(alpha, beta, l, nesterov));
      if (best === null || r.rho > best.rho) best = r;
    }
    return best;
  }

  /// Iterations an error shrinking like ρᵏ takes to fall below `tol`: ln(1/tol)/ln(1/ρ).
  function predictedIterations(rho, tol) {
    return Math.log(tol) / Math.log(rho);
  }

  /// The angle θ one iteration turns a complex pair of eigenvalues (null for real roots): the
  /// coordinate changes sign about Kθ/π times in K iterations.
  function rotationAngle(m) {
    const tr = m[0][0] + m[1][1];
    const det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    const disc = tr * tr - 4.0 * det;
    return disc < 0.0 ? Math.atan2(0.5 * Math.sqrt(-disc), 0.5 * tr) : null;
  }

  // ---------------------------------------------------------------------------------------------
  // The sliders: each position is a decimal the reader can read, parsed like a literal, so that
  // β = 0.99 here is the same f64 as `0.99` in the Rust code.

  /// β from the slider: 1 − β = 10^(−position/10), rounded to two significant digits.
  function betaAt(position) {
    const oneMinus = Number(Math.pow(10, -position / 10).toPrecision(2));
    return Number((1 - oneMinus).toFixed(12));
  }
  /// α from the slider: 10^(position/100), two significant digits (1 at position 0).
  function alphaAt(position) {
    return Number(Math.pow(10, position / 100).toPrecision(2));
  }
  /// κ = λ₁/λ₂ from the slider: 10^(position/10), two significant digits; λ₁ = 1, λ₂ = 1/κ.
  function kappaAt(position) {
    return Number(Math.pow(10, position / 10).toPrecision(2));
  }

  // ---------------------------------------------------------------------------------------------
  // The widget

  const SVG = "http://www.w3.org/2000/svg";
  /// Iterates drawn in the (w₁, w₂) plane at most (the count always covers the whole run).
  const PATH_STEPS = 1000;
  /// The live figure's cap on iterations per run: above β = 0.99999's 4.4 million, below the
  /// chapter's 20 million. Where the eigenvalues predict no convergence (ρ ≥ 1, on or beyond
  /// the edge of stability) the run stops much earlier, so that dragging stays smooth.
  const LIVE_CAP = 5000000;
  const LIVE_CAP_UNSTABLE = 100000;
  /// Blocks of iterations in the ‖w‖ drawing.
  const NORM_BINS = 400;
  /// The drawings' size in SVG units (they scale to the page's width).
  const WIDTH = 360;
  const HEIGHT = 280;
  const MARGIN = { left: 44, right: 10, top: 22, bottom: 34 };

  /// Colours come from mdBook's theme variables, so the figure follows light, rust, coal,
  /// navy and ayu.
  const STYLE = `
.live-figure { border: 1px solid var(--quote-border, #ccc); background: var(--quote-bg, transparent);
  color: var(--fg); border-radius: 4px; padding: 0.6em 0.8em; margin: 1em 0; }
.live-figure .hb-controls { display: grid; grid-template-columns: auto 1fr 12em; gap: 0.2em 0.7em;
  align-items: center; font-size: 0.9em; }
@media (max-width: 600px) {
  /* Narrow: the label and value on one line, the slider under them at full width. */
  .live-figure .hb-controls { grid-template-columns: 1fr auto; grid-auto-flow: row dense; }
  .live-figure .hb-controls label { grid-column: 1; }
  .live-figure .hb-controls .hb-value { grid-column: 2; }
  .live-figure .hb-controls input { grid-column: 1 / -1; }
}
.live-figure input[type=range] { width: 100%; accent-color: var(--links); }
.live-figure .hb-value { font-variant-numeric: tabular-nums; }
.live-figure .hb-panels { display: flex; flex-wrap: wrap; gap: 0.5em; margin-top: 0.5em; }
.live-figure .hb-panels svg { flex: 1 1 320px; min-width: 0; height: auto; }
.live-figure svg text { fill: var(--fg); font-size: 11px; font-family: inherit; }
.live-figure svg .hb-title { font-size: 12px; font-weight: bold; }
.live-figure svg .hb-legend { font-size: 10px; }
.live-figure .hb-axis { stroke: var(--fg); stroke-opacity: 0.6; fill: none; }
.live-figure .hb-grid { stroke: var(--fg); stroke-opacity: 0.12; fill: none; }
.live-figure .hb-contour { stroke: var(--fg); stroke-opacity: 0.3; fill: none; }
.live-figure .hb-path { stroke: var(--blockquote-note-color, var(--links)); stroke-width: 0.8;
  fill: none; stroke-linejoin: round; }
.live-figure .hb-band { fill: var(--blockquote-note-color, var(--links)); fill-opacity: 0.35;
  stroke: var(--blockquote-note-color, var(--links)); stroke-width: 0.8; }
.live-figure .hb-theory { stroke: var(--warning-border, #ff8e00); stroke-width: 1.5;
  stroke-dasharray: 6 4; fill: none; }
.live-figure .hb-tol { stroke: var(--fg); stroke-opacity: 0.55; stroke-dasharray: 2 3; fill: none; }
.live-figure .hb-converged { stroke: var(--blockquote-tip-color, green); stroke-width: 1.2; }
.live-figure .hb-start { fill: var(--fg); fill-opacity: 0.5; }
.live-figure .hb-minimum { fill: var(--fg); }
.live-figure .hb-stats { font-size: 0.9em; margin: 0.4em 0 0 0; }
`;

  /// An SVG element with attributes.
  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const key in attrs) e.setAttribute(key, String(attrs[key]));
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(parent, x, y, content, attrs) {
    const t = el("text", Object.assign({ x: x, y: y }, attrs || {}), parent);
    t.textContent = content;
    return t;
  }
  /// 1234567 → "1,234,567".
  function grouped(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }
  /// A short number for axis labels.
  function short(x) {
    if (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3)) {
      const [mantissa, exponent] = x.toExponential(2).split("e");
      return `${Number(mantissa)}e${Number(exponent)}`;
    }
    return String(Number(x.toPrecision(3)));
  }
  /// A "nice" tick step for a range: 1, 2 or 5 × 10ⁿ, about `count` ticks.
  function tickStep(range, count) {
    const raw = range / count;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }

  /// A plot frame: the outer SVG, and the inner (clipping) SVG in which data is drawn, with
  /// maps from data to pixels.
  function frame(svg, title, xRange, yRange, xLabel, yLabel) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const left = MARGIN.left;
    const top = MARGIN.top;
    const w = WIDTH - MARGIN.left - MARGIN.right;
    const h = HEIGHT - MARGIN.top - MARGIN.bottom;
    const x = (v) => left + ((v - xRange[0]) / (xRange[1] - xRange[0])) * w;
    const y = (v) => top + (1 - (v - yRange[0]) / (yRange[1] - yRange[0])) * h;
    text(svg, left, 14, title, { class: "hb-title" });
    // Ticks and grid.
    const xs = tickStep(xRange[1] - xRange[0], 4);
    for (let t = Math.ceil(xRange[0] / xs) * xs; t <= xRange[1] + 1e-9 * xs; t += xs) {
      el("line", { x1: x(t), x2: x(t), y1: top, y2: top + h, class: "hb-grid" }, svg);
      text(svg, x(t), top + h + 13, short(t), { "text-anchor": "middle" });
    }
    const ys = tickStep(yRange[1] - yRange[0], 4);
    for (let t = Math.ceil(yRange[0] / ys) * ys; t <= yRange[1] + 1e-9 * ys; t += ys) {
      el("line", { x1: left, x2: left + w, y1: y(t), y2: y(t), class: "hb-grid" }, svg);
      text(svg, left - 4, y(t) + 4, yLabel.tick(t), { "text-anchor": "end" });
    }
    el("rect", { x: left, y: top, width: w, height: h, class: "hb-axis" }, svg);
    text(svg, left + w / 2, HEIGHT - 4, xLabel, { "text-anchor": "middle" });
    const rotated = text(svg, 0, 0, yLabel.text, { "text-anchor": "middle" });
    rotated.setAttribute("transform", `translate(11 ${top + h / 2}) rotate(-90)`);
    const plot = el("svg", { x: left, y: top, width: w, height: h, overflow: "hidden" }, svg);
    return { plot: plot, x: (v) => x(v) - left, y: (v) => y(v) - top };
  }

  /// The path in the (w₁, w₂) plane over the contour ellipses of f.
  function drawPath(svg, result, lambda, shown) {
    const path = result.path.slice(0, shown + 1);
    let xHi = 0;
    let yHi = 0;
    for (const p of path) {
      if (Number.isFinite(p[0])) xHi = Math.max(xHi, Math.abs(p[0]));
      if (Number.isFinite(p[1])) yHi = Math.max(yHi, Math.abs(p[1]));
    }
    xHi = 1.1 * (xHi || 1);
    yHi = 1.1 * (yHi || 1);
    const f = frame(
      svg,
      `Path, first ${grouped(shown)} steps`,
      [-xHi, xHi],
      [-yHi, yHi],
      `w₁ (steep, λ₁ = ${short(lambda[0])})`,
      { text: `w₂ (flat, λ₂ = ${short(lambda[1])})`, tick: short }
    );
    // Contours f = f(w₀)·4ⁿ: ellipses with half-axes √(2f/λᵢ).
    const f0 = 0.5 * (lambda[0] * path[0][0] * path[0][0] + lambda[1] * path[0][1] * path[0][1]);
    for (let n = -6; n <= 2; n++) {
      const level = f0 * Math.pow(4, n);
      const rx = f.x(Math.sqrt((2 * level) / lambda[0])) - f.x(0);
      const ry = f.y(0) - f.y(Math.sqrt((2 * level) / lambda[1]));
      if (rx > 1e5 || ry > 1e5) continue;
      el("ellipse", { cx: f.x(0), cy: f.y(0), rx: rx, ry: ry, class: "hb-contour" }, f.plot);
    }
    const points = [];
    for (const p of path) {
      if (!Number.isFinite(p[0]) || !Number.isFinite(p[1])) break;
      points.push(`${f.x(p[0]).toFixed(1)},${f.y(p[1]).toFixed(1)}`);
    }
    el("polyline", { points: points.join(" "), class: "hb-path" }, f.plot);
    el("circle", { cx: f.x(0), cy: f.y(0), r: 3, class: "hb-minimum" }, f.plot);
    el("circle", { cx: f.x(path[0][0]), cy: f.y(path[0][1]), r: 3.5, class: "hb-start" }, f.plot);
  }

  /// log₁₀ ‖w‖/‖w₀‖ against the iteration: the band between the smallest and largest value in
  /// each block, the tolerance, the eigenvalue line ρᵏ and the converged iteration.
  function drawNorm(svg, result, problem, rate) {
    const norm = result.norm;
    const end = Math.max(1, result.stepsRun);
    const logRel = (n2) => 0.5 * Math.log10(n2) - Math.log10(result.n0);
    let yLo = Math.log10(problem.fit_to);
    let yHi = 0;
    for (let b = 0; b < norm.count; b++) {
      if (Number.isFinite(norm.hi[b])) yHi = Math.max(yHi, logRel(norm.hi[b]));
    }
    yHi = Math.min(Math.ceil(yHi + 0.5), 8);
    yLo = Math.floor(yLo);
    const f = frame(
      svg,
      "Distance to the minimum",
      [0, end],
      [yLo, yHi],
      "iteration",
      { text: "‖w‖/‖w₀‖ (log scale)", tick: (t) => (t === 0 ? "1" : `1e${t}`) }
    );
    // Band: one column per block, from its smallest to its largest ‖w‖.
    const top = [`${f.x(0).toFixed(1)},${f.y(0).toFixed(1)}`];
    const bottom = [];
    for (let b = 0; b < norm.count; b++) {
      const x0 = b * norm.width + 1;
      const x1 = Math.min((b + 1) * norm.width, end);
      const hi = Math.min(Math.max(logRel(norm.hi[b]), yLo - 1), yHi + 1);
      const lo = Math.min(Math.max(logRel(norm.lo[b]), yLo - 1), yHi + 1);
      if (!Number.isFinite(hi) || !Number.isFinite(lo)) break;
      top.push(`${f.x(x0).toFixed(1)},${f.y(hi).toFixed(1)}`, `${f.x(x1).toFixed(1)},${f.y(hi).toFixed(1)}`);
      bottom.push(`${f.x(x1).toFixed(1)},${f.y(lo).toFixed(1)}`, `${f.x(x0).toFixed(1)},${f.y(lo).toFixed(1)}`);
    }
    bottom.reverse();
    el("polygon", { points: top.concat(bottom).join(" "), class: "hb-band" }, f.plot);
    // The tolerance and the eigenvalues' prediction ‖w‖/‖w₀‖ = ρᵏ.
    const tolY = f.y(Math.log10(problem.tol));
    el("line", { x1: 0, x2: f.x(end), y1: tolY, y2: tolY, class: "hb-tol" }, f.plot);
    if (rate.rho > 0 && rate.rho < 1) {
      const kEnd = yLo / Math.log10(rate.rho);
      el("line", { x1: f.x(0), y1: f.y(0), x2: f.x(kEnd), y2: f.y(yLo), class: "hb-theory" }, f.plot);
    }
    if (result.iterations !== null) {
      const kx = f.x(result.iterations);
      el("line", { x1: kx, x2: kx, y1: tolY - 8, y2: tolY + 8, class: "hb-converged" }, f.plot);
    }
    // Legend of what is drawn: top right, or bottom right when ‖w‖ grows (away from the curve).
    const right = WIDTH - MARGIN.left - MARGIN.right;
    const legend = [["hb-band", "‖w‖, least to largest per block"]];
    if (rate.rho > 0 && rate.rho < 1) legend.push(["hb-theory", "ρᵏ, from the eigenvalues"]);
    legend.push(["hb-tol", "tolerance"]);
    if (result.iterations !== null) legend.push(["hb-converged", "converged for good"]);
    const growing = result.iterations === null;
    const first = growing ? HEIGHT - MARGIN.top - MARGIN.bottom - 8 - 13 * (legend.length - 1) : 12;
    legend.forEach(([kind, label], i) => {
      const y = first + 13 * i;
      if (kind === "hb-band") el("rect", { x: right - 176, y: y - 4, width: 18, height: 8, class: kind }, f.plot);
      else if (kind === "hb-converged") el("line", { x1: right - 167, x2: right - 167, y1: y - 5, y2: y + 5, class: kind }, f.plot);
      else el("line", { x1: right - 176, x2: right - 158, y1: y, y2: y, class: kind }, f.plot);
      text(f.plot, right - 153, y + 4, label, { class: "hb-legend" });
    });
  }

  /// The sentence under the drawings: the count, the prediction, the sign changes.
  function describe(result, problem, method, rate, theta, shown) {
    const tolText = `‖w‖ < ${short(problem.tol)}·‖w₀‖`;
    const roots =
      rate.kind === "Complex"
        ? `complex roots, ρ = √β = ${rate.rho.toFixed(6)}`
        : rate.kind === "Real"
          ? `real roots, ρ = ${rate.rho.toFixed(6)}`
          : `critical damping, ρ = ${rate.rho.toFixed(6)}`;
    const predicted =
      rate.rho < 1 ? predictedIterations(rate.rho, problem.tol) : Infinity;
    const lines = [];
    if (result.iterations !== null) {
      const k = result.iterations;
      const error = ((k / predicted - 1) * 100).toFixed(2);
      lines.push(
        `Converged (${tolText} for good) after ${grouped(k)} iterations; the eigenvalues predict ` +
          `ln(1/tol)/ln(1/ρ) = ${grouped(predicted.toFixed(1))} (${roots}), ` +
          `${error.startsWith("-") ? "" : "+"}${error}%.`
      );
      const turns = theta === null ? "no turning, real roots" : `Kθ/π = ${(k * theta / Math.PI).toFixed(1)}`;
      lines.push(
        `Sign changes of w₂: ${grouped(result.overshoots)} (${turns}); of w₁: ${grouped(result.steepSignChanges)}.`
      );
    } else if (result.diverged) {
      lines.push(
        `Diverged after ${grouped(result.stepsRun)} iterations: α·λ₁ = ${short(method.alpha * problem.lambda[0])} ` +
          `is beyond the stability edge 2 + 2β = ${short(2 + 2 * method.beta)} (${roots}).`
      );
    } else {
      lines.push(
        `Not converged within the live figure's cap of ${grouped(problem.cap)} iterations ` +
          `(the chapter's runs allow ${grouped(CHAPTER_PROBLEM.cap)}); the eigenvalues predict ` +
          `${Number.isFinite(predicted) ? grouped(predicted.toFixed(0)) : "no convergence"} (${roots}).`
      );
    }
    const total = result.iterations ?? result.stepsRun;
    if (shown < total) {
      lines.push(
        `The path shows the first ${grouped(shown)} of those ${grouped(total)} iterations; ` +
          `the counts cover them all.`
      );
    }
    return lines.join(" ");
  }

  /// Fills `container` with the sliders and drawings, and draws once.
  function mount(container) {
    if (typeof document === "undefined" || !container || container.dataset.mounted) return null;
    container.dataset.mounted = "true";
    if (!document.getElementById("heavy-ball-live-style")) {
      const style = document.createElement("style");
      style.id = "heavy-ball-live-style";
      style.textContent = STYLE;
      document.head.appendChild(style);
    }
    const controls = document.createElement("div");
    controls.className = "hb-controls";
    container.appendChild(controls);
    // One slider: a label, the range input, the value shown.
    function slider(id, label, min, max, value, title) {
      const name = document.createElement("label");
      name.htmlFor = id;
      name.textContent = label;
      const input = document.createElement("input");
      Object.assign(input, { type: "range", id: id, min: min, max: max, step: 1, value: value, title: title });
      const shown = document.createElement("span");
      shown.className = "hb-value";
      controls.append(name, input, shown);
      return { input: input, shown: shown };
    }
    // Positions: the chapter's α = 1, β = 0.99 and κ = 100 to start with.
    const beta = slider("heavy-ball-beta", "momentum β", 3, 50, 20, "log scale in 1 − β: 0.5 to 0.99999");
    const alpha = slider("heavy-ball-alpha", "step α", -100, 60, 0, "log scale: 0.1 to 4");
    // κ starts at 1.3, not 1: at κ = 1 and α = 1 one step lands exactly on the minimum, where
    // the chapter's rule stops the run, although the velocity would carry the iterate away.
    const kappa = slider("heavy-ball-kappa", "curvature ratio λ₁/λ₂", 1, 30, 20, "log scale: 1.3 to 1,000");
    const panels = document.createElement("div");
    panels.className = "hb-panels";
    container.appendChild(panels);
    const pathSvg = el("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img" }, panels);
    const normSvg = el("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img" }, panels);
    const stats = document.createElement("p");
    stats.className = "hb-stats";
    stats.setAttribute("aria-live", "polite");
    container.appendChild(stats);

    let redraws = 0;
    function redraw() {
      const b = betaAt(Number(beta.input.value));
      const a = alphaAt(Number(alpha.input.value));
      const k = kappaAt(Number(kappa.input.value));
      beta.shown.textContent = `β = ${b} (1 − β = ${short(Number((1 - b).toPrecision(2)))})`;
      alpha.shown.textContent = `α = ${a}`;
      kappa.shown.textContent = `κ = ${k}`;
      const lambda = [1.0, 1 / k];
      const rate = predictedRate(a, b, lambda, false);
      const cap = rate.rho < 1 ? LIVE_CAP : LIVE_CAP_UNSTABLE;
      const problem = Object.assign({}, CHAPTER_PROBLEM, { lambda: lambda, cap: cap });
      const method = { alpha: a, beta: b, nesterov: false };
      const result = run(problem, method, { pathSteps: PATH_STEPS, bins: NORM_BINS });
      const slow = Math.min(problem.lambda[0], problem.lambda[1]);
      const theta = rotationAngle(iterationMatrix(a, b, slow, false));
      // The path until convergence (or the end of the run), at most PATH_STEPS iterates.
      const shown = Math.min(PATH_STEPS, result.iterations ?? result.stepsRun, result.path.length - 1);
      drawPath(pathSvg, result, problem.lambda, shown);
      drawNorm(normSvg, result, problem, rate);
      pathSvg.setAttribute(
        "aria-label",
        `The heavy-ball path in the (w₁, w₂) plane for α = ${a}, β = ${b}, κ = ${k}.`
      );
      normSvg.setAttribute("aria-label", `‖w‖/‖w₀‖ against the iteration for α = ${a}, β = ${b}, κ = ${k}.`);
      stats.textContent = describe(result, problem, method, rate, theta, shown);
      redraws += 1;
      container.setAttribute("data-redraws", String(redraws));
    }
    for (const s of [beta, alpha, kappa]) s.input.addEventListener("input", redraw);
    redraw();
    return { redraw: redraw };
  }

  /// Mounts the widget on `#heavy-ball-live`, if there is a page and it has one.
  function mountAll() {
    if (typeof document === "undefined") return null;
    return mount(document.getElementById("heavy-ball-live"));
  }

  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
    else mountAll();
  }

  return {
    CHAPTER_PROBLEM,
    CHAPTER_ALPHA,
    DIVERGED,
    run,
    iterationMatrix,
    roots,
    predictedRate,
    predictedIterations,
    rotationAngle,
    betaAt,
    alphaAt,
    kappaAt,
    mount,
    mountAll,
  };
})();

if (typeof module !== "undefined" && module.exports) module.exports = heavyBall;
