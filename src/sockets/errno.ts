// The name of a negative errno returned by a libuv handle (-98 -> EADDRINUSE).

import { constants } from "node:os";

export function errname(code: number): string {
  const n = -code;
  for (const [name, value] of Object.entries(constants.errno)) if (value === n) return name;
  return `error ${code}`;
}
