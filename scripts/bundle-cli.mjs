// Bundles the `god` bin with esbuild, from tsc's ESM build of src/cli, into CommonJS files in dist/src/cli/bundle/:
//   god.cjs      the bin: god.js and dispatch.js, which pick the command;
//   NAME.cjs     one per command (status.cjs, run.cjs, ...): the command with everything it imports statically,
//                required by god.cjs when that command runs.
// Node loads a CommonJS file without starting its ESM loader or resolving a module graph, which is most of what
// `god status` cost over `node -e 0`, and each run compiles only the command it runs (docs/benchmarks.md,
// "status"). What a command reaches through import() outside src/cli (the daemon, the process layer, the
// configuration converters, TypeBox behind them) is not bundled: those import()s stay, their paths made
// relative to the bundle, and load the ESM build as before. import.meta.url in a bundled file becomes the URL
// the file has in the ESM build, so the paths made from it (../main.js, the package.json) do not move.
// Writes dist/cli-bundle.json, esbuild's metafile, which test/unit/cli-bundle.test.ts reads; it is outside
// dist/src, so it is not packed.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { build } from "esbuild";

const CLI = resolve("dist/src/cli");
const OUT = resolve(CLI, "bundle");
const COMMANDS = readdirSync(resolve(CLI, "commands"))
  .filter((file) => file.endsWith(".js"))
  .map((file) => file.slice(0, -".js".length));

/** `path` relative to the bundle's directory, with forward slashes. */
function fromBundle(path) {
  return relative(OUT, path).split("\\").join("/");
}

const COMMAND_IMPORT = /\bimport\("\.\/commands\/([a-z-]+)\.js"\)/g;

const plugin = {
  name: "god-cli",
  setup(b) {
    b.onResolve({ filter: /^\./ }, (args) => {
      // god.cjs requires a command's own file (see dispatch.js below), which is built as an entry of its own.
      if (args.kind === "require-call" && /^\.\/[a-z-]+\.cjs$/.test(args.path)) {
        return { path: args.path, external: true };
      }
      if (args.kind !== "dynamic-import") return undefined;
      const path = resolve(args.resolveDir, args.path);
      if (path.startsWith(`${CLI}/`)) {
        throw new Error(`bundle-cli: ${args.importer} imports ${args.path}, which would be bundled eagerly`);
      }
      const rel = fromBundle(path);
      return { path: rel.startsWith(".") ? rel : `./${rel}`, external: true };
    });
    b.onLoad({ filter: /\.js$/ }, (args) => {
      let text = readFileSync(args.path, "utf8");
      if (args.path === resolve(CLI, "dispatch.js")) {
        // import() of a .cjs file from CommonJS would start the ESM loader; require() does not.
        let count = 0;
        text = text.replace(COMMAND_IMPORT, (_, name) => {
          count++;
          return `Promise.resolve().then(() => require(${JSON.stringify(`./${name}.cjs`)}))`;
        });
        if (count !== COMMANDS.length) {
          throw new Error(
            `bundle-cli: dispatch.js loads ${count} commands, src/cli/commands has ${COMMANDS.length}`,
          );
        }
      }
      if (text.includes("import.meta.url")) {
        const own = JSON.stringify(fromBundle(args.path));
        const url = `require("node:url").pathToFileURL(require("node:path").join(__dirname, ${own})).href`;
        text = text.replaceAll("import.meta.url", url);
      }
      return { contents: text, loader: "js" };
    });
  },
};

rmSync(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: [
    { in: resolve(CLI, "god.js"), out: "god" },
    ...COMMANDS.map((name) => ({ in: resolve(CLI, "commands", `${name}.js`), out: name })),
  ],
  outdir: OUT,
  outExtension: { ".js": ".cjs" },
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
