// watch (SPEC 15): a job's paths watched for changes, which replace the job by its reload policy once they have
// been quiet for `debounceMs`. One inotify watch per directory (a directory's watch sees its files), never one
// per file, and at most MAX_DIRS_PER_JOB per job: Node 20's `recursive: true` on Linux walks the tree
// synchronously and watches every file and directory with no way to leave any out, so a 100k-file tree would
// block god and take 100k of the user's inotify watches. Directories are walked asynchronously, ignored ones are
// never entered, new ones are added as they appear, removed ones are let go.

import { type FSWatcher, watch } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { type IgnoreTest, ignoreTest } from "./watch-ignore.js";

/** Directories watched per job at most; the rest of a larger tree is not seen (and god's log says so). */
export const MAX_DIRS_PER_JOB = 2048;
/** Changed paths remembered for the reason of one reload. */
const MAX_CHANGES_NAMED = 1000;

export interface WatchSpec {
  paths: string[];
  ignore: string[];
  debounceMs: number;
}

export interface WatchLog {
  info(msg: string, fields: Record<string, unknown>): void;
  warn(msg: string, fields: Record<string, unknown>): void;
}

export interface FileWatchesOptions {
  /** god's home: its logs and state file are never watched. */
  home: string;
  /** The changes under a job's paths have been quiet for its debounceMs. */
  changed: (job: string, why: string) => void;
  log: WatchLog;
  maxDirsPerJob?: number;
}

/** Every job's watch: set on each spec the job is declared with, cleared when it is removed. */
export class FileWatches {
  private readonly jobs = new Map<string, { key: string; watch: JobWatch }>();
  private readonly options: FileWatchesOptions;

  constructor(options: FileWatchesOptions) {
    this.options = options;
  }

  /** The job's watch now (null: none, or the job is gone); an unchanged one is kept as it is. */
  set(job: string, spec: WatchSpec | null, cwd: string): void {
    const key = spec === null ? null : JSON.stringify([spec, cwd]);
    const current = this.jobs.get(job);
    if (current && current.key === key) return;
    current?.watch.close();
    this.jobs.delete(job);
    if (spec === null || key === null) return;
    const jobWatch = new JobWatch(job, spec, resolve(cwd), this.options);
    this.jobs.set(job, { key, watch: jobWatch });
    void jobWatch.start();
  }

  /** Directories watched now, per job. */
  counts(): Map<string, number> {
    return new Map([...this.jobs].map(([job, { watch }]) => [job, watch.directories]));
  }

  /** Resolves once every job's first walk is done (for tests and the measurement). */
  async ready(): Promise<void> {
    await Promise.all([...this.jobs.values()].map(({ watch }) => watch.walked));
  }

  close(): void {
    for (const { watch } of this.jobs.values()) watch.close();
    this.jobs.clear();
  }
}

class JobWatch {
  readonly walked: Promise<void>;
  private startWalk: () => void = () => {};
  private readonly watchers = new Map<string, FSWatcher>();
  /** For a directory watched because a file in it is named in `paths`: only those names count. */
  private readonly only = new Map<string, Set<string>>();
  private readonly ignored: IgnoreTest;
  private readonly changes = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private capped = false;
  private readonly max: number;
  private readonly job: string;
  private readonly spec: WatchSpec;
  private readonly cwd: string;
  private readonly options: FileWatchesOptions;

  constructor(job: string, spec: WatchSpec, cwd: string, options: FileWatchesOptions) {
    this.job = job;
    this.spec = spec;
    this.cwd = cwd;
    this.options = options;
    this.ignored = ignoreTest(spec.ignore, cwd, resolve(options.home));
    this.max = options.maxDirsPerJob ?? MAX_DIRS_PER_JOB;
    this.walked = new Promise((done) => {
      this.startWalk = done;
    });
  }

  get directories(): number {
    return this.watchers.size;
  }

  async start(): Promise<void> {
    try {
      for (const path of this.spec.paths) {
        const full = resolve(this.cwd, path);
        const kind = await stat(full).then(
          (s) => (s.isDirectory() ? "dir" : "file"),
          () => null,
        );
        if (this.closed) return;
        if (kind === null) {
          this.options.log.warn(
            `job ${this.job}: watch path ${path} does not exist (from ${this.cwd}); it is not watched until the job's spec is loaded again`,
            { job: this.job },
          );
        } else if (kind === "file") {
          const dir = dirname(full);
          const names = this.only.get(dir) ?? new Set<string>();
          names.add(basename(full));
          if (!this.watchers.has(dir)) this.only.set(dir, names);
          this.add(dir);
        } else await this.walk(full);
      }
      if (!this.closed) {
        this.options.log.info(
          `job ${this.job}: watching ${this.watchers.size} director${this.watchers.size === 1 ? "y" : "ies"} for changes (${this.spec.paths.join(", ")})`,
          { job: this.job, directories: this.watchers.size },
        );
      }
    } finally {
      this.startWalk();
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** Watches `root` and every directory under it that is not ignored, breadth first, up to the cap. */
  private async walk(root: string): Promise<void> {
    const queue = [root];
    for (let next = queue.shift(); next !== undefined && !this.closed; next = queue.shift()) {
      if (this.ignored(next) || !this.add(next)) continue;
      // Watched whole now, even if a file named in `paths` had it watched for that file alone.
      this.only.delete(next);
      try {
        const entries = await readdir(next, { withFileTypes: true });
        if (this.closed) return;
        // Symbolic links are not followed: a link to an ancestor would loop.
        for (const entry of entries) if (entry.isDirectory()) queue.push(join(next, entry.name));
      } catch {
        // Gone or unreadable while walking: whatever is left is not watched.
      }
    }
  }

  /** Watches one directory; false when it cannot be (the cap, or the kernel's limit). */
  private add(dir: string): boolean {
    if (this.watchers.has(dir)) return true;
    if (this.watchers.size >= this.max) {
      if (!this.capped) {
        this.capped = true;
        this.options.log.warn(
          `job ${this.job}: watch stops at ${this.max} directories; changes in the others under ${this.spec.paths.join(", ")} are not seen (narrow its paths or add ignore patterns)`,
          { job: this.job, directories: this.max },
        );
      }
      return false;
    }
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, (event, name) => this.event(dir, event, name));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOSPC" && !this.capped) {
        this.capped = true;
        this.options.log.warn(
          `job ${this.job}: the system's inotify watches are used up after ${this.watchers.size} directories (raise fs.inotify.max_user_watches, or narrow its paths)`,
          { job: this.job, directories: this.watchers.size },
        );
      }
      return false;
    }
    watcher.on("error", () => this.forget(dir));
    this.watchers.set(dir, watcher);
    return true;
  }

  private forget(dir: string): void {
    for (const [path, watcher] of this.watchers) {
      if (path === dir || path.startsWith(`${dir}/`)) {
        watcher.close();
        this.watchers.delete(path);
      }
    }
  }

  private event(dir: string, event: string, name: string | Buffer | null): void {
    if (this.closed) return;
    const only = this.only.get(dir);
    const text = name === null ? null : name.toString();
    if (only && (text === null || !only.has(text))) return;
    const path = text === null ? dir : join(dir, text);
    if (this.ignored(path)) return;
    if (event === "rename") void this.renamed(dir, path);
    if (this.changes.size < MAX_CHANGES_NAMED) this.changes.add(path);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fire(), this.spec.debounceMs);
  }

  /** A name appeared or went: a new directory is walked, a removed one let go. */
  private async renamed(dir: string, path: string): Promise<void> {
    const info = await stat(path).catch(() => null);
    if (this.closed) return;
    if (info?.isDirectory()) {
      if (!this.only.has(dir)) await this.walk(path);
    } else if (info === null) {
      this.forget(path);
      if (
        await stat(dir).then(
          () => false,
          () => true,
        )
      )
        this.forget(dir);
    }
  }

  private fire(): void {
    this.timer = null;
    const paths = [...this.changes].map((p) => relative(this.cwd, p) || ".");
    this.changes.clear();
    if (this.closed || paths.length === 0) return;
    const more = paths.length > 1 ? ` and ${paths.length - 1} more` : "";
    this.options.changed(this.job, `watch: ${paths[0]}${more} changed`);
  }
}
