// Evaluates a JavaScript configuration file (ecosystem.config.js). Only the file-loader program calls this: it is
// the child process that god runs for the file, so a config that throws, exits or hangs never touches god.

import { pathToFileURL } from "node:url";

export type Evaluated = { ok: true; value: unknown } | { ok: false; error: string };

export async function evaluateJsConfig(path: string, file: string = path): Promise<Evaluated> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    return { ok: false, error: evaluationError(error, path, file) };
  }
  // CommonJS: module.exports is the default export. ESM: `export default {...}`, or named exports.
  return { ok: true, value: namespace["default"] ?? { ...namespace } };
}

/** One sentence: the file, the line where the stack gives it, what was thrown, and the fix. */
export function evaluationError(error: unknown, path: string, file: string): string {
  const name = error instanceof Error ? error.name : "a value";
  const message = error instanceof Error ? error.message.split("\n")[0]! : String(error);
  const line = lineOf(error, path);
  const where = line === null ? file : `${file}:${line}`;
  if (/\b(module|require|exports) is not defined in ES module scope/.test(message)) {
    return `${where}: ${message}, because the nearest package.json says "type": "module"; rename the file to ecosystem.config.cjs.`;
  }
  if (name === "SyntaxError") {
    const hint = line === null ? ` (\`node --check ${file}\` shows the line)` : "";
    return `${where}: not valid JavaScript: ${message}; fix the file${hint}.`;
  }
  return `${where}: evaluating the file threw ${name}: ${message}; fix the file so that it only exports its configuration.`;
}

/** The line of `path` that the error's stack names first (a syntax error's stack starts with `PATH:LINE`). */
function lineOf(error: unknown, path: string): number | null {
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  for (const form of [pathToFileURL(path).href, path]) {
    const escaped = form.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const match = new RegExp(`${escaped}:(\\d+)`).exec(stack);
    if (match) return Number(match[1]);
  }
  return null;
}
