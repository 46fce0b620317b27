// Reading a systemd unit back for the tests of `god startup`: sections and keys, and the words of an Exec line
// as systemd splits them.

import assert from "node:assert/strict";

/** Sections to key -> values (a key may repeat). Comments and blank lines skipped. */
export function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf("=");
    assert.ok(current !== null && eq > 0, `not a key=value line inside a section: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

/** systemd's splitting of an Exec line into words (double quotes with C escapes; %% and $$). */
export function execWords(value: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = pattern.exec(value); m !== null; m = pattern.exec(value)) {
    const raw = m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!;
    words.push(raw.replaceAll("%%", "%").replaceAll("$$", "$"));
  }
  return words;
}
