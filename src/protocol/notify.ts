// systemd's notify protocol (sd_notify), SPEC section 11: one datagram holds newline-separated KEY=VALUE
// assignments; this turns one into the typed messages god acts on, and counts what is malformed. Pure.

/** A datagram longer than this is dropped by the socket before it is parsed (and counted). */
export const NOTIFY_DATAGRAM_MAX_BYTES = 4096;
/** STATUS= text is cut to this many characters. */
export const NOTIFY_STATUS_MAX_CHARS = 1000;

export type NotifyMessage =
  | { type: "ready" }
  | { type: "status"; text: string }
  | { type: "stopping" }
  | { type: "reloading" }
  | { type: "watchdog" }
  /** WATCHDOG=trigger: the instance asks to be treated as if its watchdog had expired (a failed check). */
  | { type: "watchdog-trigger" }
  /** EXTEND_TIMEOUT_USEC=N: the current start or stop must now end within timeoutMs (N µs, rounded up). */
  | { type: "extend-timeout"; timeoutMs: number }
  /** MAINPID=N: god keeps the pid it spawned; this is reported only so god can note that it ignores it. */
  | { type: "mainpid"; pid: number };

export interface NotifyDatagram {
  /** In the order of the datagram's lines; a key given twice gives two messages (the last one wins). */
  messages: NotifyMessage[];
  /** Malformed assignments: a line without `=`, a known key with a value it cannot have, or (counted as
   *  one, with no messages) a datagram that is not UTF-8. Unknown keys are not bad: they are ignored. */
  bad: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const DIGITS = /^[0-9]{1,19}$/;
/** C0 and C1 control characters: a status is shown in terminals and must not drive them. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** One datagram (at most NOTIFY_DATAGRAM_MAX_BYTES, already checked by the socket) to its messages. */
export function parseNotifyDatagram(data: Uint8Array): NotifyDatagram {
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return { messages: [], bad: 1 };
  }
  const messages: NotifyMessage[] = [];
  let bad = 0;
  for (const line of text.split("\n")) {
    // sd_notify senders often end the datagram with a newline.
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq <= 0) {
      bad++;
      continue;
    }
    const message = parseAssignment(line.slice(0, eq), line.slice(eq + 1));
    if (message === "bad") bad++;
    else if (message !== null) messages.push(message);
  }
  return { messages, bad };
}

/** A message, null for a key god does not use, or "bad" for a value the key cannot have. */
function parseAssignment(key: string, value: string): NotifyMessage | null | "bad" {
  switch (key) {
    case "READY":
      return value === "1" ? { type: "ready" } : "bad";
    case "STOPPING":
      return value === "1" ? { type: "stopping" } : "bad";
    case "RELOADING":
      return value === "1" ? { type: "reloading" } : "bad";
    case "WATCHDOG":
      if (value === "1") return { type: "watchdog" };
      return value === "trigger" ? { type: "watchdog-trigger" } : "bad";
    case "STATUS":
      return { type: "status", text: cutStatus(value) };
    case "EXTEND_TIMEOUT_USEC": {
      const usec = DIGITS.test(value) ? Number(value) : Number.NaN;
      return Number.isSafeInteger(usec)
        ? { type: "extend-timeout", timeoutMs: Math.ceil(usec / 1000) }
        : "bad";
    }
    case "MAINPID": {
      const pid = DIGITS.test(value) ? Number(value) : Number.NaN;
      return Number.isSafeInteger(pid) && pid > 0 ? { type: "mainpid", pid } : "bad";
    }
    default:
      return null;
  }
}

/** At most NOTIFY_STATUS_MAX_CHARS characters (code points, so no surrogate is cut in half), controls shown as U+FFFD. */
export function cutStatus(text: string): string {
  const chars = Array.from(text);
  const kept =
    chars.length > NOTIFY_STATUS_MAX_CHARS ? chars.slice(0, NOTIFY_STATUS_MAX_CHARS).join("") : text;
  return kept.replace(CONTROL, "\uFFFD");
}
