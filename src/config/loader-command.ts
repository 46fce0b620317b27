// How god runs the built-in loader for a configuration file: the node that runs god, the compiled
// file-loader.js beside this module, the file, and `godv1`. PM2's `--env NAME` travels as GOD_ENV_NAME.

import { fileURLToPath } from "node:url";

export const FILE_LOADER = fileURLToPath(new URL("./file-loader.js", import.meta.url));

export interface LoaderCommand {
  command: string;
  args: string[];
  /** Added to god's environment for the loader. */
  env: Record<string, string>;
}

export function configLoaderCommand(path: string, envName: string | null = null): LoaderCommand {
  return {
    command: process.execPath,
    args: [FILE_LOADER, path, "godv1"],
    env: envName === null ? {} : { GOD_ENV_NAME: envName },
  };
}
