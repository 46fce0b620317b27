// How big god lets V8's young generation grow (issue 17). V8 doubles the new space's semispaces (1 MiB each at
// start, up to 16 MiB on 64-bit) whenever more than its size survived the scavenges since the last growth,
// and shrinks them again only in a GC made under low allocation. Starting many jobs makes long-lived objects
// that survive scavenges and grow it; in an idle daemon the growth stays resident until V8's memory reducer
// gets to it. god's allocations are small and short-lived (its log path reuses its buffers), so the initial
// semispaces serve it: a growth factor of 1 keeps them, and scavenges stay cheap (they cost what survives,
// not the size). With 200 sleep jobs started, god's RSS stayed at 80.8 MiB for 96 s with the default factor
// and at 67.1 MiB for 24 s with 1, both near 60 MiB after (docs/benchmarks.md, "Footprint").
// The factor is read at each growth decision, so setting it once the process runs takes effect: `god run`
// sets it before it loads the daemon's modules, whose loading alone grew the semispaces to 2 MiB (a new space
// of 3 MiB resident; 2 MiB when set first, and each fork copies the page tables of every resident MiB). A
// semispace size given on the command line or in NODE_OPTIONS is the user's choice and is left alone.

import { setFlagsFromString } from "node:v8";

export function keepYoungGenerationSmall(): void {
  const given = [...process.execArgv, process.env["NODE_OPTIONS"] ?? ""].some((flag) =>
    /semi[-_]space/.test(flag),
  );
  if (!given) setFlagsFromString("--semi-space-growth-factor=1");
}
