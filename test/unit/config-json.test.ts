// `*.json` loader files and the small parsers beside them: the envelope, JSON errors with line and column, the
// fields a file cannot serve, which file names are configuration files, shell-like word splitting and sizes.

import assert from "node:assert/strict";
import { test } from "node:test";
import { configFileKind, configLoaderKind } from "../../src/config/config-kind.js";
import { convertJsonConfig } from "../../src/config/json-config.js";
import { memorySize } from "../../src/config/memory-size.js";
import { splitShellWords } from "../../src/config/shell-words.js";

const FILE = "/etc/god/web.json";

test("a JSON loader is a hello's params: its jobs pass through as written", () => {
  const jobs = [
    {
      name: "web",
      exec: ["./web"],
      auto: true,
      check: { probe: { http: { url: "http://127.0.0.1:8080/" } } },
    },
    { name: "db", exec: ["postgres", "-D", "/var/db"], instances: 2 },
  ];
  assert.deepEqual(convertJsonConfig(JSON.stringify({ jobs }), FILE), { jobs, warnings: [], errors: [] });
  const hello = { protocol: "godv1", loader: { name: "x" }, jobs };
  assert.deepEqual(convertJsonConfig(JSON.stringify(hello), FILE).jobs, jobs);
});

test("a JSON file that does not parse names the line and column", () => {
  const rows: Array<[string, string]> = [
    [
      '{\n  "jobs": [\n    {"name": "a",}\n  ]\n}',
      `${FILE}:3:18: not valid JSON (unexpected "}"); fix the file there (JSON allows no comments and no trailing commas).`,
    ],
    [
      '{"jobs": [',
      `${FILE}:1:11: not valid JSON (the text ends too soon); fix the file there (JSON allows no comments and no trailing commas).`,
    ],
  ];
  for (const [text, error] of rows) assert.deepEqual(convertJsonConfig(text, FILE).errors, [error], text);
});

test("a JSON file's envelope and the fields only a loader program can serve are errors", () => {
  const rows: Array<[unknown, string[]]> = [
    [
      [{ name: "a", exec: ["a"] }],
      [
        `${FILE}: expected an object {"jobs": [JOBSPEC, ...]}, got an array; wrap the array as {"jobs": [...]}.`,
      ],
    ],
    [
      {},
      [`${FILE}: expected an object {"jobs": [JOBSPEC, ...]}; "jobs" is missing, give it an array of jobs.`],
    ],
    [
      { jobs: [], job: [] },
      [
        `${FILE}: unknown field "job" at the top level; only "jobs" is read (each job is one entry of "jobs").`,
      ],
    ],
    [{ jobs: ["web"] }, [`${FILE}: jobs[0]: expected a JobSpec object, got "web".`]],
    [
      { jobs: [{ name: "a", exec: ["a"], check: { intervalMs: 1000 } }] },
      [
        `${FILE}: jobs[0].check: a configuration file cannot answer checks; give check.probe ({"http": {"url": ...}}, {"tcp": {...}} or {"exec": [...]}) or write a loader program.`,
      ],
    ],
    [
      { jobs: [{ name: "a", exec: ["a"], events: ["running"] }] },
      [
        `${FILE}: jobs[0].events: a configuration file cannot receive events; remove the field or write a loader program.`,
      ],
    ],
  ];
  for (const [value, errors] of rows) {
    const result = convertJsonConfig(JSON.stringify(value), FILE);
    assert.deepEqual(result.errors, errors, JSON.stringify(value));
    assert.deepEqual(result.jobs, []);
  }
});

test("which files of a loader directory are configuration files", () => {
  const rows: Array<[string, ReturnType<typeof configLoaderKind>]> = [
    ["/d/web.json", "json"],
    ["/d/ecosystem.config.json", "ecosystem"],
    ["/d/ecosystem.config.js", "ecosystem"],
    ["/d/ecosystem.config.cjs", "ecosystem"],
    ["/d/ecosystem.config.mjs", "ecosystem"],
    ["/d/shop.ecosystem.config.js", "ecosystem"],
    ["/d/Procfile", "procfile"],
    ["/d/Procfile.dev", "procfile"],
    ["/d/procfile", null],
    ["/d/Procfile~", null],
    ["/d/package.json", null],
    ["/d/tsconfig.json", null],
    ["/d/.hidden.json", null],
    ["/d/web.json.bak", null],
    ["/d/pm2.config.js", null],
    ["/d/README.md", null],
  ];
  for (const [path, kind] of rows) assert.equal(configLoaderKind(path), kind, path);
  assert.equal(configFileKind("/d/pm2.config.js"), "ecosystem", "named explicitly, any PM2 config name");
  assert.equal(configFileKind("/d/server.js"), null);
});

test("args split like a shell would, without expanding anything", () => {
  const rows: Array<[string, string[]]> = [
    ["", []],
    ["  a  b\tc ", ["a", "b", "c"]],
    [`'a b' "c d" e\\ f`, ["a b", "c d", "e f"]],
    [`"a \\"q\\" \\$x \\n"`, ['a "q" $x \\n']],
    [`--x=''`, ["--x="]],
    [`$HOME ~ *.js`, ["$HOME", "~", "*.js"]],
    [`pre"mid"'post'`, ["premidpost"]],
  ];
  for (const [text, words] of rows) assert.deepEqual(splitShellWords(text), { ok: true, words }, text);
  assert.deepEqual(splitShellWords(`a "b`), { ok: false, error: `a " quote at character 3 is never closed` });
  assert.deepEqual(splitShellWords(`a \\`), { ok: false, error: "it ends with a lone backslash" });
});

test("PM2 memory sizes", () => {
  const rows: Array<[unknown, number | string | null]> = [
    ["300M", "300M"],
    ["300m", "300M"],
    ["512K", "512K"],
    ["1G", "1G"],
    ["2GB", "2G"],
    ["1.5G", 1_610_612_736],
    ["1048576", 1_048_576],
    [1_048_576, 1_048_576],
    [0, null],
    [-5, null],
    ["lots", null],
    [true, null],
  ];
  for (const [value, size] of rows) assert.equal(memorySize(value), size, String(value));
});
