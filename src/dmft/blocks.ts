// Small constructors for the content blocks of a DmftSystem: paragraphs written with $...$ inline math,
// displays and tables. Prose passed here is trusted toolkit text; user text goes in as { user }.
import type { Block, Inline, Section } from "./types.js";

/** Splits trusted prose on $...$ into text and inline-math pieces. */
export function inline(text: string): Inline[] {
  const out: Inline[] = [];
  const parts = text.split("$");
  if (parts.length % 2 === 0) throw new Error(`internal: unbalanced $ in '${text}'`);
  parts.forEach((s, i) => {
    if (s === "") return;
    out.push(i % 2 === 1 ? { math: s } : s);
  });
  return out;
}

/** A paragraph from trusted prose strings (with $...$) and { user } pieces. */
export function p(...pieces: Array<string | { user: string }>): Block {
  return { kind: "p", content: pieces.flatMap((x) => (typeof x === "string" ? inline(x) : [x])) };
}

export function display(tex: string): Block {
  return { kind: "display", tex };
}

/** A display of several aligned lines (`&` marks the alignment point in each). */
export function aligned(lines: string[]): Block {
  return display(`\\begin{aligned}\n${lines.join(" \\\\\n")}\n\\end{aligned}`);
}

export function table(head: string[], rows: Array<Array<string | { user: string }>>): Block {
  return {
    kind: "table",
    head,
    rows: rows.map((row) => row.map((c) => (typeof c === "string" ? inline(c) : [c]))),
  };
}

/** Aligned lines `lhs &= chunk0`, then `&\qquad chunk_i`; `end` (e.g. ",") follows the last chunk. */
export function eqLines(lhs: string, chunks: string[], end = ""): string[] {
  return chunks.map(
    (c, i) => `${i === 0 ? `${lhs} &= ` : "&\\qquad "}${c}${i === chunks.length - 1 ? end : ""}`,
  );
}

/** Wraps chunks of one expression in E[...] (fixed-size brackets, so the lines may break inside). */
export function expectChunks(chunks: string[]): string[] {
  const last = chunks.length - 1;
  return chunks.map((c, i) => `${i === 0 ? "\\mathbb{E}\\Big[" : ""}${c}${i === last ? "\\Big]" : ""}`);
}

/** A section (level 1) or subsection (level 2); `title` is trusted prose with $...$ inline math. */
export function section(id: string, title: string, level: 1 | 2, blocks: Block[]): Section {
  return { id, title, level, blocks };
}
