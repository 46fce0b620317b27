// The JSON API under /api/: the control socket's methods over HTTP, through the same handlers. Reads answer the
// objects `god status --json` and `god loaders --json` print; actions answer the job's status object once the
// outcome is known (or at once with ?wait=0), and an error carries the control error's code and sentence.

import type { StatusJson } from "../protocol/control.js";
import { type EventsDeps, serveEvents } from "./events.js";
import { type LogsDeps, serveLogs } from "./logs.js";
import { jobNameParam, readJsonBody, waitParam } from "./request.js";
import { sendJson } from "./respond.js";
import type { Call, Route } from "./route.js";
import { serveUsage, type UsageDeps } from "./usage.js";

export type ApiDeps = EventsDeps & LogsDeps & UsageDeps & { call: Call };

export function apiRoutes(deps: ApiDeps): Route[] {
  const { call } = deps;
  return [
    {
      method: "GET",
      path: /^\/api\/jobs$/,
      access: "read",
      handle: async ({ res }) => sendJson(res, 200, await call("status", {}, res)),
    },
    {
      method: "GET",
      path: /^\/api\/jobs\/([^/]+)$/,
      access: "read",
      handle: async ({ res, params }) => {
        const job = jobNameParam(params[0]!, "/api/jobs/NAME");
        const status = (await call("status", { jobs: [job] }, res)) as StatusJson;
        sendJson(res, 200, status.jobs[0]);
      },
    },
    {
      method: "POST",
      path: /^\/api\/jobs\/([^/]+)\/(start|stop|restart|reload)$/,
      access: "write",
      handle: async ({ req, res, url, params }) => {
        const job = jobNameParam(params[0]!, "/api/jobs/NAME/ACTION");
        const wait = waitParam(url.searchParams);
        await readJsonBody(req);
        sendJson(res, 200, await call(params[1]!, { job, wait }, res));
      },
    },
    {
      method: "POST",
      path: /^\/api\/jobs\/([^/]+)\/check$/,
      access: "write",
      handle: async ({ req, res, params }) => {
        const job = jobNameParam(params[0]!, "/api/jobs/NAME/check");
        await readJsonBody(req);
        sendJson(res, 200, await call("check", { job }, res));
      },
    },
    {
      method: "GET",
      path: /^\/api\/loaders$/,
      access: "read",
      handle: async ({ res }) => sendJson(res, 200, await call("loaders", {}, res)),
    },
    {
      method: "POST",
      path: /^\/api\/reload-loaders$/,
      access: "write",
      handle: async ({ req, res }) => {
        await readJsonBody(req);
        sendJson(res, 200, await call("reload-loaders", {}, res));
      },
    },
    { method: "GET", path: /^\/api\/logs$/, access: "read", handle: (request) => serveLogs(deps, request) },
    { method: "GET", path: /^\/api\/usage$/, access: "read", handle: (request) => serveUsage(deps, request) },
    {
      method: "GET",
      path: /^\/api\/events$/,
      access: "read",
      handle: (request) => serveEvents(deps, request),
    },
  ];
}
