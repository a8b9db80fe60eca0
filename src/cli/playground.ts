// `dmftkit playground [--port P]`: serves the browser playground (the static site `npm run build` writes to
// dist-web/) on 127.0.0.1, prints its URL and stays up until SIGINT/SIGTERM. Plain node:http: the site is
// a handful of static files and nothing on the page talks to any other host.
import { existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { RunError, UsageError } from "../util/errors.js";
import { parseIntOption } from "./common.js";

/** dist-web/ next to src/ or dist/ (the same place from the sources and from the compiled CLI). */
export const SITE_DIR = fileURLToPath(new URL("../../dist-web/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".ttf": "font/ttf",
  ".txt": "text/plain; charset=utf-8",
};

/** Serves the files of `dir` on 127.0.0.1:`port` (0: any free port); resolves once listening. */
export function servePlayground(dir: string, port: number): Promise<{ server: Server; url: string }> {
  const base = resolve(dir);
  if (!existsSync(join(base, "index.html")))
    throw new RunError(`playground: ${base} has no index.html; run \`npm run build\` (npm ci does it) first`);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
    const file = resolve(base, `.${path.endsWith("/") ? `${path}index.html` : path}`);
    const type = TYPES[extname(file)];
    if (!(file.startsWith(base + sep) && type && existsSync(file) && statSync(file).isFile())) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    res.writeHead(200, { "content-type": type, "cache-control": "no-cache" }).end(readFileSync(file));
  });
  return new Promise((ok, fail) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      fail(new RunError(`playground: cannot listen on 127.0.0.1:${port} (${err.code ?? err.message})`)),
    );
    server.listen(port, "127.0.0.1", () => {
      const addr = server.address();
      const p = typeof addr === "object" && addr ? addr.port : port;
      ok({ server, url: `http://127.0.0.1:${p}/` });
    });
  });
}

export function registerPlayground(program: Command): void {
  program
    .command("playground")
    .description("serve the browser playground on 127.0.0.1 (edit a model, see its equations and curves)")
    .option("--port <P>", "port (0: any free port)", "8765")
    .action(async (opts: { port: string }) => {
      const port = parseIntOption("port", opts.port, 8765, 0);
      if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
      const { server, url } = await servePlayground(SITE_DIR, port);
      process.stdout.write(`dmftkit playground: ${url}  (Ctrl+C to stop)\n`);
      await new Promise<void>((done) => {
        const stop = () => {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          server.close(() => done());
          server.closeAllConnections();
        };
        process.on("SIGINT", stop);
        process.on("SIGTERM", stop);
      });
    });
}
