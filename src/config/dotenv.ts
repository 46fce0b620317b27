// A `.env` file (beside a Procfile) read with Node's own parser, util.parseEnv (Node >= 20.12). That parser skips
// or merges a line it does not understand (`oops` followed by `=x` becomes the key "oops\n"), so each line is
// first checked here and every entry is parsed on its own: a bad line is an error naming its number, never a
// silently wrong variable.

import * as util from "node:util";

export type ParseEnv = (content: string) => Record<string, string | undefined>;

export interface Dotenv {
  env: Record<string, string>;
  errors: string[];
}

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;
const QUOTES = new Set(['"', "'", "`"]);

/** Node's parser, or null on a Node older than 20.12. */
export function nodeParseEnv(): ParseEnv | null {
  const parse = (util as { parseEnv?: unknown }).parseEnv;
  return typeof parse === "function" ? (parse as ParseEnv) : null;
}

/** `parse` null: this Node has no parser (a test passes null to play an older Node). */
export function parseDotenv(text: string, file: string, parse: ParseEnv | null = nodeParseEnv()): Dotenv {
  if (parse === null) {
    return {
      env: {},
      errors: [
        `${file}: reading a .env file needs Node >= 20.12 (util.parseEnv), and this is Node ${process.versions.node}; upgrade Node or remove ${file}.`,
      ],
    };
  }
  const errors: string[] = [];
  const entries: Array<{ line: number; name: string; text: string }> = [];
  const lines = text.split("\n").map((line) => line.replace(/\r$/, ""));
  for (let i = 0; i < lines.length; ) {
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      i++;
      continue;
    }
    const match = ASSIGNMENT.exec(line);
    if (!match) {
      errors.push(
        `${file}:${i + 1}: ${JSON.stringify(excerpt(trimmed))} is not NAME=value; write it as NAME=value or make it a comment with #.`,
      );
      i++;
      continue;
    }
    const name = match[1]!;
    const value = match[2]!;
    const quote = value[0];
    let last = i;
    if (quote !== undefined && QUOTES.has(quote) && !value.includes(quote, 1)) {
      // A quoted value may span lines, up to the line holding its closing quote, as Node's parser reads it.
      last = lines.findIndex((later, j) => j > i && later.includes(quote));
      if (last === -1) {
        errors.push(
          `${file}:${i + 1}: the value of ${name} opens a ${quote} quote that is never closed; close it, or escape the quote.`,
        );
        i++;
        continue;
      }
    }
    entries.push({ line: i + 1, name, text: lines.slice(i, last + 1).join("\n") });
    i = last + 1;
  }
  const env: Record<string, string> = {};
  for (const entry of entries) {
    const parsed = parse(entry.text);
    const value = parsed[entry.name];
    if (value === undefined || Object.keys(parsed).length !== 1) {
      errors.push(
        `${file}:${entry.line}: Node's .env parser does not read ${entry.name} from this line; write it as ${entry.name}=value.`,
      );
      continue;
    }
    env[entry.name] = value;
  }
  return { env: errors.length > 0 ? {} : env, errors };
}

function excerpt(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}
