// The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core (no browser download).
// The page lists the jobs (and the instances of a job of several), draws CPU and memory charts that move, a
// click on Restart changes the pid shown, and a new log line appears without a reload. With GOD_SCREENSHOTS=DIR it
// also saves dashboard.png (wide) and dashboard-phone.png there.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { Sandbox } from "../helpers/god.js";
import { helloLoader } from "../helpers/hello-loader.js";
import { startHttpGod } from "./http-rig.js";

const CHROMIUM = "/usr/bin/chromium";

/**
 * The little of the DOM that the functions run in the page use: the tests' types have no DOM. (Functions, not
 * strings: the page's Content-Security-Policy forbids eval, which Playwright would use for a string.)
 */
interface PageNode {
  textContent: string | null;
  dataset: Record<string, string | undefined>;
  getAttribute(name: string): string | null;
  labels?: ArrayLike<unknown> | null;
}
interface PageGlobal {
  document: {
    querySelector(selector: string): PageNode | null;
    querySelectorAll(selector: string): Iterable<PageNode>;
    documentElement: { scrollWidth: number };
  };
  innerWidth: number;
  marker?: number;
  getComputedStyle(node: PageNode): { position: string };
}
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const LOADER = `
job("api", {
  exec: ["sh", "-c", "while true; do echo \\"GET /orders 200 $(date +%N | cut -c1-2)ms\\"; sleep 0.7; done"],
  auto: true,
  check: { every: "2s", probe: command(["true"]) },
});
job("worker", { exec: ["sh", "-c", "i=0; while true; i=$((i+1)); do echo \\"job $i done\\"; sleep 0.3; done"], auto: true });
job("cache", {
  exec: ["sleep", "100000"],
  auto: true,
  check: { every: "2s", run: () => ({ status: "degraded", message: "hit rate 41%, below 60%" }) },
});
job("mailer", {
  exec: ["sh", "-c", "echo 'smtp: connection refused by 127.0.0.1:25' >&2; exit 1"],
  auto: true,
  backoff: { initialMs: 5000, maxMs: 60000 },
});
job("nightly-report", { exec: ["sleep", "100000"] });
`;

describe("the dashboard in Chromium", () => {
  const sandbox = new Sandbox("god-http-dashboard-");
  const profile = mkdtempSync(join(tmpdir(), "god-chromium-"));
  let base = "";
  let context: BrowserContext;
  let page: Page;
  const foreign: string[] = [];

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`,
    );
    sandbox.libLoader("app", LOADER);
    helloLoader(sandbox, "fleet", [
      { name: "fleet", exec: ["sleep", "100000"], auto: true, instances: 2, maxMemory: "64M" },
      // Says what it is doing (STATUS=, SPEC 11) as systemd's services do, on its notify socket.
      {
        name: "notifier",
        exec: [
          "python3",
          "-c",
          "import os,socket,time; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b'READY=1\\nSTATUS=serving 3 clients', os.environ['NOTIFY_SOCKET']); time.sleep(100000)",
        ],
        auto: true,
        ready: "notify",
      },
    ]);
    base = await startHttpGod(sandbox);
    for (const name of ["api", "worker", "cache"]) {
      sandbox.track(
        await sandbox.until(`${name} up`, async () => (await sandbox.job(name))?.pid ?? undefined),
      );
    }
    await sandbox.untilState("cache", "degraded");
    for (const instance of (await sandbox.untilState("fleet", "running")).instances)
      sandbox.track(instance.pid);
    sandbox.track((await sandbox.untilState("notifier", "running")).pid);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 800 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("request", (r) => {
      if (!r.url().startsWith(`${base}/`)) foreign.push(r.url());
    });
    await page.goto(`${base}/`);
  });
  after(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    await sandbox.cleanup();
  });

  const pidShown = (job: string) => page.locator(`tr[data-job="${job}"] [data-field="pid"]`).textContent();

  it("lists every job with its state, pid and loader, live", async () => {
    await page.locator("#connection[data-state='live']").waitFor({ timeout: 20_000 });
    const names = await page
      .locator("#job-rows tr:not(.instance)")
      .evaluateAll((rows) => (rows as unknown as PageNode[]).map((r) => r.dataset["job"]));
    assert.deepEqual(names, ["api", "cache", "fleet", "mailer", "nightly-report", "notifier", "worker"]);
    const api = (await sandbox.job("api"))!;
    assert.equal(await pidShown("api"), String(api.pid));
    assert.equal(await page.locator('tr[data-job="cache"] [data-field="state"]').textContent(), "degraded");
    assert.equal(await page.locator('tr[data-job="nightly-report"] [data-field="pid"]').textContent(), "—");
    assert.equal(await page.locator('tr[data-job="api"] [data-field="loader"]').textContent(), "app");
    assert.equal(
      await page.locator('tr[data-job="notifier"] [data-field="status"]').textContent(),
      "\u201cserving 3 clients\u201d",
    );
    assert.equal(await page.locator('tr[data-job="api"] [data-field="status"]').textContent(), "");
    assert.equal(await page.getByRole("button", { name: "Start api", exact: true }).isDisabled(), true);
    assert.equal(
      await page.getByRole("button", { name: "Start nightly-report", exact: true }).isEnabled(),
      true,
    );
  });

  it("charts CPU and memory of each job and each instance, the limit on memory, and the charts move", async () => {
    const rows = await page
      .locator('#job-rows tr[data-job="fleet"]')
      .evaluateAll((trs) =>
        (trs as unknown as PageNode[]).map((tr) => `${tr.dataset["job"]}.${tr.dataset["instance"] ?? "-"}`),
      );
    assert.deepEqual(rows, ["fleet.-", "fleet.0", "fleet.1"], "the job's row, then one per instance");
    assert.equal(await page.locator('tr[data-job="api"][data-instance]').count(), 0, "a job of one: no rows");
    const charts = [
      'tr[data-job="api"] svg.cpu path.line',
      'tr[data-job="api"] svg.memory path.line',
      'tr[data-job="fleet"][data-instance="0"] svg.cpu path.line',
      'tr[data-job="fleet"][data-instance="1"] svg.memory path.line',
      'tr[data-job="fleet"]:not([data-instance]) svg.memory path.line',
    ];
    const shapes = async () => Promise.all(charts.map((c) => page.locator(c).getAttribute("d")));
    const drawn = (selectors: string[]) =>
      selectors.every(
        (c) =>
          ((globalThis as unknown as PageGlobal).document.querySelector(c)?.getAttribute("d") ?? "") !== "",
      );
    await page.waitForFunction(drawn, charts, { timeout: 20_000 });
    const first = await shapes();
    // A few seconds later every chart has new samples on its right: each path is another.
    await page.waitForFunction(
      ([selectors, before]) =>
        selectors.every(
          (c, i) =>
            (globalThis as unknown as PageGlobal).document.querySelector(c)?.getAttribute("d") !== before[i],
        ),
      [charts, first] as const,
      { timeout: 20_000 },
    );
    const instance = 'tr[data-job="fleet"][data-instance="0"]';
    const limit = page.locator(`${instance} svg.memory line.limit`);
    assert.equal(await limit.getAttribute("visibility"), null, "the limit is drawn");
    const y = Number(await limit.getAttribute("y1"));
    assert.ok(y > 0 && y < 32, `the limit at y ${y}, inside the chart`);
    assert.match(
      (await page.locator(`${instance} [data-field="memory"]`).textContent()) ?? "",
      /^[\d.]+[BKM] \/ 64M$/,
    );
    assert.match((await page.locator(`${instance} [data-field="cpu"]`).textContent()) ?? "", /^\d+\.\d%$/);
    assert.equal(
      await page
        .locator('tr[data-job="fleet"]:not([data-instance]) svg.memory line.limit')
        .getAttribute("visibility"),
      "hidden",
      "the limit is per instance: not on the sum of two",
    );
  });

  it("a click on Restart changes the pid shown, without a reload", async () => {
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobal).marker = 1;
    });
    const before = (await sandbox.job("api"))!;
    await page.getByRole("button", { name: "Restart api", exact: true }).click();
    const after = await sandbox.until("api's new pid", async () => {
      const j = await sandbox.job("api");
      return j && j.pid !== null && j.pid !== before.pid && j.state === "running" ? j : undefined;
    });
    sandbox.track(after.pid);
    await page.waitForFunction(
      (pid) =>
        (globalThis as unknown as PageGlobal).document.querySelector('tr[data-job="api"] [data-field="pid"]')
          ?.textContent === pid,
      String(after.pid),
      { timeout: 20_000 },
    );
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobal).marker), 1, "no reload");
    assert.match((await page.locator("#toast").textContent()) ?? "", /restart api: done, running/);
  });

  it("shows a job's new log lines as they come, without a reload", async () => {
    await page.locator("#log-job").selectOption("worker");
    const lastJob = async () => {
      const lines = await page.locator("#log-lines li .msg").allTextContents();
      const numbers = lines.map((l) => Number(/^job (\d+) done$/.exec(l)?.[1] ?? Number.NaN));
      return numbers.filter((n) => !Number.isNaN(n)).at(-1);
    };
    let first: number | undefined;
    let state = "";
    for (let i = 0; i < 200 && first === undefined; i++) {
      first = await lastJob();
      state = (await page.locator("#log-state").textContent()) ?? "";
      if (first === undefined) await page.waitForTimeout(50);
    }
    assert.ok(
      first !== undefined,
      `no line of worker in the log tail after 10 s; the tail says "${state}" (god's run.ts must pass its LogsService to startHttpServer)`,
    );
    await page.waitForFunction(
      (n) =>
        [...(globalThis as unknown as PageGlobal).document.querySelectorAll("#log-lines li .msg")].some(
          (li) => Number(/^job (\d+) done$/.exec(li.textContent ?? "")?.[1]) > n,
        ),
      first,
      { timeout: 20_000 },
    );
    assert.equal(await page.evaluate(() => (globalThis as unknown as PageGlobal).marker), 1, "no reload");
  });

  it("loads nothing from elsewhere and labels every control", async () => {
    assert.deepEqual(foreign, []);
    const unnamed = await page
      .locator("button:visible, select:visible, input:visible")
      .evaluateAll(
        (els) =>
          (els as unknown as PageNode[]).filter(
            (e) => (e.textContent ?? "").trim() === "" && !e.getAttribute("aria-label") && !e.labels?.length,
          ).length,
      );
    assert.equal(unnamed, 0);
  });

  it("reads on a phone and a wide screen", async () => {
    const shots = process.env["GOD_SCREENSHOTS"];
    await page.locator("#log-job").selectOption("");
    await page
      .waitForFunction(
        () =>
          [...(globalThis as unknown as PageGlobal).document.querySelectorAll("#log-lines li")].length > 8,
        undefined,
        {
          timeout: 20_000,
        },
      )
      .catch(() => {});
    // The toast of the restart above is transient: the pictures show the page at rest.
    await page.evaluate(() => {
      (globalThis as unknown as PageGlobal).document.querySelector("#toast")!.textContent = "";
    });
    await page.setViewportSize({ width: 1280, height: 900 });
    if (shots) await page.screenshot({ path: join(shots, "dashboard.png") });
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobal;
      return w.document.documentElement.scrollWidth - w.innerWidth;
    });
    assert.ok(overflow <= 0, `the page is ${overflow} px wider than a phone`);
    const display = await page.evaluate(() => {
      const w = globalThis as unknown as PageGlobal;
      return w.getComputedStyle(w.document.querySelector("#jobs thead")!).position;
    });
    assert.equal(display, "absolute", "the table's head is hidden on a phone: each job is a card");
    if (shots) await page.screenshot({ path: join(shots, "dashboard-phone.png"), fullPage: true });
  });
});

describe("the dashboard of a god with a token", () => {
  const TOKEN = "dashboard-token-0123456789";
  const sandbox = new Sandbox("god-http-dashboard-token-");
  const profile = mkdtempSync(join(tmpdir(), "god-chromium-"));
  let base = "";
  let context: BrowserContext;

  before(async () => {
    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)`,
    );
    sandbox.libLoader("app", `job("web", { exec: ["sleep", "100000"], auto: true });`);
    base = await startHttpGod(sandbox, ["--http-token", TOKEN]);
    sandbox.track((await sandbox.untilState("web", "running")).pid);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
    });
  });
  after(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    await sandbox.cleanup();
  });

  const restartChangesPid = async (page: Page) => {
    const before = (await sandbox.job("web"))!;
    await page.getByRole("button", { name: "Restart web", exact: true }).click();
    const after = await sandbox.until("web's new pid", async () => {
      const j = await sandbox.job("web");
      return j && j.pid !== null && j.pid !== before.pid && j.state === "running" ? j : undefined;
    });
    sandbox.track(after.pid);
    await page.locator(`tr[data-job="web"] [data-field="pid"]`, { hasText: String(after.pid) }).waitFor();
  };

  it("takes the token from #token= and forgets the fragment", async () => {
    const page = await context.newPage();
    await page.goto(`${base}/#token=${TOKEN}`);
    await page.locator("#connection[data-state='live']").waitFor({ timeout: 20_000 });
    assert.equal(page.url(), `${base}/`);
    await restartChangesPid(page);
    assert.equal(await page.locator("#token-form").isHidden(), true);
    await page.close();
  });

  it("asks for the token when an action is refused, then uses it", async () => {
    const page = await context.newPage();
    await page.goto(`${base}/`);
    await page.locator("#connection[data-state='live']").waitFor({ timeout: 20_000 });
    await page.getByRole("button", { name: "Restart web", exact: true }).click();
    await page.locator("#token-form").waitFor({ state: "visible" });
    await page.getByLabel("Token", { exact: true }).fill(TOKEN);
    await page.getByRole("button", { name: "Use token" }).click();
    await restartChangesPid(page);
    await page.close();
  });
});
