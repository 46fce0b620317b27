// An ecosystem app's command line: [interpreter, interpreter_args, script, args], or [script, args] when the
// script runs by itself. As PM2 does, a script that is no file under cwd and has no interpreter is a command
// looked up in PATH (`script: "npm"`), and node is the node that runs god.

import { extname, resolve } from "node:path";
import type { Bad, EcosystemOptions } from "./ecosystem-options.js";
import { pm2Words } from "./pm2-values.js";

/** The interpreters PM2 would pick by extension, where god (with no `interpreter`) runs the file itself. */
const PM2_INTERPRETERS: Record<string, string> = {
  ".sh": "bash",
  ".py": "python",
  ".rb": "ruby",
  ".php": "php",
  ".pl": "perl",
  ".coffee": "coffee",
  ".ts": "bun",
  ".tsx": "bun",
};

export interface ExecContext {
  /** "FILE: apps[i]", to start a sentence. */
  at: string;
  name: string;
  /** The app's script, as written. */
  script: string;
  cwd: string;
  options: EcosystemOptions;
  errors: string[];
  warnings: string[];
  bad: Bad;
}

export function execOf(
  app: Record<string, unknown>,
  context: ExecContext,
): { exec: string[]; interpreter: string } {
  const { at, name, script, cwd, options, errors, warnings, bad } = context;
  const interpreterValue = app["interpreter"] ?? app["exec_interpreter"];
  let interpreter: string;
  if (interpreterValue === undefined) {
    interpreter = /\.(c|m)?js$/i.test(script) ? "node" : "none";
    const pm2Would = PM2_INTERPRETERS[extname(script).toLowerCase()];
    if (pm2Would !== undefined) {
      warnings.push(
        `${at} (${name}): ${script} is run as a program itself (it needs #! and the execute bit), where PM2 would have run it with ${pm2Would}; set interpreter: "${pm2Would}" to keep that.`,
      );
    }
  } else if (typeof interpreterValue === "string" && interpreterValue.trim() !== "") {
    interpreter = interpreterValue.trim();
    if (interpreter.includes("@")) {
      errors.push(
        `${at}.interpreter: "${interpreter}" asks PM2 to install a Node version, which god does not do; give the path of that node instead.`,
      );
    }
  } else {
    bad(
      "interpreter",
      'a command, "node" or "none"',
      'name the interpreter, or "none" to run the script itself',
    );
    interpreter = "none";
  }
  const args = words(app, "args", at, errors);
  const interpreterArgsField = ["interpreter_args", "interpreterArgs", "node_args"].find(
    (field) => app[field] !== undefined,
  );
  const interpreterArgs = interpreterArgsField ? words(app, interpreterArgsField, at, errors) : [];
  const expanded = home(script, options);
  const path = resolve(cwd, expanded);
  const onDisk = options.exists(path);
  let program = path;
  if (interpreter === "none" && !onDisk && !expanded.includes("/")) {
    program = expanded; // a command such as "npm", looked up in PATH as PM2 does
  } else if (!onDisk) {
    warnings.push(
      `${at} (${name}): the script ${path} does not exist (yet); ${name} cannot start until it does.`,
    );
  }
  let exec: string[];
  if (interpreter === "none") {
    if (interpreterArgsField) {
      warnings.push(
        `${at} (${name}): ${interpreterArgsField} is ignored, because the script runs without an interpreter.`,
      );
    }
    exec = [program, ...args];
  } else {
    exec = [interpreter === "node" ? options.nodePath : interpreter, ...interpreterArgs, program, ...args];
  }
  return { exec, interpreter };
}

export function home(path: string, options: EcosystemOptions): string {
  if (path === "~") return options.homeDir;
  return path.startsWith("~/") ? resolve(options.homeDir, path.slice(2)) : path;
}

function words(app: Record<string, unknown>, field: string, at: string, errors: string[]): string[] {
  if (app[field] === undefined) return [];
  const split = pm2Words(app[field]);
  if (split.ok) return split.words;
  errors.push(`${at}.${field}: ${split.error}; give the arguments as an array of strings.`);
  return [];
}
