// RpcPeer: many requests in flight answered in any order, timeouts and closes as coded errors, error responses,
// and requests served by onRequest (a thrown GodError becomes an error response with its code).

import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode, GodError } from "../../src/protocol/errors.js";
import { parseRpcLine, type RpcMessage, resultLine } from "../../src/protocol/jsonrpc.js";
import { RpcError, RpcPeer, type RpcPeerOptions } from "../../src/protocol/rpc-peer.js";

/** A peer whose written lines are kept, parsed, for the test to read and answer. */
function recorder(options: Partial<RpcPeerOptions> = {}): { peer: RpcPeer; sent: RpcMessage[] } {
  const sent: RpcMessage[] = [];
  const peer = new RpcPeer({
    defaultTimeoutMs: 5000,
    ...options,
    write: (line) => {
      assert.ok(line.endsWith("\n"));
      const message = parseRpcLine(line);
      assert.notEqual(message.type, "invalid", line);
      sent.push(message as RpcMessage);
    },
  });
  return { peer, sent };
}

/** Two peers wired back to back, as god and a loader are. */
function pair(b: Partial<RpcPeerOptions>): { a: RpcPeer; b: RpcPeer } {
  const peers: { a?: RpcPeer; b?: RpcPeer } = {};
  peers.a = new RpcPeer({ defaultTimeoutMs: 5000, write: (line) => peers.b!.handleLine(line.trimEnd()) });
  peers.b = new RpcPeer({
    defaultTimeoutMs: 5000,
    ...b,
    write: (line) => peers.a!.handleLine(line.trimEnd()),
  });
  return { a: peers.a, b: peers.b };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected the promise to reject");
}

test("many requests in flight, answered in reverse order, each get their own answer", async () => {
  const { peer, sent } = recorder();
  const answers = Array.from({ length: 20 }, (_, i) => peer.request("check", { job: `job${i}` }));
  assert.equal(peer.inFlight, 20);
  const ids = sent.map((m) => (m.type === "request" ? m.id : assert.fail("expected requests only")));
  assert.equal(new Set(ids).size, 20, "every request has its own id");
  for (const [i, id] of [...ids.entries()].reverse()) peer.handleLine(resultLine(id, { n: i }).trimEnd());
  assert.deepEqual(
    await Promise.all(answers),
    answers.map((_, i) => ({ n: i })),
  );
  assert.equal(peer.inFlight, 0);
});

test("between two peers, slow answers do not hold back fast ones", async () => {
  const release: Array<() => void> = [];
  const { a } = pair({
    onRequest: (_method, params) =>
      new Promise((resolve) => release.push(() => resolve({ echo: (params as { n: number }).n }))),
  });
  const done: number[] = [];
  const answers = [0, 1, 2, 3, 4].map((n) =>
    a.request("check", { n }).then((r) => {
      done.push(n);
      return r;
    }),
  );
  while (release.length < 5) await new Promise((r) => setImmediate(r));
  for (const go of release.reverse()) go();
  assert.deepEqual(
    await Promise.all(answers),
    [0, 1, 2, 3, 4].map((n) => ({ echo: n })),
  );
  assert.deepEqual(done, [4, 3, 2, 1, 0]);
});

test("a request that gets no answer fails with the timeout code, and a late answer is ignored", async () => {
  const { peer, sent } = recorder();
  const error = await rejection(peer.request("check", {}, 50));
  assert.ok(error instanceof GodError);
  assert.equal(error.code, ErrorCode.Timeout);
  assert.match(error.message, /"check"/);
  assert.equal(peer.inFlight, 0);
  const id = sent[0]?.type === "request" ? sent[0].id : assert.fail("expected a request");
  peer.handleLine(resultLine(id, {}).trimEnd());
  assert.equal(peer.inFlight, 0);
});

test("the default timeout applies when none is given", async () => {
  const { peer } = recorder({ defaultTimeoutMs: 30 });
  const error = await rejection(peer.request("check", {}));
  assert.ok(error instanceof GodError);
  assert.equal(error.code, ErrorCode.Timeout);
});

test("an error response rejects with an RpcError carrying code, message and data", async () => {
  const { peer, sent } = recorder();
  const pending = peer.request("start", { job: "x" });
  const id = sent[0]?.type === "request" ? sent[0].id : assert.fail("expected a request");
  peer.handleLine(
    JSON.stringify({ jsonrpc: "2.0", id, error: { code: 1003, message: "not yours", data: { job: "x" } } }),
  );
  const error = await rejection(pending);
  assert.ok(error instanceof RpcError);
  assert.equal(error.code, ErrorCode.NotPermitted);
  assert.equal(error.message, "not yours");
  assert.deepEqual(error.data, { job: "x" });
});

test("close() rejects every pending request with the closed code; later requests fail at once", async () => {
  const { peer, sent } = recorder();
  const pending = [peer.request("check", {}), peer.request("check", {})];
  peer.close("the loader exited");
  for (const p of pending) {
    const error = await rejection(p);
    assert.ok(error instanceof GodError);
    assert.equal(error.code, ErrorCode.Closed);
    assert.equal(error.message, "the loader exited");
  }
  assert.equal(peer.inFlight, 0);
  const later = await rejection(peer.request("check", {}));
  assert.ok(later instanceof GodError);
  assert.equal(later.code, ErrorCode.Closed);
  const before = sent.length;
  peer.notify("log", { level: "info", message: "x" });
  assert.equal(sent.length, before, "nothing is written after close");
});

test("onRequest: a value is the result, undefined becomes {}, a thrown GodError keeps its code", async () => {
  const { a } = pair({
    onRequest: (method, params) => {
      if (method === "value") return { got: params };
      if (method === "nothing") return undefined;
      if (method === "godError") throw new GodError(ErrorCode.UnknownJob, 'no job named "x"');
      if (method === "rejects") return Promise.reject(new GodError(ErrorCode.InvalidState, "it is stopping"));
      throw new Error("boom");
    },
  });
  assert.deepEqual(await a.request("value", [1]), { got: [1] });
  assert.deepEqual(await a.request("nothing", null), {});
  const thrown = await rejection(a.request("godError", {}));
  assert.ok(thrown instanceof RpcError);
  assert.equal(thrown.code, ErrorCode.UnknownJob);
  assert.equal(thrown.message, 'no job named "x"');
  const rejected = await rejection(a.request("rejects", {}));
  assert.ok(rejected instanceof RpcError);
  assert.equal(rejected.code, ErrorCode.InvalidState);
  const plain = await rejection(a.request("other", {}));
  assert.ok(plain instanceof RpcError);
  assert.equal(plain.code, ErrorCode.Internal);
  assert.equal(plain.message, "boom");
});

test("a request with no onRequest handler is answered with unknown method", async () => {
  const { a } = pair({});
  const error = await rejection(a.request("frobnicate", {}));
  assert.ok(error instanceof RpcError);
  assert.equal(error.code, ErrorCode.MethodNotFound);
});

test("notifications go to onNotification and are never answered", () => {
  const got: Array<[string, unknown]> = [];
  const { peer, sent } = recorder({ onNotification: (method, params) => got.push([method, params]) });
  peer.handleLine('{"jsonrpc":"2.0","method":"event","params":{"job":"a","state":"running"}}');
  assert.deepEqual(got, [["event", { job: "a", state: "running" }]]);
  assert.equal(sent.length, 0);
});

test("invalid lines: always answered with an error (id null when it cannot be read), always reported", () => {
  const invalid: string[] = [];
  const { peer, sent } = recorder({ onInvalid: (_f, text) => invalid.push(text) });
  const lines = ["not json", '{"jsonrpc":"1.0","id":5,"method":"x"}', "[1]", "42", '"x"', "null", "{}"];
  for (const line of lines) peer.handleLine(line);
  assert.deepEqual(invalid, lines);
  const notObject = { code: ErrorCode.InvalidRequest, message: "expected a JSON object" };
  assert.deepEqual(sent, [
    { type: "error", id: null, error: { code: ErrorCode.ParseError, message: "the line is not valid JSON" } },
    { type: "error", id: 5, error: { code: ErrorCode.InvalidRequest, message: 'jsonrpc: expected "2.0"' } },
    {
      type: "error",
      id: null,
      error: {
        code: ErrorCode.InvalidRequest,
        message: "expected a JSON object; batches are not supported, send one message a line",
      },
    },
    { type: "error", id: null, error: notObject },
    { type: "error", id: null, error: notObject },
    { type: "error", id: null, error: notObject },
    {
      type: "error",
      id: null,
      error: { code: ErrorCode.InvalidRequest, message: 'jsonrpc: expected "2.0"' },
    },
  ]);
});

test("two peers that answer invalid lines do not loop: an error with id null is dropped, not answered", () => {
  let lines = 0;
  const peers: { a?: RpcPeer; b?: RpcPeer } = {};
  const wire = (to: () => RpcPeer) => (line: string) => {
    lines++;
    assert.ok(lines < 10, "the peers answer each other forever");
    to().handleLine(line.trimEnd());
  };
  peers.a = new RpcPeer({ defaultTimeoutMs: 5000, write: wire(() => peers.b!) });
  peers.b = new RpcPeer({ defaultTimeoutMs: 5000, write: wire(() => peers.a!) });
  for (const line of ["[1,2]", "42", "{}", '{"jsonrpc":"2.0","result":1}']) peers.b.handleLine(line);
  assert.equal(lines, 4, "one error answer each, and nothing back");
});

test("answers to unknown ids are ignored", () => {
  const { peer } = recorder();
  peer.handleLine(resultLine(999, {}).trimEnd());
  peer.handleLine('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}');
  assert.equal(peer.inFlight, 0);
});
