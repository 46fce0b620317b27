// Listen addresses of a JobSpec (`tcp://HOST:PORT`, `tcp://[::1]:PORT`, `unix:PATH`) parsed into what a bind
// needs, or the sentence saying what is wrong: the JobSpec check and the bind read them the same way. Pure.

export type ListenAddress =
  | { kind: "tcp"; host: string; port: number; family: 4 | 6; text: string }
  | { kind: "unix"; path: string; text: string };

export function parseListenAddress(text: string): ListenAddress | { error: string } {
  if (text.startsWith("unix:")) {
    const path = text.slice(5);
    return path.length > 0 ? { kind: "unix", path, text } : { error: "expected unix:PATH" };
  }
  const match = /^tcp:\/\/(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]/]+)):(\d{1,5})$/.exec(text);
  if (!match) return { error: "expected tcp://HOST:PORT or unix:PATH" };
  const port = Number(match[3]);
  if (port > 65535) return { error: `port ${port} is out of range` };
  const v6 = match[1];
  if (v6 !== undefined) return { kind: "tcp", host: v6, port, family: 6, text };
  const host = match[2] ?? "";
  if (host === "localhost") return { kind: "tcp", host: "127.0.0.1", port, family: 4, text };
  return { kind: "tcp", host, port, family: host.includes(":") ? 6 : 4, text };
}
