// JSON text to a value, or a sentence that names the file, the line and the column. JSON.parse gives a
// position only for some errors, and words them differently from one Node to the next, so the place is found
// here: the longest prefix that could still begin a valid document ends just before the first bad character.

export type JsonParse = { ok: true; value: unknown } | { ok: false; error: string };

export function parseJsonText(text: string, file: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const offset = firstBadOffset(text);
    const { line, column } = lineAndColumn(text, offset);
    const what =
      offset >= text.length ? "the text ends too soon" : `unexpected ${JSON.stringify(text[offset])}`;
    return {
      ok: false,
      error: `${file}:${line}:${column}: not valid JSON (${what}); fix the file there (JSON allows no comments and no trailing commas).`,
    };
  }
}

/** The offset of the first character no valid JSON document could have there (text.length: it ends too soon). */
function firstBadOffset(text: string): number {
  // Whether a prefix can be completed into valid JSON is monotone in its length, so a binary search finds it.
  let good = 0;
  let bad = text.length + 1;
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    if (viablePrefix(text.slice(0, mid))) good = mid;
    else bad = mid;
  }
  return Math.min(good, text.length);
}

function viablePrefix(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return true;
  } catch (error) {
    const message = (error as Error).message;
    if (message === "Unexpected end of JSON input") return true;
    // Errors found at the very end ("Unterminated string", "Expected ',' or '}'") mean the prefix stopped early.
    const position = /at position (\d+)/.exec(message);
    return position !== null && Number(position[1]) >= prefix.length;
  }
}

/** 1-based line and column of a UTF-16 offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const lines = text.slice(0, offset).split("\n");
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}
