#!/usr/bin/env node
// dist/src/cli/main.js, the path that the tests, `god run -d`, the units written by `god startup` and older
// scripts run: it loads the bin, dist/src/cli/bundle/god.cjs (bundled from god.ts by scripts/bundle-cli.mjs), so
// that every caller runs the same code. This file is an ES module, so Node starts its ESM loader for it: the bin
// itself, not this file, is what runs `god status` fast.

import { createRequire } from "node:module";

createRequire(import.meta.url)("./bundle/god.cjs");
