// How many lines one source may put in god's log per minute. Past its budget a source's lines are counted,
// not logged, and when its minute ends one report says how many were left out: a loader that writes 100,000
// lines a second to its stderr must not bury god's log (or the journal reading god's stdout).

export interface LineBudgetOptions {
  /** Lines of one source logged per window. */
  perWindow: number;
  windowMs: number;
  /** The first line over budget in a window (dropped 1), and at the window's end the count (final). */
  report: (key: string, dropped: number, final: boolean) => void;
  now?: () => number;
}

interface Window {
  startMs: number;
  count: number;
  dropped: number;
  timer: NodeJS.Timeout | null;
}

export class LineBudget {
  private readonly options: LineBudgetOptions;
  private readonly now: () => number;
  private readonly windows = new Map<string, Window>();

  constructor(options: LineBudgetOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Counts one line of `key`: true to log it, false when it is over budget (then it is counted). */
  take(key: string): boolean {
    const now = this.now();
    let window = this.windows.get(key);
    if (window !== undefined && now - window.startMs >= this.options.windowMs) {
      this.flush(key, window);
      window = undefined;
    }
    if (window === undefined) {
      window = { startMs: now, count: 0, dropped: 0, timer: null };
      this.windows.set(key, window);
    }
    if (window.count < this.options.perWindow) {
      window.count++;
      return true;
    }
    window.dropped++;
    if (window.dropped === 1) {
      this.options.report(key, 1, false);
      const w = window;
      w.timer = setTimeout(() => this.flush(key, w), Math.max(0, w.startMs + this.options.windowMs - now));
      w.timer.unref();
    }
    return false;
  }

  /** Reports what is counted now (god is exiting) and forgets every window. */
  close(): void {
    for (const [key, window] of [...this.windows]) this.flush(key, window);
  }

  private flush(key: string, window: Window): void {
    if (window.timer !== null) clearTimeout(window.timer);
    window.timer = null;
    if (this.windows.get(key) === window) this.windows.delete(key);
    if (window.dropped > 0) this.options.report(key, window.dropped, true);
    window.dropped = 0;
  }
}
