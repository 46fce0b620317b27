// What an ecosystem file's apps do that god accepts but treats differently, gathered over all apps so that
// each difference becomes one warning line for the whole file, naming the apps concerned.

/** Notes gathered over all apps, so that each becomes one warning line for the whole file. */
export class EcosystemNotes {
  readonly unknown = new Map<string, string[]>();
  readonly logDateFormat: string[] = [];
  readonly separateLogs: string[] = [];
  readonly waitReady: string[] = [];
  readonly ownPorts: string[] = [];
  readonly withoutEnvName: string[] = [];

  field(field: string, who: string): void {
    const list = this.unknown.get(field) ?? [];
    list.push(who);
    this.unknown.set(field, list);
  }
}

/** One warning line per difference, for the whole file. */
export function notesSummary(
  file: string,
  envName: string | null,
  notes: EcosystemNotes,
  appCount: number,
): string[] {
  const out: string[] = [];
  const list = (names: string[]) => [...new Set(names)].join(", ");
  if (notes.unknown.size > 0) {
    const fields = [...notes.unknown].map(([field, who]) => `${field} (${list(who)})`).join(", ");
    out.push(
      `${file}: god does not know these fields and ignores them: ${fields}; see docs/from-pm2.md for what god does instead.`,
    );
  }
  if (envName !== null && notes.withoutEnvName.length > 0) {
    const field = `env_${envName}`;
    out.push(
      notes.withoutEnvName.length === appCount
        ? `${file}: no app has ${field}, so --env ${envName} changes nothing; check the name.`
        : `${file}: ${list(notes.withoutEnvName)} ${notes.withoutEnvName.length > 1 ? "have" : "has"} no ${field} and run${notes.withoutEnvName.length > 1 ? "" : "s"} with env alone.`,
    );
  }
  if (notes.ownPorts.length > 0) {
    out.push(
      `${file}: ${list(notes.ownPorts)}: each instance is a process of its own (PM2's cluster mode is not used); a program that listens on a fixed port itself must take god's socket (a "listen" in a JSON loader and listeners() from the watchgod library) or use a port per instance (GOD_INSTANCE is 0, 1, ...).`,
    );
  }
  if (notes.waitReady.length > 0) {
    out.push(
      `${file}: ${list(notes.waitReady)}: wait_ready becomes ready: "notify"; the program must call ready() from the watchgod library (or send READY=1 to NOTIFY_SOCKET) instead of process.send('ready'), and one not ready within listen_timeout fails instead of counting as ready.`,
    );
  }
  if (notes.separateLogs.length > 0) {
    out.push(
      `${file}: ${list(notes.separateLogs)}: merge_logs: false is not honoured; god writes one log file per job, each line naming its instance.`,
    );
  }
  if (notes.logDateFormat.length > 0) {
    out.push(
      `${file}: ${list(notes.logDateFormat)}: log_date_format is not honoured; god's log lines carry ISO 8601 timestamps.`,
    );
  }
  return out;
}
