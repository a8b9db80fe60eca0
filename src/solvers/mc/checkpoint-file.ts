// The checkpoint file of the Monte-Carlo solver (`solve --checkpoint FILE` / `--resume FILE`, issue 15):
// a 24-byte prefix (8-byte magic, uint32 version, uint32 header length, float64 bytes of states), the
// group solves' states as float64 (little-endian) one after another, then the JSON header (checkpoint.ts
// CheckpointHeader, with each state's length and SHA-256). The states never pass through the main thread:
// each group task writes its own state at its offset of `FILE.partial` (writeStateAt) and a resumed task
// reads its own (readStateAt), so a checkpoint of many GiB (N = 4000) costs no memory beyond the group solves
// themselves. The header is appended last and the file renamed, so a failed solve leaves no checkpoint.
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { UsageError } from "../../util/errors.js";
import type { CheckpointHeader } from "./checkpoint.js";

const MAGIC = "DMFTCKPT";
export const CHECKPOINT_VERSION = 4;
const PREFIX = 24;

/** Where a group solve's state lies in a checkpoint file (bytes from its start), and its length in doubles. */
export interface StateSlot {
  file: string;
  offset: number;
  doubles: number;
}

/** Bytes of a checkpoint file with states of these lengths (the header's size is a generous allowance). */
export function checkpointBytes(doubles: number[]): number {
  return PREFIX + 4096 + 96 * doubles.length + 8 * doubles.reduce((a, n) => a + n, 0);
}

const CHUNK = 1 << 24;

/** The bytes of x in pieces of at most CHUNK (for writeSync, readSync and hash updates). */
function pieces(x: Float64Array, f: (b: Uint8Array, at: number) => void): void {
  const bytes = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
  for (let o = 0; o < bytes.length; o += CHUNK) f(bytes.subarray(o, Math.min(bytes.length, o + CHUNK)), o);
}

/**
 * Starts writing a checkpoint: `FILE.partial` with its prefix and room for states of these lengths; returns
 * the slot of each state, in order.
 */
export function startCheckpoint(file: string, doubles: number[]): StateSlot[] {
  const partial = `${file}.partial`;
  const total = doubles.reduce((a, n) => a + n, 0);
  const head = Buffer.alloc(PREFIX);
  head.write(MAGIC, 0, "latin1");
  head.writeUInt32LE(CHECKPOINT_VERSION, 8);
  head.writeDoubleLE(8 * total, 16);
  const fd = openSync(partial, "w");
  try {
    writeSync(fd, head, 0, PREFIX, 0);
  } finally {
    closeSync(fd);
  }
  let offset = PREFIX;
  return doubles.map((n) => {
    const slot = { file: partial, offset, doubles: n };
    offset += 8 * n;
    return slot;
  });
}

/** Writes a state into its slot (from the group task that computed it); returns its SHA-256. */
export function writeStateAt(slot: StateSlot, state: Float64Array): string {
  if (state.length !== slot.doubles)
    throw new Error(`checkpoint: state of ${state.length} doubles, slot of ${slot.doubles}`);
  const hash = createHash("sha256");
  const fd = openSync(slot.file, "r+");
  try {
    pieces(state, (b, at) => {
      writeSync(fd, b, 0, b.length, slot.offset + at);
      hash.update(b);
    });
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** Appends the header to `FILE.partial` and renames it to FILE. */
export function finishCheckpoint(file: string, header: CheckpointHeader): void {
  const partial = `${file}.partial`;
  const json = Buffer.from(JSON.stringify(header));
  const total = header.tasks.reduce((a, t) => a + t.doubles, 0);
  const fd = openSync(partial, "r+");
  try {
    writeSync(fd, json, 0, json.length, PREFIX + 8 * total);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(json.length);
    writeSync(fd, len, 0, 4, 12);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, file);
}

/** Removes what a failed solve had written of its checkpoint. */
export function abandonCheckpoint(file: string): void {
  try {
    unlinkSync(`${file}.partial`);
  } catch {
    // nothing written yet
  }
}

/** Reads a state from its slot (in the group task that resumes it). */
export function readStateAt(slot: StateSlot): Float64Array {
  const x = new Float64Array(slot.doubles);
  const fd = openSync(slot.file, "r");
  try {
    pieces(x, (b, at) => {
      readSync(fd, b, 0, b.length, slot.offset + at);
    });
  } finally {
    closeSync(fd);
  }
  return x;
}

/**
 * Reads and checks a checkpoint file: its header, and each state's checksum (read in pieces, not kept); a
 * missing, foreign, truncated or altered file is a UsageError. Returns the header and the states' slots.
 */
export function readCheckpoint(file: string): { header: CheckpointHeader; slots: StateSlot[] } {
  const bad = (why: string) => new UsageError(`solve --resume: ${file} ${why}`);
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw bad("does not exist or cannot be read");
  }
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(PREFIX);
    if (
      size < PREFIX ||
      readSync(fd, head, 0, PREFIX, 0) !== PREFIX ||
      head.toString("latin1", 0, 8) !== MAGIC
    ) {
      throw bad("is not a dmftkit checkpoint");
    }
    const version = head.readUInt32LE(8);
    if (version !== CHECKPOINT_VERSION) {
      throw bad(`is a checkpoint of version ${version}; this dmftkit reads version ${CHECKPOINT_VERSION}`);
    }
    const len = head.readUInt32LE(12);
    const stateBytes = head.readDoubleLE(16);
    if (PREFIX + stateBytes + len !== size) throw bad(`is truncated or has extra bytes (${size} bytes)`);
    const json = Buffer.alloc(len);
    readSync(fd, json, 0, len, PREFIX + stateBytes);
    let header: CheckpointHeader;
    try {
      header = JSON.parse(json.toString("utf8"));
    } catch {
      throw bad("has a corrupt header");
    }
    if (!Array.isArray(header.tasks) || 8 * header.tasks.reduce((a, t) => a + t.doubles, 0) !== stateBytes) {
      throw bad("has a corrupt header");
    }
    let offset = PREFIX;
    const slots = header.tasks.map((t) => {
      const slot = { file, offset, doubles: t.doubles };
      offset += 8 * t.doubles;
      return slot;
    });
    const buf = Buffer.alloc(Math.min(CHUNK, Math.max(8, stateBytes)));
    slots.forEach((slot, i) => {
      const hash = createHash("sha256");
      for (let o = 0; o < 8 * slot.doubles; o += buf.length) {
        const n = Math.min(buf.length, 8 * slot.doubles - o);
        readSync(fd, buf, 0, n, slot.offset + o);
        hash.update(buf.subarray(0, n));
      }
      if (hash.digest("hex") !== header.tasks[i].sha256) {
        throw bad("is corrupt (checksum of the states differs)");
      }
    });
    return { header, slots };
  } finally {
    closeSync(fd);
  }
}
