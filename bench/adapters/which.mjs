// The absolute path of a command found in PATH, for the peers that want one (PM2's `script`).
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

export function which(command) {
  if (isAbsolute(command)) return command;
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const path = join(dir, command);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not in this dir
    }
  }
  throw new Error(`${command} is not in PATH`);
}
