"""Time NumPy (with its bundled OpenBLAS), and PyTorch if it is installed, on the workloads of
`cargo run --release -p bench`.

Not part of any test: run it by hand when you want the peer columns of the performance
appendix on your machine (`pip install numpy torch`, then `python3 bench/peers.py`; without torch the
PyTorch epochs are left out). It writes
book/src/generated/performance/peers.json, which the bench binary reads.
Each thread count runs in a fresh process, since OpenBLAS reads OPENBLAS_NUM_THREADS at start.
"""
import json, os, subprocess, sys, time

OUT = os.path.join(os.path.dirname(__file__), "..", "book", "src", "generated", "performance", "peers.json")


def median(v):
    v = sorted(v)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def measure():
    import numpy as np

    rng = np.random.default_rng(0)
    sizes = [784, 300, 100, 10]
    b = 128
    shapes = [(f"X·W {b}×{i}·{i}×{o}", b, i, o, False, False) for i, o in zip(sizes, sizes[1:])]
    shapes += [(f"Xᵀ·G {i}×{b}·{b}×{o}", i, b, o, True, False) for i, o in zip(sizes, sizes[1:])]
    shapes += [(f"G·Wᵀ {b}×{o}·{o}×{i}", b, o, i, False, True) for i, o in list(zip(sizes, sizes[1:]))[1:]]
    products, total_t, total_f = [], 0.0, 0.0
    for label, m, k, n, ta, tb in shapes:
        a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
        bb = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
        av, bv = (a.T if ta else a), (bb.T if tb else bb)
        c = np.empty((m, n), np.float32)
        for _ in range(5):
            np.matmul(av, bv, out=c)
        ts = []
        for _ in range(125):
            t = time.perf_counter()
            np.matmul(av, bv, out=c)
            ts.append(time.perf_counter() - t)
        t, f = median(ts), 2.0 * m * k * n
        products.append([label, f / t / 1e9])
        total_t += t
        total_f += f
    n = 10_000_000
    z = (((np.arange(n, dtype=np.float32) * np.float32(0.618034)) % 1.0) * 12 - 6).astype(np.float32)
    out = np.empty_like(z)

    def sigmoid():
        np.negative(z, out=out)
        np.exp(out, out=out)
        out.__iadd__(1)
        np.reciprocal(out, out=out)

    elementwise = {}
    for name, f in [
        ("ReLU", lambda: np.maximum(z, 0, out=out)),
        ("tanh", lambda: np.tanh(z, out=out)),
        ("sigmoid", sigmoid),
        ("softplus", lambda: np.logaddexp(0, z, out=out)),
        ("exp", lambda: np.exp(z, out=out)),
    ]:
        ts = []
        for _ in range(11):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
        elementwise[name] = n / median(ts) / 1e9
    result = {"products": products, "step_products_gflops": total_f / total_t / 1e9, "elementwise": elementwise}
    try:
        result["pytorch_epochs"] = torch_epochs()
    except ImportError:
        pass
    return result


def torch_epochs():
    """One epoch of SGD (lr 0.01, no momentum) on 60,000 random rows, as `bench::Trainer` runs
    it: median of epochs 2-4 for each net and batch size."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    torch.manual_seed(0)
    x = torch.randn(60_000, 784)
    y = torch.randint(0, 10, (60_000,))
    out = {"version": torch.__version__}
    for name, sizes, batch in [
        ("784-300-100-10", [784, 300, 100, 10], 128),
        ("20×100", [784] + [100] * 20 + [10], 128),
        ("784-300-100-10", [784, 300, 100, 10], 32),
    ]:
        layers = []
        for i, o in zip(sizes, sizes[1:]):
            layers += [torch.nn.Linear(i, o), torch.nn.ReLU()]
        model = torch.nn.Sequential(*layers[:-1])
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        times = []
        for _ in range(4):
            start = time.perf_counter()
            perm = torch.randperm(60_000)
            for i in range(0, 60_000, batch):
                idx = perm[i : i + batch]
                opt.zero_grad()
                loss = F.cross_entropy(model(x[idx]), y[idx])
                loss.backward()
                opt.step()
            times.append(time.perf_counter() - start)
        out[f"{name}, batch {batch}"] = median(times[1:])
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        print(json.dumps(measure()))
        sys.exit(0)
    import numpy as np

    result = {"library": f"NumPy {np.__version__}", "threads": {}}
    for threads in (1, 2):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
        out = subprocess.run([sys.executable, __file__, "--child"], env=env, capture_output=True, text=True, check=True)
        result["threads"][str(threads)] = json.loads(out.stdout)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
    print(json.dumps(result, indent=1, ensure_ascii=False))
