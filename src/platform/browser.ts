// The browser side of the platform seam: browser implementations of the few Node built-ins that the shared
// pipeline imports (node:os, node:fs, node:path, node:module, node:url, node:worker_threads). The web build
// (web/build.mjs) resolves every `node:*` import to this module; in Node the real built-ins are used, so
// the solver, the symbolic stage and the plots run from the same source on both platforms. What has no
// meaning in a page (files, worker threads) throws when called; the page never calls it (it solves with
// the executor of src/platform/web-workers.ts, never worker_threads, and reads models from the editor).
// mathjs comes from the same prebuilt bundle the CLI loads, so derivations and generated code are identical.
// @ts-expect-error the prebuilt bundle has no type declarations of its own (the CLI casts it the same way)
import mathBundle from "mathjs/lib/browser/math.js";

function unavailable(what: string): never {
  throw new Error(`${what} is not available in the browser`);
}

// node:os — one thread (the page passes its own thread count and executor); memory from the Device Memory API if present.
export function availableParallelism(): number {
  return 1;
}
export function totalmem(): number {
  const gib = (globalThis.navigator as { deviceMemory?: number } | undefined)?.deviceMemory ?? 4;
  return gib * 2 ** 30;
}

// node:fs — models come from the editor; downloads are made by the page.
export function readFileSync(_path: unknown, _enc?: unknown): never {
  return unavailable("reading files");
}
export function statSync(_path: unknown): never {
  return unavailable("reading files");
}
export function writeFileSync(_path: unknown, _data: unknown): never {
  return unavailable("writing files");
}
export function mkdirSync(_path: unknown, _opts?: unknown): never {
  return unavailable("writing files");
}
export function existsSync(_path: unknown): boolean {
  return false;
}
// Checkpoints (solve --checkpoint / --resume, src/solvers/mc/checkpoint-file.ts) are files: not in the browser.
export function openSync(_path: unknown, _flags?: unknown): never {
  return unavailable("checkpoint files");
}
export function readSync(..._args: unknown[]): never {
  return unavailable("checkpoint files");
}
export function writeSync(..._args: unknown[]): never {
  return unavailable("checkpoint files");
}
export function closeSync(_fd: unknown): never {
  return unavailable("checkpoint files");
}
export function renameSync(_from: unknown, _to: unknown): never {
  return unavailable("checkpoint files");
}
export function unlinkSync(_path: unknown): never {
  return unavailable("checkpoint files");
}

// node:crypto — the checkpoint's model hash and state digest.
export function createHash(_algorithm: unknown): never {
  return unavailable("checkpoint files");
}

// node:path (POSIX subset).
export function dirname(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : p.slice(0, i);
}
export function join(...parts: string[]): string {
  return parts
    .filter((s) => s !== "")
    .join("/")
    .replace(/\/+/g, "/");
}

// node:module — `createRequire(url)(spec)` is how the CLI loads mathjs's prebuilt bundle.
export function createRequire(_url: unknown) {
  const req = (spec: string): unknown => {
    if (spec === "mathjs/lib/browser/math.js") return mathBundle;
    return unavailable(`require('${spec}')`);
  };
  req.resolve = (spec: string): never => unavailable(`require.resolve('${spec}')`);
  return req;
}

// node:url
export function fileURLToPath(_url: unknown): never {
  return unavailable("file URLs");
}
export function pathToFileURL(_path: unknown): never {
  return unavailable("file URLs");
}

// node:worker_threads — the page's solver Web Worker is the main thread of the solver.
export const isMainThread = true;
export const parentPort = null;
export const workerData = null;
export class Worker {
  constructor() {
    unavailable("worker_threads (the page runs tasks on Web Workers)");
  }
}
