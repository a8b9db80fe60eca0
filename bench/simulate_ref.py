"""Plain numpy reference for bench/simulate.bench.ts: one Euler-Maruyama SGF step of logistic regression
(r = X theta, l = dL/dr, theta += X^T v - dt h(theta)) at the same sizes; prints seconds per step as JSON.
Thread count of the BLAS is set by the caller (OMP_NUM_THREADS / OPENBLAS_NUM_THREADS)."""
import json
import sys
import time

import numpy as np


def main() -> None:
    d = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    delta = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    steps = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    n = round(delta * d)
    dt, tau, lam = 0.1, 1.0, 0.05
    rng = np.random.default_rng(1)
    X = rng.standard_normal((n, d)) / np.sqrt(d)
    y = np.sign(X @ rng.standard_normal(d) + 0.3 * rng.standard_normal(n))
    theta = np.zeros(d)
    noise = np.sqrt(tau * dt / delta)

    def step(theta: np.ndarray) -> np.ndarray:
        r = X @ theta
        l = -y / (1.0 + np.exp(y * r))  # -y sigmoid(-y r)
        v = l * (-dt / delta + noise * rng.standard_normal(n))
        return theta + X.T @ v - dt * lam * theta

    for _ in range(3):
        theta = step(theta)
    t0 = time.perf_counter()
    for _ in range(steps):
        theta = step(theta)
    sec = (time.perf_counter() - t0) / steps
    print(json.dumps({"d": d, "n": n, "seconds_per_step": sec, "q": float(theta @ theta / d)}))


if __name__ == "__main__":
    main()
