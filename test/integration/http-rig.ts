// Helpers of the HTTP tests: a god with `--http 127.0.0.1:0` (its bound address read from god's log), requests
// with full control of the headers (Host and Origin included, which fetch would not send), and an event-stream
// reader whose waits end on events, never on sleeps.

import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { Sandbox } from "../helpers/god.js";

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? "GET", headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on("error", reject);
      },
    );
    req.setTimeout(90_000, () => req.destroy(new Error(`no answer from ${url} in 90 s`)));
    req.on("error", reject);
    req.end(options.body);
  });
}

export function json<T = unknown>(answer: Answer): T {
  try {
    return JSON.parse(answer.body) as T;
  } catch {
    throw new Error(`not JSON (status ${answer.status}): ${answer.body.slice(0, 300)}`);
  }
}

/** A POST as the dashboard sends it. */
export function post(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return request(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: "{}",
  });
}

/** Starts god with --http on a free loopback port; answers the base URL, e.g. http://127.0.0.1:40123. */
export async function startHttpGod(sandbox: Sandbox, extra: string[] = []): Promise<string> {
  sandbox.startGod(["--http", "127.0.0.1:0", ...extra]);
  const address = await sandbox.until("god's HTTP address in its log", () => {
    const match = /"http":"([^"]+)"/.exec(sandbox.godOutput);
    return match?.[1];
  });
  return `http://${address}`;
}

export interface SseEvent {
  event: string;
  data: unknown;
}

export interface SseReader {
  status: number;
  headers: IncomingHttpHeaders;
  events: SseEvent[];
  comments: string[];
  /** Resolves with the first event, seen already or to come, that `match` accepts. */
  next(match: (e: SseEvent) => boolean, what: string, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves once a comment line arrives after the first `count` ones. */
  comment(count: number, timeoutMs?: number): Promise<string>;
  ended: Promise<void>;
  close(): void;
}

export function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { accept: "text/event-stream", ...headers } }, (res) => {
      const events: SseEvent[] = [];
      const comments: string[] = [];
      const waiters = new Set<() => void>();
      let buffer = "";
      let endedResolve: () => void = () => {};
      const ended = new Promise<void>((r) => {
        endedResolve = r;
      });
      res.setEncoding("utf8");
      res.on("data", (text: string) => {
        buffer += text;
        for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message";
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) comments.push(line.slice(1).trim());
            else if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data.push(line.slice(6));
          }
          if (data.length > 0) events.push({ event, data: JSON.parse(data.join("\n")) });
        }
        for (const w of [...waiters]) w();
      });
      res.on("close", () => {
        endedResolve();
        for (const w of [...waiters]) w();
      });
      const wait = <T>(find: () => T | undefined, what: string, timeoutMs: number): Promise<T> =>
        new Promise((ok, fail) => {
          const check = () => {
            const found = find();
            if (found !== undefined) {
              done();
              ok(found);
            } else if (res.closed) {
              done();
              fail(
                new Error(
                  `the event stream ended before ${what}; events: ${JSON.stringify(events).slice(-1500)}`,
                ),
              );
            }
          };
          const timer = setTimeout(() => {
            done();
            fail(new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events).slice(-1500)}`));
          }, timeoutMs);
          const done = () => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          check();
        });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        events,
        comments,
        next: (match, what, timeoutMs = 20_000) => wait(() => events.find(match), what, timeoutMs),
        comment: (count, timeoutMs = 20_000) =>
          wait(() => comments[count], `comment #${count + 1}`, timeoutMs),
        ended,
        close: () => req.destroy(),
      });
    });
    req.on("error", reject);
    req.end();
  });
}
