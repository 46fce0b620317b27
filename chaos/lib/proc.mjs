// What the chaos runs measure of god from outside, through /proc: resident memory, open fds (split into its
// pool of spare output pipes, the read ends of instances' pipes, and the rest), and whether a pid is still the
// process it was (start time), so cleanup never hits a reused pid.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Resident memory in bytes (VmRSS), or null when the process is gone. */
export function rssBytes(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

// A FIFO of god's kept in GOD_HOME/pipes while its instance runs (SPEC 13): PID-STAMP-SERIAL-N.
const KEPT_FIFO = /\/pipes\/\d+-[0-9a-z]+-[0-9a-z]+-\d+( \(deleted\))?$/;

/**
 * Open fds of pid: total, fifo (the fds of god's output FIFOs: both ends of each spare pipe of its pool and,
 * while an instance runs, both ends of each of its pipes, since god keeps its copy of the write end until it has
 * handled the exit), halfOpen (FIFOs open once: an exited instance's pipe not yet read to its end, or a leak),
 * other.
 */
export function fdCounts(pid) {
  const targets = [];
  let names;
  try {
    names = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  for (const fd of names) {
    try {
      targets.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed while listing
    }
  }
  const fifos = new Map();
  for (const target of targets)
    if (target.includes("god-pipe-") || KEPT_FIFO.test(target))
      fifos.set(target, (fifos.get(target) ?? 0) + 1);
  let fifo = 0;
  let halfOpen = 0;
  for (const count of fifos.values()) {
    fifo += count;
    if (count < 2) halfOpen += 1;
  }
  const others = targets.filter((t) => !fifos.has(t));
  return { total: targets.length, fifo, halfOpen, other: targets.length - fifo, others, fifos };
}

/**
 * god's warm starts (docs/processes.md): its children whose argv is `/bin/sh -c SCRIPT god-warm-start ...`, each
 * with the FIFOs it holds (its stdout and stderr, whose both ends god holds too). Each also has a socket of
 * god's: its stdin, on which god sends the line that makes it exec the program.
 */
export function warmStarts(godPid) {
  const out = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) !== godPid) continue;
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      if (argv[0] !== "/bin/sh" || argv[3] !== "god-warm-start") continue;
      const held = new Set();
      for (const fd of readdirSync(`/proc/${name}/fd`)) {
        const target = readlinkSync(`/proc/${name}/fd/${fd}`);
        if (target.includes("god-pipe-") || KEPT_FIFO.test(target)) held.add(target);
      }
      out.push({ pid: Number(name), fifos: held });
    } catch {
      // gone while looked at (fired, or discarded)
    }
  }
  return out;
}

/** What `after.others` holds that `before.others` does not, and the reverse, each target with its count. */
export function otherFdsDiff(before, after) {
  const count = (list) => {
    const m = new Map();
    // Sockets and pipes differ by inode only: counted by kind, so a socket closed and one opened cancel out.
    for (const t of list ?? []) {
      const kind = t.replace(/^(socket|pipe|anon_inode):.*$/, "$1:");
      m.set(kind, (m.get(kind) ?? 0) + 1);
    }
    return m;
  };
  const [b, a] = [count(before?.others), count(after?.others)];
  const out = [];
  for (const k of new Set([...b.keys(), ...a.keys()])) {
    const d = (a.get(k) ?? 0) - (b.get(k) ?? 0);
    if (d !== 0) out.push(`${d > 0 ? "+" : ""}${d} ${k}`);
  }
  return out;
}

/** Field 22 of /proc/PID/stat, or null when the process is gone. */
export function startTime(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
  } catch {
    return null;
  }
}

export function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILL to a process group; false when it is gone. */
export function killGroup(pgid, signal = "SIGKILL") {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
