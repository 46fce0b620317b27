// Splits a string into words the way a POSIX shell would (whitespace, 'single' and "double" quotes, backslash
// escapes), without running one: nothing is expanded, so `$HOME`, `*` and `~` stay as written. For PM2's `args`
// and `interpreter_args` given as one string.

export type Words = { ok: true; words: string[] } | { ok: false; error: string };

/** Characters a backslash escapes inside double quotes; before any other, the backslash stays. */
const DOUBLE_QUOTE_ESCAPES = new Set(['"', "\\", "$", "`", "\n"]);

export function splitShellWords(text: string): Words {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) return { ok: false, error: `a ' quote at character ${i + 1} is never closed` };
      word += text.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text[j]!;
        if (d === "\\" && j + 1 < text.length && DOUBLE_QUOTE_ESCAPES.has(text[j + 1]!)) {
          if (text[j + 1] !== "\n") word += text[j + 1];
          j++;
        } else {
          word += d;
        }
      }
      if (j >= text.length) return { ok: false, error: `a " quote at character ${i + 1} is never closed` };
      i = j;
    } else if (c === "\\") {
      if (i + 1 >= text.length) return { ok: false, error: "it ends with a lone backslash" };
      if (text[i + 1] !== "\n") word += text[i + 1];
      i++;
    } else {
      word += c;
    }
  }
  if (inWord) words.push(word);
  return { ok: true, words };
}
