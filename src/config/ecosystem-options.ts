// What converting an ecosystem file needs from the machine, passed in so that the converter stays pure, and
// the reporter of a bad field value every part of the conversion shares.

export interface EcosystemOptions {
  /** `god run --env NAME` / `god import --env NAME`: env_NAME is merged over env. */
  envName: string | null;
  /** Where a relative `cwd` (and, without one, the apps) start from: the config file's own directory. */
  dir: string;
  /** The node that runs a script whose interpreter is node: god's own, as PM2 runs its own. */
  nodePath: string;
  /** CPUs, for `instances: -1` (all but one). */
  cpuCount: number;
  /** What `~` means in `cwd` and `script`. */
  homeDir: string;
  /** Whether a file exists: a script that is not a file under cwd is a command looked up in PATH. */
  exists: (path: string) => boolean;
}

/** Records "FILE: apps[i].FIELD: expected EXPECTED, got VALUE; FIX." */
export type Bad = (field: string, expected: string, fix: string) => void;
