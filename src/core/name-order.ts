// The order god lists jobs in (status, /metrics): String.prototype.localeCompare's, which is ICU's root
// collation. Calling localeCompare makes V8 load ICU's collation data, about 2 MiB of the node binary that
// then stays resident in god for good (issue 17: 10 KiB per job of 200). Job names are [A-Za-z0-9_.-], for
// which that order is simple and computed here: the characters compare by their primary weights first
// (_ < - < . < digits < letters, a letter's case ignored), and only strings equal at that level by case,
// lowercase before uppercase at the first difference. Any other string goes to localeCompare itself.

const PLAIN_NAME = /^[A-Za-z0-9_.-]*$/;

/** The primary weight of a name character: its rank in _-.0-9a-z, case ignored. */
function primary(code: number): number {
  if (code === 0x5f) return 0; // _
  if (code === 0x2d) return 1; // -
  if (code === 0x2e) return 2; // .
  if (code <= 0x39) return 3 + code - 0x30; // 0-9
  return 13 + ((code | 0x20) - 0x61); // a-z, A-Z
}

/** 1 for an uppercase letter, else 0. */
function tertiary(code: number): number {
  return code >= 0x41 && code <= 0x5a ? 1 : 0;
}

/** The sign of a.localeCompare(b): negative, 0 or positive. */
export function compareNames(a: string, b: string): number {
  if (!PLAIN_NAME.test(a) || !PLAIN_NAME.test(b)) return a.localeCompare(b);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = primary(a.charCodeAt(i)) - primary(b.charCodeAt(i));
    if (d !== 0) return d;
  }
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < n; i++) {
    const d = tertiary(a.charCodeAt(i)) - tertiary(b.charCodeAt(i));
    if (d !== 0) return d;
  }
  return 0;
}
