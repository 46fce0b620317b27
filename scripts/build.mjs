// Builds dist/: the ESM build of everything (src and test), a CommonJS build of the library entry, the `god`
// bin bundled into one file (scripts/bundle-cli.mjs), and makes the bin executable. Plain Node and the dev
// dependencies, so `npm install` needs nothing else.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
if (!existsSync("node_modules/typescript")) {
  // Installed from the tarball as a dependency: dist/ is shipped already.
  process.exit(0);
}
const tsc = require.resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", "tsconfig.json"], { stdio: "inherit" });
execFileSync(process.execPath, [tsc, "-p", "tsconfig.cjs.json"], { stdio: "inherit" });
mkdirSync("dist/cjs", { recursive: true });
writeFileSync("dist/cjs/package.json", '{ "type": "commonjs" }\n');
await import("./bundle-cli.mjs");
chmodSync("dist/src/cli/bundle/god.cjs", 0o755);
chmodSync("dist/src/cli/main.js", 0o755);
