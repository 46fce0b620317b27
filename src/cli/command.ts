// The frame every command runs in: strict flag parsing (flags anywhere after the command), `--help`, the home
// (`--home DIR` > env GOD_HOME > ~/.god), and the mapping of a thrown error to one `god: ...` sentence on stderr
// and an exit code.
// arg-tokens.ts tokenizes (as util.parseArgs does, without loading it); the checks here turn its findings into
// sentences that name the flag and the fix.

import { argTokens } from "./arg-tokens.js";
import { resolveHome } from "./home.js";

export type OptionSpec = { type: "string" | "boolean"; multiple?: true; short?: string };
export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S["type"] extends "boolean"
  ? boolean
  : S extends { multiple: true }
    ? string[]
    : string | null;

export type Values<O extends OptionSpecs> = { [K in keyof O]: ValueOf<O[K]> } & {
  home: string | null;
  help: boolean;
};

export interface Parsed<O extends OptionSpecs> {
  values: Values<O>;
  positionals: string[];
  /** The god's home, absolute: `--home DIR` > env GOD_HOME > ~/.god. */
  home: string;
}

export interface CommandDefinition<O extends OptionSpecs> {
  /** As typed after `god`, e.g. "status". */
  name: string;
  /** The full `god NAME --help` text. */
  usage: string;
  /** Options besides the ones every command takes (`--home DIR`, `-h/--help`). */
  options: O;
}

/** A usage mistake: printed as one sentence, exit code 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  readonly exitCode = 2;
}

const COMMON: OptionSpecs = { home: { type: "string" }, help: { type: "boolean", short: "h" } };

export function parseCommandArgs<O extends OptionSpecs>(
  command: string,
  args: readonly string[],
  options: O,
): Parsed<O> {
  const specs: OptionSpecs = { ...COMMON, ...options };
  const config: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  const values: Record<string, string | string[] | boolean | null> = {};
  for (const [name, spec] of Object.entries(specs)) {
    config[name] = spec.short === undefined ? { type: spec.type } : { type: spec.type, short: spec.short };
    values[name] = spec.type === "boolean" ? false : spec.multiple ? [] : null;
  }
  // Non-strict: an unknown or malformed flag comes back as a token we can name in our own sentence.
  const tokens = argTokens(args, config);
  const positionals: string[] = [];
  const help = `run \`god ${command} --help\``;
  for (const token of tokens) {
    if (token.kind === "positional") positionals.push(token.value);
    if (token.kind !== "option") continue;
    const spec = Object.hasOwn(specs, token.name) ? specs[token.name] : undefined;
    if (spec === undefined) {
      throw new UsageError(`unknown flag ${token.rawName} for \`god ${command}\`; ${help}.`);
    }
    if (spec.type === "boolean") {
      if (token.value !== undefined) {
        throw new UsageError(`flag ${token.rawName} of \`god ${command}\` takes no value; ${help}.`);
      }
      values[token.name] = true;
      continue;
    }
    const value = token.value;
    if (value === undefined || value === "" || (!token.inlineValue && value.startsWith("-"))) {
      throw new UsageError(`flag ${token.rawName} of \`god ${command}\` needs a value; ${help}.`);
    }
    const previous = values[token.name];
    values[token.name] = Array.isArray(previous) ? [...previous, value] : value;
  }
  const typed = values as Values<O>;
  return { values: typed, positionals, home: resolveHome(typed.home) };
}

/** Parses the arguments, answers `--help`, runs `body`, and turns what it throws into a sentence and exit code. */
export async function runCommand<O extends OptionSpecs>(
  definition: CommandDefinition<O>,
  args: readonly string[],
  body: (parsed: Parsed<O>) => Promise<number>,
): Promise<number> {
  try {
    const parsed = parseCommandArgs(definition.name, args, definition.options);
    if (parsed.values.help) {
      process.stdout.write(definition.usage.endsWith("\n") ? definition.usage : `${definition.usage}\n`);
      return 0;
    }
    return await body(parsed);
  } catch (error) {
    return reportError(error);
  }
}

/**
 * Prints `god: <message>` on stderr and returns the exit code: the error's own `exitCode` (2 usage, 3 no daemon),
 * else 1. An error that is not one of ours (a bug) also gets its stack, which is what a bug report needs.
 * RpcError and GodError are known by name, so that commands which never talk to a daemon need not load them.
 */
export function reportError(error: unknown): number {
  if (!(error instanceof Error)) {
    process.stderr.write(`god: ${String(error)}\n`);
    return 1;
  }
  const exitCode = (error as { exitCode?: unknown }).exitCode;
  const expected = typeof exitCode === "number" || error.name === "RpcError" || error.name === "GodError";
  process.stderr.write(
    expected ? `god: ${error.message}\n` : `god: internal error: ${error.stack ?? error.message}\n`,
  );
  return typeof exitCode === "number" ? exitCode : 1;
}

/** Throws a usage error unless the count of positionals is within [min, max]. */
export function expectPositionals(
  command: string,
  positionals: string[],
  min: number,
  max: number,
  what: string,
): void {
  const help = `run \`god ${command} --help\``;
  if (positionals.length < min) {
    throw new UsageError(`\`god ${command}\` needs ${what}; ${help}.`);
  }
  if (positionals.length > max) {
    const extra = positionals[max];
    throw new UsageError(`unexpected argument "${extra}" for \`god ${command}\`; ${help}.`);
  }
}
