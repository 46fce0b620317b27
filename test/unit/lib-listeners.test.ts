// listeners(): the sd_listen_fds variables to { name: { fd } }.

import assert from "node:assert/strict";
import { test } from "node:test";
import { readListeners } from "../../src/lib/listeners.js";

test("named fds start at 3", () => {
  assert.deepEqual(readListeners({ LISTEN_FDS: "2", LISTEN_FDNAMES: "http:admin" }, 10), {
    http: { fd: 3 },
    admin: { fd: 4 },
  });
  assert.deepEqual(readListeners({ LISTEN_FDS: "1", LISTEN_FDNAMES: "http", LISTEN_PID: "10" }, 10), {
    http: { fd: 3 },
  });
});

test('missing names are systemd\'s "unknown"; the first fd of a repeated name wins', () => {
  assert.deepEqual(readListeners({ LISTEN_FDS: "1" }, 10), { unknown: { fd: 3 } });
  assert.deepEqual(readListeners({ LISTEN_FDS: "3", LISTEN_FDNAMES: "a" }, 10), {
    a: { fd: 3 },
    unknown: { fd: 4 },
  });
  assert.deepEqual(readListeners({ LISTEN_FDS: "2", LISTEN_FDNAMES: "a:a" }, 10), { a: { fd: 3 } });
  const odd = readListeners({ LISTEN_FDS: "1", LISTEN_FDNAMES: "__proto__" }, 10);
  assert.deepEqual(Object.keys(odd), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(odd), Object.prototype);
});

test("nothing passed, a bad count or another process's pid give {}", () => {
  assert.deepEqual(readListeners({}, 10), {});
  assert.deepEqual(readListeners({ LISTEN_FDS: "0" }, 10), {});
  assert.deepEqual(readListeners({ LISTEN_FDS: "two" }, 10), {});
  assert.deepEqual(readListeners({ LISTEN_FDS: "-1" }, 10), {});
  assert.deepEqual(readListeners({ LISTEN_FDS: "1", LISTEN_FDNAMES: "http", LISTEN_PID: "11" }, 10), {});
});
