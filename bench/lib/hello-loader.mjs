// The simplest loader the benches give god: a shell script that prints one hello line (kept in a file beside it)
// and then reads its stdin until god closes it.
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Writes `helloDir/hello.json` and the executable loader at `loaderPath`, which says hello with `jobs`. */
export function writeHelloLoader(helloDir, loaderPath, jobs, loaderName = "bench") {
  const hello = {
    jsonrpc: "2.0",
    method: "hello",
    params: { protocol: "godv1", loader: { name: loaderName }, jobs },
  };
  const helloPath = join(helloDir, "hello.json");
  writeFileSync(helloPath, `${JSON.stringify(hello)}\n`);
  writeFileSync(loaderPath, `#!/bin/sh\ncat ${JSON.stringify(helloPath)}\nexec cat >/dev/null\n`);
  chmodSync(loaderPath, 0o755);
}
