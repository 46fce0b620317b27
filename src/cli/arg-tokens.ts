// The command line split into tokens the way util.parseArgs splits it with `strict: false, tokens: true`, for
// the flags command.ts knows: long options (`--name`, `--name=value`), short ones (`-h`, `-n5`, `-fi` as a
// group of booleans), `--` ending the options, and the rest positionals. Our own because node:util's parser is
// a module Node compiles at first use: about a millisecond of every `god status` (docs/benchmarks.md, "status").
// test/unit/cli-arg-tokens.test.ts checks it against util.parseArgs itself.

export interface TokenOptions {
  [name: string]: { type: "string" | "boolean"; short?: string };
}

export type ArgToken =
  | { kind: "positional"; value: string }
  | { kind: "option-terminator" }
  | {
      kind: "option";
      name: string;
      rawName: string;
      value: string | undefined;
      inlineValue: boolean | undefined;
    };

export function argTokens(args: readonly string[], options: TokenOptions): ArgToken[] {
  const longOf = new Map<string, string>();
  for (const [name, spec] of Object.entries(options))
    if (spec.short !== undefined) longOf.set(spec.short, name);
  const isString = (name: string): boolean =>
    Object.hasOwn(options, name) && options[name]!.type === "string";
  const tokens: ArgToken[] = [];
  const rest = [...args];
  // Bounded: every turn takes at least one argument off `rest`.
  while (rest.length > 0) {
    const arg = rest.shift()!;
    if (arg === "--") {
      tokens.push({ kind: "option-terminator" });
      for (const value of rest.splice(0)) tokens.push({ kind: "positional", value });
      break;
    }
    if (arg.startsWith("--")) {
      // As util.parseArgs: an "=" right after the dashes is part of the name.
      const eq = arg.indexOf("=", 3);
      if (eq !== -1) {
        const name = arg.slice(2, eq);
        tokens.push({
          kind: "option",
          name,
          rawName: `--${name}`,
          value: arg.slice(eq + 1),
          inlineValue: true,
        });
        continue;
      }
      const name = arg.slice(2);
      if (isString(name) && rest.length > 0) {
        tokens.push({ kind: "option", name, rawName: arg, value: rest.shift(), inlineValue: false });
      } else tokens.push({ kind: "option", name, rawName: arg, value: undefined, inlineValue: undefined });
      continue;
    }
    if (arg.length < 2 || arg[0] !== "-") {
      tokens.push({ kind: "positional", value: arg });
      continue;
    }
    // -x, -xVALUE (x takes a string), or -xyz (a group: each letter an option of its own).
    const first = arg[1]!;
    const firstName = longOf.get(first) ?? first;
    if (arg.length > 2 && isString(firstName)) {
      tokens.push({
        kind: "option",
        name: firstName,
        rawName: `-${first}`,
        value: arg.slice(2),
        inlineValue: true,
      });
      continue;
    }
    for (let i = 1; i < arg.length; i++) {
      const letter = arg[i]!;
      const name = longOf.get(letter) ?? letter;
      const last = i === arg.length - 1;
      if (isString(name) && !last) {
        // A letter taking a value inside a group takes the rest of the group as its value.
        tokens.push({
          kind: "option",
          name,
          rawName: `-${letter}`,
          value: arg.slice(i + 1),
          inlineValue: true,
        });
        break;
      }
      if (isString(name) && rest.length > 0) {
        tokens.push({ kind: "option", name, rawName: `-${letter}`, value: rest.shift(), inlineValue: false });
      } else
        tokens.push({
          kind: "option",
          name,
          rawName: `-${letter}`,
          value: undefined,
          inlineValue: undefined,
        });
    }
  }
  return tokens;
}
