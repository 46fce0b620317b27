// Bundles the `god` bin: dist/src/cli/god.cjs, one CommonJS file made by esbuild from tsc's output
// dist/src/cli/god.js, so that `god status` starts no ESM loader and resolves no module graph (docs/benchmarks.md,
// "status"). Every client command is in it, each initialized only when it runs. What a command reaches through
// import() outside src/cli (the daemon, the process layer, the configuration converters, TypeBox behind them)
// stays out: those import()s are kept, with their paths made relative to the bundle, and load the ESM build.
// import.meta.url in a bundled file becomes the URL that file has in the ESM build, so paths made from it
// (../main.js, the package.json) do not move. Writes dist/cli-bundle.json, esbuild's metafile, which
// test/unit/cli-bundle.test.ts reads; it is outside dist/src, so it is not packed.
import { writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { build } from "esbuild";

const CLI = resolve("dist/src/cli");
const OUT = resolve(CLI, "god.cjs");

/** `path` relative to the bundle's directory, as an import() specifier. */
function fromBundle(path) {
  const rel = relative(dirname(OUT), path).split("\\").join("/");
  return rel.startsWith(".") ? rel : `./${rel}`;
}

const plugin = {
  name: "god-cli",
  setup(b) {
    b.onResolve({ filter: /^\./ }, (args) => {
      if (args.kind !== "dynamic-import") return undefined;
      const path = resolve(args.resolveDir, args.path);
      if (path.startsWith(`${CLI}/`)) return undefined;
      return { path: fromBundle(path), external: true };
    });
    b.onLoad({ filter: /\.js$/ }, async (args) => {
      const { readFile } = await import("node:fs/promises");
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const own = JSON.stringify(relative(dirname(OUT), args.path).split("\\").join("/"));
      const url = `require("node:url").pathToFileURL(require("node:path").join(__dirname, ${own})).href`;
      return { contents: text.replaceAll("import.meta.url", url), loader: "js" };
    });
  },
};

const result = await build({
  entryPoints: [resolve(CLI, "god.js")],
  outfile: OUT,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  metafile: true,
  logLevel: "silent",
  plugins: [plugin],
});
if (result.warnings.length > 0) {
  for (const warning of result.warnings) console.error(`bundle-cli: ${warning.text}`);
  throw new Error("bundle-cli: esbuild warned; the bundle may not behave as the ESM build does");
}
writeFileSync("dist/cli-bundle.json", JSON.stringify(result.metafile, null, 2) + "\n");
