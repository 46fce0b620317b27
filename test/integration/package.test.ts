// The published package: `npm pack`, installed into an empty directory, gives a working `god` bin and the
// library from ESM and CommonJS, with types. This is what a user gets, so it is tested as they would use it.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

describe("the npm package", () => {
  const root = mkdtempSync(join(tmpdir(), "god-pack-"));
  const app = join(root, "app");
  before(() => {
    // --ignore-scripts: `prepare` would rebuild dist/ under the other tests' feet; dist/ is built already.
    const out = execFileSync(npm, ["pack", "--ignore-scripts", "--pack-destination", root, "--silent"], {
      encoding: "utf8",
    });
    const tarball = join(root, out.trim().split("\n").pop() ?? "");
    assert.ok(existsSync(tarball), `npm pack made no ${tarball}`);
    execFileSync("mkdir", ["-p", app]);
    writeFileSync(join(app, "package.json"), '{ "name": "app", "version": "1.0.0", "private": true }\n');
    execFileSync(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--silent", tarball], {
      cwd: app,
      stdio: "ignore",
      timeout: 240_000,
    });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("gives a working `npx god --help`", () => {
    const out = execFileSync(npm, ["exec", "--offline", "--", "god", "--help"], {
      cwd: app,
      encoding: "utf8",
    });
    assert.match(out, /god run/);
    assert.match(out, /god status/);
  });

  it("gives a `god --version` that finds the package's version from the bundled bin", () => {
    const out = execFileSync(npm, ["exec", "--offline", "--", "god", "--version"], {
      cwd: app,
      encoding: "utf8",
    });
    const { version } = JSON.parse(readFileSync(join(app, "node_modules/watchgod/package.json"), "utf8")) as {
      version: string;
    };
    assert.equal(out, `${version}\n`);
  });

  it("imports from ESM", () => {
    const out = execFileSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'import { job, init, listeners, http } from "watchgod"; console.log([job, init, listeners, http].map((f) => typeof f).join(","))',
      ],
      { cwd: app, encoding: "utf8" },
    );
    assert.equal(out.trim(), "function,function,function,function");
  });

  it("requires from CommonJS", () => {
    const out = execFileSync(
      process.execPath,
      [
        "-e",
        'const w = require("watchgod"); console.log(typeof w.job, typeof w.init, typeof w.listeners, typeof w.ready)',
      ],
      { cwd: app, encoding: "utf8" },
    );
    assert.equal(out.trim(), "function function function function");
  });

  it("installs its optional native package for ready: notify, and ready() sends with it", {
    skip: !(process.platform === "linux" && process.arch === "x64") && "no prebuilt binary for this platform",
  }, () => {
    // A datagram socket of node-unix-socket's own stands in for god's; the program uses the library as a user would.
    const out = execFileSync(
      process.execPath,
      [
        "-e",
        `const { DgramSocket } = require("node-unix-socket");
           const path = require("node:path").join(process.cwd(), "notify.sock");
           const s = new DgramSocket();
           s.on("data", (d) => { console.log(String(d)); s.close(); });
           s.bind(path);
           process.env.NOTIFY_SOCKET = path;
           require("watchgod").ready();`,
      ],
      { cwd: app, encoding: "utf8", timeout: 30_000 },
    );
    assert.equal(out.trim(), "READY=1");
  });

  it("ships types for both, and no tests", () => {
    const pkg = join(app, "node_modules", "watchgod");
    assert.ok(existsSync(join(pkg, "dist/src/lib/index.d.ts")));
    assert.ok(existsSync(join(pkg, "dist/cjs/src/lib/index.d.ts")));
    assert.equal(existsSync(join(pkg, "dist/test")), false);
    assert.ok(readdirSync(join(pkg, "docs")).includes("jobspec.schema.json"));
  });
});
