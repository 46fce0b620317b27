// Reads one configuration file and converts it: the file-loader program's work before its hello. Resolves what
// the pure converters need from the machine (the file's real directory, its .env, god's node, the CPU count).

import { existsSync, readFileSync, realpathSync } from "node:fs";
import { availableParallelism, homedir } from "node:os";
import { dirname, extname, join } from "node:path";
import type { ConfigKind, Conversion } from "./config-job.js";
import { convertEcosystem } from "./ecosystem.js";
import { evaluateJsConfig } from "./js-config.js";
import { convertJsonConfig } from "./json-config.js";
import { parseJsonText } from "./json-text.js";
import { convertProcfile } from "./procfile.js";

export interface ReadOptions {
  /** PM2's `--env NAME`: env_NAME is merged over env. */
  envName: string | null;
}

export async function readConfigFile(
  path: string,
  kind: ConfigKind,
  options: ReadOptions,
): Promise<Conversion> {
  const failed = (error: string): Conversion => ({ jobs: [], warnings: [], errors: [error] });
  let text: string;
  let dir: string;
  try {
    // A symlinked file (a deploy swaps a link) belongs to the directory it really lives in.
    dir = dirname(realpathSync(path));
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    return failed(
      `${path}: cannot read it (${code || (error as Error).message}); check that it exists and is readable.`,
    );
  }
  switch (kind) {
    case "json":
      return convertJsonConfig(text, path);
    case "procfile": {
      const envPath = join(dir, ".env");
      let dotenv: { text: string; file: string } | null = null;
      if (existsSync(envPath)) {
        try {
          dotenv = { text: readFileSync(envPath, "utf8"), file: envPath };
        } catch (error) {
          return failed(
            `${envPath}: cannot read it (${(error as NodeJS.ErrnoException).code}); make it readable.`,
          );
        }
      }
      return convertProcfile(text, path, { dir, dotenv });
    }
    case "ecosystem": {
      let value: unknown;
      if (extname(path) === ".json") {
        const parsed = parseJsonText(text, path);
        if (!parsed.ok) return failed(parsed.error);
        value = parsed.value;
      } else {
        const evaluated = await evaluateJsConfig(path);
        if (!evaluated.ok) return failed(evaluated.error);
        value = evaluated.value;
      }
      return convertEcosystem(value, path, {
        envName: options.envName,
        dir,
        nodePath: process.execPath,
        cpuCount: availableParallelism(),
        homeDir: homedir(),
        exists: existsSync,
      });
    }
  }
}
