// GET /api/events: the supervisor's changes as server-sent events. First a `snapshot` ({jobs, loaders}, the
// answers of `status` and `loaders`), then `job` (a job's status object), `removed` ({name}) and `loader`
// (a loader's object) as they happen. Changes made while the snapshot is taken follow it, in order.

import type { LoadersJson, StatusJson } from "../protocol/control.js";
import type { Call, OpenStream, RouteRequest } from "./route.js";
import type { SupervisorChange, SupervisorView } from "./sources.js";
import type { SseStream } from "./sse.js";

export interface EventsDeps {
  supervisor: SupervisorView;
  call: Call;
  openStream: OpenStream;
}

function sendChange(stream: SseStream, change: SupervisorChange): void {
  switch (change.type) {
    case "job":
      stream.send("job", change.job);
      return;
    case "removed":
      stream.send("removed", { name: change.name });
      return;
    case "loader":
      stream.send("loader", change.loader);
      return;
  }
}

export async function serveEvents(deps: EventsDeps, { req, res }: RouteRequest): Promise<void> {
  let early: SupervisorChange[] | null = [];
  const unsubscribe = deps.supervisor.subscribe((change) => {
    if (early !== null) early.push(change);
    else sendChange(stream, change);
  });
  let stream: SseStream;
  try {
    const status = (await deps.call("status", {}, res)) as StatusJson;
    const loaders = (await deps.call("loaders", {}, res)) as LoadersJson;
    stream = deps.openStream(req, res);
    stream.onClose(unsubscribe);
    stream.send("snapshot", { jobs: status.jobs, loaders: loaders.loaders });
  } catch (error) {
    unsubscribe();
    throw error;
  }
  for (const change of early) sendChange(stream, change);
  early = null;
}
