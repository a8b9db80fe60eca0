# Straightforward numpy implementation of the Monte-Carlo DMFT scheme of src/solvers/mc (theory note §5,
# moment-matched Gaussian inputs, G independent groups) for logistic regression with a sign teacher and
# ridge penalty: the baseline of bench/solver.bench.ts. Prints one JSON line with seconds and observables.
import json
import sys
import time

import numpy as np

delta, tau, lam, sigma, D, N, M, G = 2.0, 1.0, 0.05, 0.3, float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), 8


def sig(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


class Columns:
    """Orthonormalised standard-normal columns (column 0 = ones), like GaussianColumns."""

    def __init__(self, m, cap, rng):
        self.Z = np.empty((m, cap))
        self.Z[:, 0] = 1.0
        self.n = 1
        self.rng = rng

    def append(self):
        m = self.Z.shape[0]
        v = self.rng.standard_normal(m)
        B = self.Z[:, : self.n]
        v -= B @ (B.T @ v) / m  # one classical Gram-Schmidt pass, as in src/solvers/mc/linalg.ts
        self.Z[:, self.n] = v * np.sqrt(m / (v @ v))
        self.n += 1
        return self.n - 1


class Chol:
    def __init__(self, cap):
        self.L = np.zeros((cap, cap))
        self.n = 0

    def add(self, cov):
        n, L = self.n, self.L
        row = np.zeros(n + 1)
        for j in range(n):
            if L[j, j] > 0:
                row[j] = (cov[j] - row[:j] @ L[j, :j]) / L[j, j]
        p2 = cov[n] - row[:n] @ row[:n]
        row[n] = np.sqrt(p2) if p2 > 1e-6 * abs(cov[n]) else 0.0
        L[n, : n + 1] = row
        self.n += 1
        return row


def group(g, m):
    rng = np.random.default_rng([1, g])
    N1 = N + 1
    pred, par = Columns(m, 4 + 2 * N, rng), Columns(m, 3 + N, rng)
    ths = par.Z[:, par.append()].copy()
    par.append()
    Th = np.zeros((m, N1))
    gss = ths @ ths / m
    Lw, Lnu = Chol(N1 + 1), Chol(N1)
    Lw.add([gss])
    ws = np.sqrt(gss) * pred.Z[:, pred.append()]
    y = np.where(ws + sigma * pred.Z[:, pred.append()] >= 0, 1.0, -1.0)
    A, Cc = np.zeros((m, N1)), np.zeros((m, N1))
    C, R, rho = np.zeros((N1, N1)), np.zeros((N1, N1)), np.zeros((N1, N1))
    wcols, zcols, mm, train, q = [], [], np.zeros(N1), np.zeros(N1), np.zeros(N1)
    for k in range(N1):
        C[k, : k + 1] = Th[:, : k + 1].T @ Th[:, k] / m
        C[: k + 1, k] = C[k, : k + 1]
        mm[k] = Th[:, k] @ ths / m
        q[k] = C[k, k]
        row = Lw.add(np.concatenate([[mm[k]], C[k, : k + 1]]))
        wcols.append(pred.append())
        w = row[0] * pred.Z[:, 1] + pred.Z[:, wcols] @ row[1:]
        r = w + A[:, :k] @ R[k, :k]
        l = -y * sig(-y * r)
        dl = sig(r) * sig(-r)
        train[k] = np.logaddexp(0, -y * r).mean()
        if k < N:
            dxi = -D / delta + np.sqrt(tau * D / delta) * pred.Z[:, pred.append()]
            A[:, k], Cc[:, k] = l * dxi, dl * dxi
        P = np.zeros((m, k + 1))
        P[:, k] = 1.0
        for s in range(k - 1, -1, -1):
            P[:, s] = Cc[:, s] * (P[:, s + 1 : k + 1] @ R[s + 1 : k + 1, s])
        rho[k, : k + 1] = dl @ P / m
        gamma = ((ws @ l) / m - rho[k, : k + 1] @ mm[: k + 1]) / gss
        if k == N:
            break
        nrow = Lnu.add(delta * (A[:, : k + 1].T @ A[:, k]) / m)
        zcols.append(par.append())
        nu = par.Z[:, zcols] @ nrow
        Th[:, k + 1] = Th[:, k] - D * (lam * Th[:, k] + Th[:, : k + 1] @ rho[k, : k + 1] + gamma * ths) + nu
        for s in range(k + 1):
            R[k + 1, s] = (1 - D * lam) * R[k, s] + (s == k) - D * (rho[k, s + 1 : k + 1] @ R[s + 1 : k + 1, s])
    return train, q, mm


t0, c0 = time.perf_counter(), time.process_time()
outs = [group(g, M // G) for g in range(G)]
sec, cpu = time.perf_counter() - t0, time.process_time() - c0
train = np.mean([o[0] for o in outs], axis=0)
q = np.mean([o[1] for o in outs], axis=0)
print(json.dumps({"seconds": sec, "cpu_seconds": cpu, "train_loss_T": train[-1], "q_T": q[-1]}))
