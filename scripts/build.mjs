// Builds dist/: the ESM build of everything (src and test), a CommonJS build of the library entry, and makes
// the `god` bin executable. Plain Node so `npm install` needs nothing else.
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
chmodSync("dist/src/cli/main.js", 0o755);
