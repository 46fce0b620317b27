// Procfiles and their .env: foreman's lines to jobs run through /bin/sh -c, foreman's PORT rule, and every bad
// line refused with the file, the line number and the fix.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDotenv } from "../../src/config/dotenv.js";
import { convertProcfile, withPort } from "../../src/config/procfile.js";

const FILE = "/srv/app/Procfile";
const ENV_FILE = "/srv/app/.env";
// biome-ignore lint/suspicious/noTemplateCurlyInString: shell text that god must pass on as it is
const INSTANCE = "${GOD_INSTANCE:-0}";

test("each NAME: command line is a job run by the shell in the Procfile's directory; PORT by foreman's rule", () => {
  const text = [
    "# the web tier",
    "web: bundle exec puma -p $PORT",
    "",
    "worker:   node worker.js --queue 'high'  ",
    "release.1: ./bin/migrate\r",
  ].join("\n");
  const result = convertProcfile(text, FILE, { dir: "/srv/app", dotenv: null });
  assert.deepEqual(result.errors, []);
  assert.deepEqual(result.warnings, []);
  assert.deepEqual(result.jobs, [
    {
      name: "web",
      exec: ["/bin/sh", "-c", `PORT=$((5000 + ${INSTANCE})); export PORT; bundle exec puma -p $PORT`],
      cwd: "/srv/app",
      auto: true,
    },
    {
      name: "worker",
      exec: ["/bin/sh", "-c", `PORT=$((5100 + ${INSTANCE})); export PORT; node worker.js --queue 'high'`],
      cwd: "/srv/app",
      auto: true,
    },
    {
      name: "release.1",
      exec: ["/bin/sh", "-c", `PORT=$((5200 + ${INSTANCE})); export PORT; ./bin/migrate`],
      cwd: "/srv/app",
      auto: true,
    },
  ]);
});

test(".env is merged into every job; its PORT is the base port", () => {
  const dotenv = { text: 'PORT=3000\nDATABASE_URL="postgres://db/app"\nexport DEBUG=1\n', file: ENV_FILE };
  const result = convertProcfile("web: ./web\napi: ./api\n", FILE, { dir: "/srv/app", dotenv });
  assert.deepEqual(result.errors, []);
  assert.deepEqual(
    result.jobs.map((job) => [job.exec[2], job.env]),
    [
      [withPort(3000, "./web"), { DATABASE_URL: "postgres://db/app", DEBUG: "1" }],
      [withPort(3100, "./api"), { DATABASE_URL: "postgres://db/app", DEBUG: "1" }],
    ],
  );
});

test("every bad line is named with its number and the fix; any error refuses the whole file", () => {
  const rows: Array<[string, string | null, string[]]> = [
    [
      "web: ./web\nthis is not an entry\n",
      null,
      [
        `${FILE}:2: "this is not an entry" is not "NAME: command"; write the process name (letters, digits, "_", "." or "-"), a colon and the command, or make the line a comment with #.`,
      ],
    ],
    ["web:\n", null, [`${FILE}:1: "web" has no command; write the command after the colon.`]],
    [
      "web: a\n\nweb: b\n",
      null,
      [`${FILE}:3: "web" is already declared on line 1; give each process its own name.`],
    ],
    [
      `${"n".repeat(65)}: x\n`,
      null,
      [`${FILE}:1: the name "${"n".repeat(65)}" is longer than 64 characters; shorten it.`],
    ],
    [
      "web: ./web\n",
      "A=1\noops\n",
      [`${ENV_FILE}:2: "oops" is not NAME=value; write it as NAME=value or make it a comment with #.`],
    ],
    [
      "web: ./web\n",
      "PORT=http\n",
      [
        `${ENV_FILE}: PORT=http is not a port number; give PORT a number from 1 to 65535 (the base port of the Procfile's entries).`,
      ],
    ],
  ];
  for (const [text, env, errors] of rows) {
    const dotenv = env === null ? null : { text: env, file: ENV_FILE };
    const result = convertProcfile(text, FILE, { dir: "/srv/app", dotenv });
    assert.deepEqual(result.errors, errors, text);
    assert.deepEqual(result.jobs, []);
  }
});

test("a Procfile with no entry declares no job, with a warning", () => {
  const result = convertProcfile("# nothing yet\n", FILE, { dir: "/srv/app", dotenv: null });
  assert.deepEqual(result, {
    jobs: [],
    warnings: [`${FILE}: declares no process; add lines of the form "NAME: command".`],
    errors: [],
  });
});

test(".env: Node's parser reads each entry; quotes, multi-line values, export and comments", () => {
  const text = [
    "# comment",
    "A=1",
    "export B=two",
    "C = spaced ",
    'D="multi',
    'line"',
    "E='single' # trailing comment",
    "F=unquoted # comment",
    "G=",
    "A=last wins",
  ].join("\n");
  assert.deepEqual(parseDotenv(text, ENV_FILE), {
    env: { A: "last wins", B: "two", C: "spaced", D: "multi\nline", E: "single", F: "unquoted", G: "" },
    errors: [],
  });
});

test(".env: a line Node's parser would merge into its neighbour is an error, not a strange variable", () => {
  assert.deepEqual(parseDotenv("oops\n=value\nB=2\n", ENV_FILE).errors, [
    `${ENV_FILE}:1: "oops" is not NAME=value; write it as NAME=value or make it a comment with #.`,
    `${ENV_FILE}:2: "=value" is not NAME=value; write it as NAME=value or make it a comment with #.`,
  ]);
  assert.deepEqual(parseDotenv('A="never closed\nB=2\n', ENV_FILE).errors, [
    `${ENV_FILE}:1: the value of A opens a " quote that is never closed; close it, or escape the quote.`,
  ]);
  assert.deepEqual(parseDotenv("1A=x\n", ENV_FILE).errors, [
    `${ENV_FILE}:1: "1A=x" is not NAME=value; write it as NAME=value or make it a comment with #.`,
  ]);
});

test(".env on a Node without util.parseEnv: a sentence naming the version and the fix", () => {
  const result = convertProcfile("web: ./web\n", FILE, {
    dir: "/srv/app",
    dotenv: { text: "A=1\n", file: ENV_FILE },
    parseEnv: null,
  });
  assert.deepEqual(result.errors, [
    `${ENV_FILE}: reading a .env file needs Node >= 20.12 (util.parseEnv), and this is Node ${process.versions.node}; upgrade Node or remove ${ENV_FILE}.`,
  ]);
});
