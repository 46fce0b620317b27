// JSON-RPC 2.0 parsing: every message kind, every invalid form with its code and its sentence, and the line
// builders round-tripping through the parser.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCode } from "../../src/protocol/errors.js";
import {
  errorLine,
  notificationLine,
  parseRpcLine,
  requestLine,
  resultLine,
  toRpcMessage,
} from "../../src/protocol/jsonrpc.js";

test("a request with a number id and with a string id", () => {
  assert.deepEqual(parseRpcLine('{"jsonrpc":"2.0","id":1,"method":"check","params":{"job":"a"}}'), {
    type: "request",
    id: 1,
    method: "check",
    params: { job: "a" },
  });
  assert.deepEqual(parseRpcLine('{"jsonrpc":"2.0","id":"x-1","method":"stop"}'), {
    type: "request",
    id: "x-1",
    method: "stop",
    params: undefined,
  });
});

test("a notification has no id, or a null one", () => {
  const expected = { type: "notification", method: "log", params: { level: "info", message: "hi" } };
  assert.deepEqual(
    parseRpcLine('{"jsonrpc":"2.0","method":"log","params":{"level":"info","message":"hi"}}'),
    expected,
  );
  assert.deepEqual(
    parseRpcLine('{"jsonrpc":"2.0","id":null,"method":"log","params":{"level":"info","message":"hi"}}'),
    expected,
  );
});

test("a result, including a null result", () => {
  assert.deepEqual(parseRpcLine('{"jsonrpc":"2.0","id":7,"result":{"status":"ok"}}'), {
    type: "result",
    id: 7,
    result: { status: "ok" },
  });
  assert.deepEqual(parseRpcLine('{"jsonrpc":"2.0","id":7,"result":null}'), {
    type: "result",
    id: 7,
    result: null,
  });
});

test("an error response, with data and with a null id", () => {
  assert.deepEqual(parseRpcLine('{"jsonrpc":"2.0","id":3,"error":{"code":1001,"message":"no","data":[1]}}'), {
    type: "error",
    id: 3,
    error: { code: 1001, message: "no", data: [1] },
  });
  assert.deepEqual(parseRpcLine('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}'), {
    type: "error",
    id: null,
    error: { code: -32700, message: "bad" },
  });
});

test("invalid forms: each has its code, the id when it could be read, and a sentence", () => {
  const cases: Array<[string, number, number | string | null, string]> = [
    ["{not json", ErrorCode.ParseError, null, "the line is not valid JSON"],
    ["", ErrorCode.ParseError, null, "the line is not valid JSON"],
    [
      "[1,2]",
      ErrorCode.InvalidRequest,
      null,
      "expected a JSON object; batches are not supported, send one message a line",
    ],
    ['"text"', ErrorCode.InvalidRequest, null, "expected a JSON object"],
    ["null", ErrorCode.InvalidRequest, null, "expected a JSON object"],
    ['{"id":1,"method":"x"}', ErrorCode.InvalidRequest, 1, 'jsonrpc: expected "2.0"'],
    ['{"jsonrpc":"1.0","id":"a","method":"x"}', ErrorCode.InvalidRequest, "a", 'jsonrpc: expected "2.0"'],
    ['{"jsonrpc":2,"id":1,"result":1}', ErrorCode.InvalidRequest, 1, 'jsonrpc: expected "2.0"'],
    ['{"jsonrpc":"2.0","id":1,"method":5}', ErrorCode.InvalidRequest, 1, "method: expected a string"],
    [
      '{"jsonrpc":"2.0","id":{},"method":"x"}',
      ErrorCode.InvalidRequest,
      null,
      "id: expected a number or string",
    ],
    [
      '{"jsonrpc":"2.0","id":true,"method":"x"}',
      ErrorCode.InvalidRequest,
      null,
      "id: expected a number or string",
    ],
    ['{"jsonrpc":"2.0","result":1}', ErrorCode.InvalidRequest, null, "id: expected a number or string"],
    [
      '{"jsonrpc":"2.0","id":null,"result":1}',
      ErrorCode.InvalidRequest,
      null,
      "id: expected a number or string",
    ],
    [
      '{"jsonrpc":"2.0","id":4}',
      ErrorCode.InvalidRequest,
      4,
      "expected a request (method), a result or an error",
    ],
  ];
  for (const [line, code, id, message] of cases) {
    assert.deepEqual(parseRpcLine(line), { type: "invalid", id, code, message }, line);
  }
});

test("an answer with a malformed error object still ends the request it answers", () => {
  for (const line of [
    '{"jsonrpc":"2.0","id":4,"error":{"code":"1001","message":"x"}}',
    '{"jsonrpc":"2.0","id":4,"error":{"code":1001}}',
  ]) {
    assert.deepEqual(
      parseRpcLine(line),
      {
        type: "error",
        id: 4,
        error: { code: ErrorCode.Internal, message: "the answer's error object is malformed" },
      },
      line,
    );
  }
});

test("toRpcMessage takes an already-decoded value", () => {
  assert.deepEqual(toRpcMessage({ jsonrpc: "2.0", method: "hello", params: [] }), {
    type: "notification",
    method: "hello",
    params: [],
  });
  assert.equal(toRpcMessage(undefined).type, "invalid");
});

test("the line builders write one line each that parses back to the same message", () => {
  const built = [
    requestLine(9, "check", { job: "a", pid: 1, instance: 1 }),
    notificationLine("event", { job: "a", state: "running" }),
    resultLine("r", { status: "degraded", message: "slow" }),
    errorLine(null, { code: ErrorCode.ParseError, message: "the line is not valid JSON" }),
    errorLine(2, { code: ErrorCode.UnknownJob, message: "no", data: { job: "x" } }),
  ];
  for (const line of built) {
    assert.ok(line.endsWith("\n") && line.indexOf("\n") === line.length - 1, line);
    assert.notEqual(parseRpcLine(line).type, "invalid", line);
  }
  assert.deepEqual(parseRpcLine(built[0]!), {
    type: "request",
    id: 9,
    method: "check",
    params: { job: "a", pid: 1, instance: 1 },
  });
  assert.deepEqual(parseRpcLine(built[1]!), {
    type: "notification",
    method: "event",
    params: { job: "a", state: "running" },
  });
  assert.deepEqual(parseRpcLine(built[2]!), {
    type: "result",
    id: "r",
    result: { status: "degraded", message: "slow" },
  });
  assert.deepEqual(parseRpcLine(built[3]!), {
    type: "error",
    id: null,
    error: { code: -32700, message: "the line is not valid JSON" },
  });
  assert.deepEqual(parseRpcLine(built[4]!), {
    type: "error",
    id: 2,
    error: { code: 1001, message: "no", data: { job: "x" } },
  });
});
