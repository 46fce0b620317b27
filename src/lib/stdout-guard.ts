// Keeps stdout for protocol lines in loader mode: console.log/info/debug and process.stdout.write go to stderr
// (which god logs as the loader's own output), and the library keeps the original writer for itself.

/** Writes to the real stdout; the callback runs once the chunk has been handed to the OS (or failed). */
export type RawWrite = (chunk: string, callback: (error?: Error | null) => void) => boolean;

let original: RawWrite | null = null;

/** Installs the guard once; every call returns the saved writer of the real stdout. */
export function installStdoutGuard(): RawWrite {
  if (original) return original;
  const stdout = process.stdout;
  const stderr = process.stderr;
  const write = stdout.write;
  original = (chunk, callback) => write.call(stdout, chunk, "utf8", callback);
  stdout.write = function redirected(this: unknown, ...args: unknown[]): boolean {
    return Reflect.apply(stderr.write, stderr, args) as boolean;
  } as typeof stdout.write;
  // Console writes through stdout.write already; rebinding these as well also covers a console whose stream
  // reference was taken before the guard was installed.
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  return original;
}
