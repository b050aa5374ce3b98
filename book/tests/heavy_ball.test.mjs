// The live figure of chapter 5 (book/src/live/heavy-ball.js) against the chapter's committed
// report: its JavaScript iteration must count exactly what chapters/chapter-5/src/quadratic.rs
// counted. Run from the repository root with `node --test book/tests/` (Node ≥ 20, no packages).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const heavyBall = require(fileURLToPath(new URL("../src/live/heavy-ball.js", import.meta.url)));
const report = JSON.parse(
  readFileSync(new URL("../src/generated/chapter-5/report.json", import.meta.url), "utf8")
);
const problem = report.report.problem;

/// The report's run on the quadratic of a given kind, e.g. { HeavyBall: 0.99 } or "Optimal".
function quadRun(kind) {
  const found = report.report.quad.find((q) => JSON.stringify(q.kind) === JSON.stringify(kind));
  assert.ok(found, `the report has a run ${JSON.stringify(kind)}`);
  return found;
}

/// Runs the JavaScript iteration with a report run's own method, and compares every count.
function assertSameCounts(q) {
  const beta = q.method.momentum.Constant;
  const method = { alpha: q.method.alpha, beta: beta, nesterov: q.method.nesterov };
  const js = heavyBall.run(problem, method);
  const label = JSON.stringify(q.kind);
  assert.equal(js.iterations, q.iterations, `${label}: iterations to converge`);
  assert.equal(js.overshoots, q.overshoots, `${label}: sign changes of w₂`);
  assert.equal(js.steepSignChanges, q.steep_sign_changes, `${label}: sign changes of w₁`);
  assert.equal(js.stepsRun, q.steps_run, `${label}: iterations run`);
  assert.equal(js.diverged, q.diverged, `${label}: diverged`);
  const rate = heavyBall.predictedRate(method.alpha, beta, problem.lambda, method.nesterov);
  assert.equal(rate.rho, q.theory_rate, `${label}: predicted rate`);
  assert.equal(rate.kind, q.roots, `${label}: kind of roots`);
}

test("every heavy-ball β of the chapter takes the report's iterations and sign changes", () => {
  const betas = report.config.quad_betas;
  assert.ok(betas.length > 0);
  for (const beta of betas) {
    const q = quadRun({ HeavyBall: beta });
    assert.equal(q.method.alpha, report.config.quad_alpha);
    assertSameCounts(q);
  }
});

test("the optimal pair and Nesterov's runs count the same too", () => {
  assertSameCounts(quadRun("Optimal"));
  for (const beta of report.config.nesterov_betas) assertSameCounts(quadRun({ Nesterov: beta }));
});

test("tracing for the drawing does not change the counts, and the path is the report's", () => {
  for (const q of report.report.quad.filter((q) => "Constant" in q.method.momentum)) {
    const method = { alpha: q.method.alpha, beta: q.method.momentum.Constant, nesterov: q.method.nesterov };
    const plain = heavyBall.run(problem, method);
    const traced = heavyBall.run(problem, method, { pathSteps: problem.path_steps, bins: 100 });
    const label = JSON.stringify(q.kind);
    assert.equal(traced.iterations, plain.iterations, label);
    assert.equal(traced.overshoots, plain.overshoots, label);
    assert.equal(traced.stepsRun, plain.stepsRun, label);
    // The first `path_steps` iterates are the report's, to the last bit.
    assert.deepEqual(traced.path, q.path, `${label}: path`);
    assert.ok(traced.norm.count <= 100 && traced.norm.count * traced.norm.width >= traced.stepsRun);
  }
});

test("the widget starts from the chapter's problem, and its sliders reach the chapter's β", () => {
  for (const field of ["lambda", "w0", "tol", "fit_to", "cap"]) {
    assert.deepEqual(heavyBall.CHAPTER_PROBLEM[field], problem[field], field);
  }
  assert.equal(heavyBall.CHAPTER_ALPHA, report.config.quad_alpha);
  assert.equal(heavyBall.alphaAt(0), report.config.quad_alpha);
  assert.equal(1 / heavyBall.kappaAt(20), problem.lambda[1] / problem.lambda[0]);
  const reachable = new Set();
  for (let position = 3; position <= 50; position++) reachable.add(heavyBall.betaAt(position));
  for (const beta of report.config.quad_betas.filter((b) => b >= 0.5)) {
    assert.ok(reachable.has(beta), `the β slider reaches ${beta} exactly`);
  }
});

test("without a page (no document), loading and mounting do nothing and do not throw", () => {
  assert.equal(typeof document, "undefined");
  assert.equal(heavyBall.mountAll(), null);
  assert.equal(heavyBall.mount({ dataset: {} }), null);
});
