// Reductions of repeated samples: the median for figures, the maximum for counts of faults.

export function median(values) {
  const xs = values.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 === 1 ? xs[mid] : (xs[mid - 1] + xs[mid]) / 2;
}

export function max(values) {
  const xs = values.filter((x) => typeof x === "number" && Number.isFinite(x));
  return xs.length === 0 ? null : Math.max(...xs);
}

/** The value at quantile q (0..1) by nearest rank. */
export function quantile(values, q) {
  const xs = values.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  return xs[Math.min(xs.length - 1, Math.max(0, Math.ceil(q * xs.length) - 1))];
}

/** Appends value to groups[key], creating the list on first use. */
export function push(groups, key, value) {
  const list = groups[key] ?? [];
  list.push(value);
  groups[key] = list;
}
