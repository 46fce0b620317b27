// The opt-in HTTP server of `god run --http ADDR`: the dashboard, the JSON API, the event streams, /metrics and
// /healthz on one port. run.ts imports this module only when --http is given, so a god without it pays nothing.
// Every request passes the guard (Host, token, origin) before its route runs.

import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { LoadersJson } from "../protocol/control.js";
import { formatHostPort, httpStartProblem, parseHttpAddress } from "./address.js";
import { apiRoutes } from "./api.js";
import { DashboardFiles, findPackageRoot } from "./dashboard-files.js";
import { checkHost, checkMutation, checkToken, type GuardPolicy, type Verdict } from "./guard.js";
import { health } from "./healthz.js";
import { METRICS_CONTENT_TYPE, renderMetrics } from "./metrics.js";
import { HttpError, NO_STORE, sendError, sendJson } from "./respond.js";
import { controlCall, type Route } from "./route.js";
import type {
  Handler,
  HttpLog,
  LogsSource,
  SupervisorView,
  UsageHistorySource,
  UsageSource,
} from "./sources.js";
import { DEFAULT_SSE, type SseOptions, SseStream } from "./sse.js";

export { httpStartProblem } from "./address.js";
export type { LogsSource, SupervisorView } from "./sources.js";

export interface HttpServerOptions {
  /** HOST:PORT or [IPV6]:PORT; port 0 picks a free port (the bound address is in god's log). */
  address: string;
  token: string | null;
  /** The control socket's handler table: the API calls the same handlers. */
  handlers: Record<string, Handler>;
  supervisor: SupervisorView;
  /** CPU and memory of the jobs' process groups, for /metrics. */
  usage: UsageSource;
  /** The usage history for the dashboard's charts (/api/usage); without it that route answers 503. */
  history?: UsageHistorySource | undefined;
  /** The job logs for /api/logs and the dashboard's tail; without it those answer 503. */
  logs?: LogsSource | undefined;
  log: HttpLog;
  sse?: Partial<SseOptions>;
  /** Open event streams at most (events and log follows together). */
  maxStreams?: number;
}

export interface HttpServer {
  /** The bound address, e.g. 127.0.0.1:8088. */
  readonly address: string;
  readonly url: string;
  close(): Promise<void>;
}

const MAX_CONNECTIONS = 256;
const DEFAULT_MAX_STREAMS = 64;
/** Refused requests logged per minute at most, so a scanner cannot flood god's log. */
const REFUSALS_LOGGED_PER_MINUTE = 10;

function packageVersion(root: string | null): string {
  if (root === null) return "unknown";
  try {
    const json = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: unknown };
    return typeof json.version === "string" ? json.version : "unknown";
  } catch {
    return "unknown";
  }
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const problem = httpStartProblem(options.address, options.token);
  const parsed = parseHttpAddress(options.address);
  if (problem !== null || "problem" in parsed) throw new Error(problem ?? "invalid --http address");
  const policy: GuardPolicy = { token: options.token, loopback: parsed.loopback };
  const { log, supervisor } = options;
  const root = findPackageRoot();
  const files = new DashboardFiles(root);
  if (root === null) log.warn("http: the dashboard's files (web/) were not found; / answers 404", {});
  const version = packageVersion(root);
  const sse: SseOptions = { ...DEFAULT_SSE, ...options.sse };
  const maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
  const streams = new Set<SseStream>();
  const call = controlCall(options.handlers);

  const openStream = (req: IncomingMessage, res: ServerResponse): SseStream => {
    if (streams.size >= maxStreams) {
      throw new HttpError(
        503,
        `god serves at most ${maxStreams} event streams at once; close one and retry.`,
      );
    }
    const stream = new SseStream(req, res, sse);
    streams.add(stream);
    stream.onClose(() => streams.delete(stream));
    return stream;
  };

  const routes: Route[] = [
    ...apiRoutes({ call, supervisor, logs: options.logs, openStream, history: options.history }),
    {
      method: "GET",
      path: /^\/metrics$/,
      access: "read",
      head: true,
      handle: async ({ res }) => {
        const loaders = (await call("loaders", {}, res)) as LoadersJson;
        const body = renderMetrics({
          jobs: supervisor.jobs.values(),
          usage: options.usage,
          loaders: loaders.loaders,
          version,
          ...(options.logs?.droppedLines ? { droppedLines: options.logs.droppedLines() } : {}),
        });
        res.writeHead(200, { ...NO_STORE, "content-type": METRICS_CONTENT_TYPE });
        res.end(body);
      },
    },
    {
      method: "GET",
      path: /^\/healthz$/,
      access: "read",
      head: true,
      handle: ({ res }) => {
        const result = health(supervisor.jobs.values());
        sendJson(res, "ok" in result ? 200 : 503, result);
      },
    },
    {
      method: "GET",
      path: /^\/[A-Za-z0-9_.-]*$/,
      access: "public",
      head: true,
      handle: ({ req, res, url }) => {
        if (!files.has(url.pathname))
          throw new HttpError(404, `nothing at ${url.pathname}; the dashboard is at /.`);
        files.serve(req, res, url.pathname);
      },
    },
  ];

  let refusalWindowMs = 0;
  let refusalsLogged = 0;
  const logRefusal = (req: IncomingMessage, from: string | undefined, status: number, message: string) => {
    const now = Date.now();
    if (now - refusalWindowMs > 60_000) {
      refusalWindowMs = now;
      refusalsLogged = 0;
    }
    if (++refusalsLogged > REFUSALS_LOGGED_PER_MINUTE) return;
    log.warn(`http: refused ${req.method} ${req.url?.slice(0, 200)}: ${message}`, { status, from });
  };

  const refuse = (
    req: IncomingMessage,
    res: ServerResponse,
    from: string | undefined,
    verdict: Verdict & { ok: false },
  ) => {
    const headers: Record<string, string> = verdict.status === 401 ? { "www-authenticate": "Bearer" } : {};
    sendJson(res, verdict.status, { error: { code: null, message: verdict.message } }, headers);
    logRefusal(req, from, verdict.status, verdict.message);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? "GET";
    // Read now: once a connection is closed (a body over the limit, a client gone) req.socket is null.
    const from = req.socket?.remoteAddress;
    try {
      const url = new URL(req.url ?? "/", "http://god.invalid");
      const host = checkHost(req, policy);
      if (!host.ok) return refuse(req, res, from, host);
      const onPath = routes.filter((r) => r.path.test(url.pathname));
      if (onPath.length === 0)
        throw new HttpError(404, `nothing at ${url.pathname}; see docs/http.md for the routes.`);
      const route = onPath.find((r) => r.method === method || (method === "HEAD" && r.head === true));
      if (route === undefined) {
        const allow = [...new Set(onPath.flatMap((r) => (r.head ? [r.method, "HEAD"] : [r.method])))].join(
          ", ",
        );
        throw new HttpError(405, `${method} is not allowed on ${url.pathname}; use ${allow}.`, { allow });
      }
      if (route.access === "write") {
        const mutation = checkMutation(req);
        if (!mutation.ok) return refuse(req, res, from, mutation);
      }
      if (route.access !== "public") {
        const token = checkToken(req, policy, route.access === "write");
        if (!token.ok) return refuse(req, res, from, token);
      }
      const params = (route.path.exec(url.pathname) ?? []).slice(1).map((p) => {
        try {
          return decodeURIComponent(p);
        } catch {
          throw new HttpError(400, `the path ${url.pathname} is not valid percent-encoding.`);
        }
      });
      await route.handle({ req, res, url, params });
      if (method === "POST") {
        log.info(`http: ${method} ${url.pathname}${url.search} -> ${res.statusCode}`, { from });
      }
    } catch (error) {
      const { status, internal } = sendError(res, error);
      if (internal) {
        const err = error instanceof Error ? error : new Error(String(error));
        log.error(`http: ${method} ${req.url?.slice(0, 200)} failed: ${err.message}`, {
          err: { message: err.message, stack: err.stack },
        });
      } else if (method === "POST") {
        log.info(`http: ${method} ${req.url?.slice(0, 200)} -> ${status}: ${(error as Error).message}`, {
          from,
        });
      }
    }
  };

  // No request may take god down: whatever escapes a handler (even its error path) is logged and the
  // connection closed, never left to become an unhandled rejection.
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const err = error instanceof Error ? error : new Error(String(error));
      log.error(`http: ${req.method} ${req.url?.slice(0, 200)} failed: ${err.message}`, {
        err: { message: err.message, stack: err.stack },
      });
      res.destroy();
    });
  });
  server.maxConnections = MAX_CONNECTIONS;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: parsed.host, port: parsed.port }, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    const why =
      error.code === "EADDRINUSE"
        ? "the port is taken by another program; pick another port"
        : error.code === "EADDRNOTAVAIL"
          ? "no interface of this machine has that address; use 127.0.0.1 or one of its addresses"
          : `${error.message}; check the address`;
    throw new Error(`cannot serve HTTP on ${options.address}: ${why}.`);
  });
  server.on("error", (error) => log.error(`http: ${error.message}`, {}));
  const bound = server.address() as AddressInfo;
  const address = formatHostPort(bound.address, bound.port);
  const url = `http://${address}/`;
  log.info(`http: the dashboard, API and metrics are at ${url}`, {
    http: address,
    token: options.token !== null,
    dashboardBytes: files.size().bytes,
  });

  return {
    address,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of [...streams]) stream.end("god is shutting down");
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
