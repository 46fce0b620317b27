// GET /api/logs?job=NAME&n=N: the newest lines of the named jobs (every job without `job`), oldest first, as
// {"lines":[{t,job,pid,stream,msg}]}; with &follow=1 the same lines and then every new one as server-sent
// `log` events, until the client goes away or falls behind (then a `closed` event says why).

import { intParam, jobNameParam } from "./request.js";
import { HttpError, sendJson } from "./respond.js";
import type { OpenStream, RouteRequest } from "./route.js";
import type { LogsSource } from "./sources.js";

export interface LogsDeps {
  logs: LogsSource | undefined;
  openStream: OpenStream;
}

const DEFAULT_LINES = 100;
const MAX_LINES = 10_000;
/** A follower's first lines are sent at once: fewer of them, so the stream's bound is not hit by the backlog. */
const MAX_FOLLOW_LINES = 1000;

export function serveLogs(deps: LogsDeps, { req, res, url }: RouteRequest): void {
  const logs = deps.logs;
  if (logs === undefined) {
    throw new HttpError(503, "this god's HTTP server has no access to the job logs; use `god logs` instead.");
  }
  const query = url.searchParams;
  const jobs = [...new Set(query.getAll("job").map((job) => jobNameParam(job, "?job=")))];
  const followValue = query.get("follow");
  if (followValue !== null && !["", "0", "1", "false", "true"].includes(followValue)) {
    throw new HttpError(400, `?follow= takes 1, 0, true or false, not "${followValue.slice(0, 40)}".`);
  }
  const follow = followValue !== null && followValue !== "0" && followValue !== "false";
  const n = intParam(query, "n", DEFAULT_LINES, follow ? MAX_FOLLOW_LINES : MAX_LINES);
  if (!follow) {
    sendJson(res, 200, { lines: logs.recent(jobs, n) });
    return;
  }
  const stream = deps.openStream(req, res);
  // recent() and follow() in the same turn of the loop: no line can fall between them.
  for (const record of logs.recent(jobs, n)) stream.send("log", record);
  const stop = logs.follow(jobs, {
    send: (record) => stream.send("log", record),
    bufferedBytes: () => stream.bufferedBytes(),
    close: (reason) => stream.end(reason),
  });
  stream.onClose(stop);
}
