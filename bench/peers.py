"""Time NumPy (with its bundled OpenBLAS), and PyTorch and Keras 3 on TensorFlow if they are
installed, on the workloads of `cargo run --release -p bench`.

Not part of any test: run it by hand when you want the peer columns of the performance
appendix on your machine (`pip install numpy torch tensorflow`, then `python3 bench/peers.py`;
a peer that is not installed is left out). It writes
book/src/generated/performance/peers.json, which the bench binary reads.
Each thread count runs in a fresh process, since OpenBLAS reads OPENBLAS_NUM_THREADS at start,
and each peer in a process of its own, so that one library's thread pools do not slow another.
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
    return {"products": products, "step_products_gflops": total_f / total_t / 1e9, "elementwise": elementwise}


def inputs(n=10_000_000):
    """The bench's elementwise inputs: z spread over [-6, 6), upstream gradient 1."""
    import numpy as np

    z = (((np.arange(n, dtype=np.float32) * np.float32(0.618034)) % 1.0) * 12 - 6).astype(np.float32)
    return z, np.ones_like(z)


def timed(f, repeats=11):
    f()
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return median(ts)


def torch_elementwise():
    """PyTorch's activations into preallocated outputs (`out=`), forward and backward (the aten
    backward kernels with their `grad_input=` outputs), 10^7 f32: Gelem/s."""
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    import numpy as np

    # Every buffer from NumPy, which puts large arrays on 2 MiB pages (transparent huge pages,
    # `madvise`), as the bench puts its own: the comparison is of kernels, not of page sizes.
    z, g = (torch.from_numpy(a) for a in inputs())
    out = torch.from_numpy(np.empty(z.numel(), np.float32))
    n, aten, nn = z.numel(), torch.ops.aten, torch._C._nn
    forward = {
        "ReLU": lambda: torch.clamp_min(z, 0, out=out),
        "leaky ReLU 0.01": lambda: nn.leaky_relu(z, 0.01, out=out),
        "leaky ReLU 0.2": lambda: nn.leaky_relu(z, 0.2, out=out),
        "sigmoid": lambda: torch.sigmoid(z, out=out),
        "tanh": lambda: torch.tanh(z, out=out),
        "ELU": lambda: nn.elu(z, out=out),
        "SELU": lambda: torch.selu(z),
        "GELU": lambda: nn.gelu(z, out=out),
        "GELU (tanh)": lambda: nn.gelu(z, approximate="tanh", out=out),
        "Swish": lambda: nn.silu(z, out=out),
        "Mish": lambda: nn.mish(z, out=out),
        "softplus": lambda: nn.softplus(z, out=out),
    }
    backward = {
        "ReLU": lambda: aten.threshold_backward.grad_input(g, z, 0, grad_input=out),
        "leaky ReLU 0.01": lambda: aten.leaky_relu_backward.grad_input(g, z, 0.01, False, grad_input=out),
        "leaky ReLU 0.2": lambda: aten.leaky_relu_backward.grad_input(g, z, 0.2, False, grad_input=out),
        "sigmoid": lambda: aten.sigmoid_backward.grad_input(g, torch.sigmoid(z), grad_input=out),
        "tanh": lambda: aten.tanh_backward.grad_input(g, torch.tanh(z), grad_input=out),
        "ELU": lambda: aten.elu_backward.grad_input(g, 1.0, 1.0, 1.0, False, z, grad_input=out),
        "GELU": lambda: aten.gelu_backward.grad_input(g, z, grad_input=out),
        "GELU (tanh)": lambda: aten.gelu_backward.grad_input(g, z, approximate="tanh", grad_input=out),
        "Swish": lambda: aten.silu_backward.grad_input(g, z, grad_input=out),
        "Mish": lambda: aten.mish_backward(g, z),
        "softplus": lambda: aten.softplus_backward.grad_input(g, z, 1.0, 20.0, grad_input=out),
    }
    result = {"version": torch.__version__, "forward": {}, "backward": {}}
    for kind, fs in (("forward", forward), ("backward", backward)):
        for name, f in fs.items():
            result[kind][name] = n / timed(f) / 1e9
    # sigmoid's and tanh's backward above include computing the output they take as input;
    # PyTorch keeps it from the forward pass, so time them on a stored output as well.
    s, t = torch.sigmoid(z), torch.tanh(z)
    result["backward"]["sigmoid"] = n / timed(lambda: aten.sigmoid_backward.grad_input(g, s, grad_input=out)) / 1e9
    result["backward"]["tanh"] = n / timed(lambda: aten.tanh_backward.grad_input(g, t, grad_input=out)) / 1e9
    return result


def keras_elementwise():
    """Keras 3 activations on TensorFlow, forward, 10^7 f32 (TensorFlow allocates each output):
    Gelem/s."""
    import tensorflow as tf

    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras

    z = tf.constant(inputs()[0])
    n, a = int(z.shape[0]), keras.activations
    forward = {
        "ReLU": lambda: a.relu(z),
        "leaky ReLU 0.2": lambda: a.leaky_relu(z, negative_slope=0.2),
        "sigmoid": lambda: a.sigmoid(z),
        "tanh": lambda: a.tanh(z),
        "ELU": lambda: a.elu(z),
        "SELU": lambda: a.selu(z),
        "GELU": lambda: a.gelu(z, approximate=False),
        "GELU (tanh)": lambda: a.gelu(z, approximate=True),
        "Swish": lambda: a.silu(z),
        "Mish": lambda: a.mish(z),
        "softplus": lambda: a.softplus(z),
    }
    return {"version": f"Keras {keras.__version__}, TensorFlow {tf.__version__}",
            "forward": {name: n / timed(f) / 1e9 for name, f in forward.items()}}


def keras_epochs():
    """One epoch of SGD (lr 0.01, no momentum) with Keras 3 on TensorFlow, as `torch_epochs`:
    median of epochs 2-4 for each net and batch size."""
    import numpy as np
    import tensorflow as tf

    threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras

    rng = np.random.default_rng(0)
    x = rng.standard_normal((60_000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 60_000)
    out = {"version": f"Keras {keras.__version__}, TensorFlow {tf.__version__}"}
    for name, sizes, batch in NETS:
        model = keras.Sequential([keras.Input((784,))] + [keras.layers.Dense(o, activation="relu") for o in sizes[1:-1]]
                                 + [keras.layers.Dense(sizes[-1])])
        model.compile(optimizer=keras.optimizers.SGD(0.01),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        times = []
        for _ in range(4):
            start = time.perf_counter()
            model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True)
            times.append(time.perf_counter() - start)
        out[f"{name}, batch {batch}"] = median(times[1:])
    return out


NETS = [
    ("784-300-100-10", [784, 300, 100, 10], 128),
    ("20×100", [784] + [100] * 20 + [10], 128),
    ("784-300-100-10", [784, 300, 100, 10], 32),
]


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
    for name, sizes, batch in NETS:
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


# What each child process measures; a peer that is not installed raises ImportError and is left out.
PARTS = {
    "numpy": measure,
    "pytorch_epochs": torch_epochs,
    "pytorch_elementwise": torch_elementwise,
    "keras_epochs": keras_epochs,
    "keras_elementwise": keras_elementwise,
}

if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        try:
            print(json.dumps(PARTS[sys.argv[2]]()))
        except ImportError:
            print("null")
        sys.exit(0)
    import numpy as np

    result = {"library": f"NumPy {np.__version__}", "threads": {}}
    for threads in (1, 2):
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads), TF_CPP_MIN_LOG_LEVEL="3")
        per_thread = {}
        for part in PARTS:
            out = subprocess.run([sys.executable, __file__, "--child", part], env=env, capture_output=True, text=True,
                                 check=True)
            value = json.loads(out.stdout.strip().splitlines()[-1])
            if part == "numpy":
                per_thread.update(value)
            elif value is not None:
                per_thread[part] = value
        result["threads"][str(threads)] = per_thread
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
    print(json.dumps(result, indent=1, ensure_ascii=False))
