// logs.merge: one pipe for an instance's stdout and stderr together (as `2>&1`). The child gets the same write
// end as fd 1 and fd 2, so the kernel keeps the exact order of its writes to both; the lines are labelled
// "out". See output-pipe.ts for why this is a real pipe and not Node's stdio "pipe".

import { createPipe, type OutputPipe } from "./output-pipe.js";

export type { OutputPipe } from "./output-pipe.js";

/**
 * The daemon spawns with stdio ["ignore", writeFd, writeFd], attaches { out: readable, err: null }, and calls
 * closeWriteEnd() once it has handled the instance's exit.
 */
export function createMergedPipe(dir?: string): Promise<OutputPipe> {
  return createPipe(dir);
}
