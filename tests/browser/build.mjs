// node build.mjs <outdir>: bundles page/entry.js with esbuild and copies the pages (page/*.html) next to it.
import { build } from "esbuild";
import { copyFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2];
await build({
  entryPoints: [join(here, "page", "entry.js")], bundle: true, format: "iife", target: "es2020",
  outfile: join(outdir, "sentry.bundle.js"), logLevel: "warning",
});
for (const page of ["index.html", "report.html", "capture.html"]) copyFileSync(join(here, "page", page), join(outdir, page));
