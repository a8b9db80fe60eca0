// Messages between the page (web/main.ts) and its solver Web Worker (web/worker.ts).

export interface Job {
  text: string;
  /** meta.source of the results: models/<preset> when the text is a preset, else model.yaml. */
  source: string;
  seed: number;
  samples: number;
  sim: boolean;
  /** navigator.hardwareConcurrency of the page: 2 or more runs the tasks on 2 Web Workers. */
  cores: number;
}

export interface Legend {
  label: string;
  color: string;
  kind: "theory" | "sim";
  dashed?: boolean;
}

export type Reply =
  | { kind: "error"; message: string }
  | { kind: "model"; name: string; parameters: Record<string, number> }
  /** The derived DMFT system (KaTeX HTML sections and the .tex document), sent after the first curve. */
  | { kind: "equations"; html: string; tex: string }
  | {
      kind: "plots";
      /** What was just added ("exact", "mc M=1000", "simulation"). */
      stage: string;
      plots: Array<{ name: string; title: string; svg: string }>;
      legend: Legend[];
      /** Milliseconds since the job reached the worker. */
      ms: number;
    }
  /** The solve is complete: the JSON `dmftkit solve` writes and a CSV of the same series. */
  /** `workers`: the Web Workers the Monte-Carlo groups ran on (1: in-process, in the solver's worker). */
  | { kind: "solved"; json: string; csv: string; solver: string; ms: number; workers: number }
  | { kind: "status"; text: string }
  | { kind: "done"; ms: number };
