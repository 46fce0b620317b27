// PM2's max_memory_restart to god's maxMemory: a number is bytes; a string is a number with K, M or G (1024-based,
// as in PM2). god takes whole bytes or "300M"/"1G"/"512K", so a whole number with a unit keeps that readable
// form ("300m" and "300MB" become "300M") and a fraction ("1.5G") becomes bytes.

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([KMG]?)B?\s*$/i;
const UNIT_BYTES: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** god's maxMemory for a PM2 value, or null when it is not a size. */
export function memorySize(value: unknown): number | string | null {
  if (typeof value === "number") {
    return Number.isSafeInteger(value) && value > 0 ? value : null;
  }
  if (typeof value !== "string") return null;
  const match = SIZE.exec(value);
  if (!match) return null;
  const amount = Number(match[1]);
  const unit = match[2]!.toUpperCase();
  if (!(amount > 0)) return null;
  if (unit !== "" && Number.isInteger(amount)) return `${amount}${unit}`;
  const bytes = Math.round(amount * UNIT_BYTES[unit]!);
  return Number.isSafeInteger(bytes) ? bytes : null;
}
