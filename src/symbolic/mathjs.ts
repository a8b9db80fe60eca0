// mathjs, loaded from its prebuilt bundle (~0.1 s instead of ~1 s for the ESM build: CLI start-up),
// with the package's own types. Used to parse model expressions and as an independent derivative check.
import { createRequire } from "node:module";
import type { MathJsInstance } from "mathjs";

const require = createRequire(import.meta.url);
export const math = require("mathjs/lib/browser/math.js") as MathJsInstance;
