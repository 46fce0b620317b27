// A loader that says one hello with these JobSpecs and then waits: the JSON is written to a file beside it and
// printed by a two-line sh script, so any field of the JobSpec can be set as god reads it, with no library.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Sandbox } from "./god.js";

export function helloLoader(sb: Sandbox, name: string, jobs: unknown[]): string {
  const file = join(sb.root, `${name}.hello.json`);
  const hello = { jsonrpc: "2.0", method: "hello", params: { protocol: "godv1", loader: { name }, jobs } };
  writeFileSync(file, `${JSON.stringify(hello)}\n`);
  return sb.write(name, `#!/bin/sh\ncat ${JSON.stringify(file)}\nexec cat >/dev/null\n`);
}

/** god's own log lines (JSON on its stdout) so far, as {msg, time, ...fields}. */
export function godLines(sb: Sandbox): Array<{ msg: string; time: number } & Record<string, unknown>> {
  const out: Array<{ msg: string; time: number } & Record<string, unknown>> = [];
  for (const line of sb.godOutput.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const value = JSON.parse(line) as { msg?: unknown; time?: unknown };
      if (typeof value.msg === "string" && typeof value.time === "number")
        out.push(value as { msg: string; time: number });
    } catch {
      // a line cut by the read: the next call sees it whole
    }
  }
  return out;
}
