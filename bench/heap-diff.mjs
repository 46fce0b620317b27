// Where god's heap bytes per job go (issue 17): compares two V8 heap snapshots (.heapsnapshot, e.g. god with 1 job
// and with 201, taken with --heapsnapshot-signal or v8.writeHeapSnapshot) by kind: the constructor for objects,
// the function name for closures, and the node type for strings, arrays, code and V8's internal objects. Prints,
// per kind, the count and self size in each, and the difference (also divided by --per, e.g. the extra jobs).
//
// Usage: node bench/heap-diff.mjs A.heapsnapshot B.heapsnapshot [--per N] [--top N (40)] [--min BYTES]
//                                 [--within KIND]   (KIND's nodes by their own names, e.g. --within "(code)")
//                                 [--owners A,B,..] [--owner A]
//   --owners: each node is counted under the nearest of its dominators (retainers it cannot be reached without)
//   whose constructor is in the list (weak edges ignored), else under "(no owner)": the bytes each kind of owner
//   holds. With --owner A, only the nodes owned by an A, by kind.
//        node bench/heap-diff.mjs A.heapsnapshot                 (one snapshot: its biggest kinds)
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    per: { type: "string", default: "1" },
    top: { type: "string", default: "40" },
    min: { type: "string", default: "0" },
    within: { type: "string" },
    owners: { type: "string" },
    owner: { type: "string" },
  },
});
if (positionals.length < 1 || positionals.length > 2) {
  console.error("usage: node bench/heap-diff.mjs A.heapsnapshot [B.heapsnapshot] [--per N] [--top N]");
  process.exit(2);
}

/** Count and self size per kind, for one snapshot. */
function kinds(path) {
  const snap = JSON.parse(readFileSync(path, "utf8"));
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const types = meta.node_types[fields.indexOf("type")];
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const width = fields.length;
  const { nodes, strings } = snap;
  const out = new Map();
  let total = 0;
  const owned = values.owners !== undefined ? ownersOf(snap, new Set(values.owners.split(","))) : null;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    const name = strings[nodes[i + nameAt]];
    const size = nodes[i + sizeAt];
    let key;
    if (owned !== null) {
      const owner = owned[i / width];
      const ownerName = owner < 0 ? "(no owner)" : strings[nodes[owner * width + nameAt]];
      if (values.owner === undefined) {
        key = ownerName;
        const k = out.get(key) ?? { count: 0, size: 0 };
        if (owner === i / width) k.count++;
        k.size += size;
        out.set(key, k);
        total += size;
        continue;
      }
      if (ownerName !== values.owner) continue;
    }
    switch (type) {
      case "object":
        key = name;
        break;
      case "closure":
        key = `closure ${name || "(anonymous)"}`;
        break;
      case "native":
        key = `native ${name.replace(/ \/ .*$/, "")}`;
        break;
      case "string":
      case "concatenated string":
      case "sliced string":
        key = "(string)";
        break;
      case "hidden":
      case "array":
      case "object shape":
        key = `(${type}) ${name.replace(/\d+/g, "N").slice(0, 60)}`;
        break;
      default:
        key = `(${type})`;
    }
    if (values.within !== undefined) {
      if (key !== values.within) continue;
      key = `${type} ${JSON.stringify(name.slice(0, 80))}`;
    }
    const k = out.get(key) ?? { count: 0, size: 0 };
    k.count++;
    k.size += size;
    out.set(key, k);
    total += size;
  }
  return { out, total };
}

/**
 * For each node, the index of its nearest dominator (itself included) that is an object made by one of
 * `names`, or -1. Dominators by the iterative algorithm of Cooper, Harvey and Kennedy, from node 0.
 */
function ownersOf(snap, names) {
  const meta = snap.snapshot.meta;
  const nf = meta.node_fields;
  const ef = meta.edge_fields;
  const width = nf.length;
  const ewidth = ef.length;
  const edgeCountAt = nf.indexOf("edge_count");
  const nameAt = nf.indexOf("name");
  const typeAt = nf.indexOf("type");
  const objectType = meta.node_types[typeAt].indexOf("object");
  const weak = meta.edge_types[0].indexOf("weak");
  const { nodes, edges, strings } = snap;
  const n = nodes.length / width;
  const firstEdge = new Uint32Array(n + 1);
  for (let i = 0, e = 0; i < n; i++) {
    firstEdge[i] = e;
    e += nodes[i * width + edgeCountAt] * ewidth;
    firstEdge[i + 1] = e;
  }
  // Reverse postorder by an iterative DFS from the root.
  const order = new Int32Array(n).fill(-1);
  const post = [];
  const visited = new Uint8Array(n);
  const stack = [0];
  const cursor = new Uint32Array(n);
  visited[0] = 1;
  for (let i = 0; i < n; i++) cursor[i] = firstEdge[i];
  while (stack.length > 0) {
    const v = stack[stack.length - 1];
    let pushed = false;
    while (cursor[v] < firstEdge[v + 1]) {
      const e = cursor[v];
      cursor[v] += ewidth;
      if (edges[e] === weak) continue;
      const w = edges[e + 2] / width;
      if (visited[w]) continue;
      visited[w] = 1;
      stack.push(w);
      pushed = true;
      break;
    }
    if (!pushed) post.push(stack.pop());
  }
  const rpo = post.reverse();
  rpo.forEach((v, i) => {
    order[v] = i;
  });
  const preds = Array.from({ length: n }, () => []);
  for (const v of rpo) {
    for (let e = firstEdge[v]; e < firstEdge[v + 1]; e += ewidth) {
      if (edges[e] === weak) continue;
      const w = edges[e + 2] / width;
      if (order[w] >= 0) preds[w].push(v);
    }
  }
  const idom = new Int32Array(n).fill(-1);
  idom[0] = 0;
  const intersect = (a, b) => {
    while (a !== b) {
      while (order[a] > order[b]) a = idom[a];
      while (order[b] > order[a]) b = idom[b];
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 1; i < rpo.length; i++) {
      const v = rpo[i];
      let d = -1;
      for (const p of preds[v]) {
        if (idom[p] < 0) continue;
        d = d < 0 ? p : intersect(p, d);
      }
      if (d >= 0 && idom[v] !== d) {
        idom[v] = d;
        changed = true;
      }
    }
  }
  const owner = new Int32Array(n).fill(-1);
  for (const v of rpo) {
    const isOwner = nodes[v * width + typeAt] === objectType && names.has(strings[nodes[v * width + nameAt]]);
    owner[v] = isOwner ? v : v === 0 ? -1 : owner[idom[v]];
  }
  return owner;
}

const per = Number(values.per);
const top = Number(values.top);
const min = Number(values.min);
const a = kinds(positionals[0]);
if (positionals.length === 1) {
  console.log(`total self size ${a.total} B`);
  for (const [key, k] of [...a.out].sort((x, y) => y[1].size - x[1].size).slice(0, top))
    console.log(`${String(k.size).padStart(10)} B ${String(k.count).padStart(8)}  ${key}`);
  process.exit(0);
}
const b = kinds(positionals[1]);
const rows = [];
for (const key of new Set([...a.out.keys(), ...b.out.keys()])) {
  const x = a.out.get(key) ?? { count: 0, size: 0 };
  const y = b.out.get(key) ?? { count: 0, size: 0 };
  rows.push({ key, dCount: y.count - x.count, dSize: y.size - x.size });
}
rows.sort((r, s) => Math.abs(s.dSize) - Math.abs(r.dSize));
const d = b.total - a.total;
console.log(
  `total self size ${a.total} -> ${b.total} B: ${d >= 0 ? "+" : ""}${d} B, ${(d / per).toFixed(0)} B per unit (${per})`,
);
console.log(
  `${"bytes/unit".padStart(11)} ${"count/unit".padStart(10)} ${"d bytes".padStart(10)} ${"d count".padStart(8)}  kind`,
);
for (const r of rows.filter((r) => Math.abs(r.dSize) >= min).slice(0, top)) {
  console.log(
    `${(r.dSize / per).toFixed(1).padStart(11)} ${(r.dCount / per).toFixed(2).padStart(10)} ${String(r.dSize).padStart(10)} ${String(r.dCount).padStart(8)}  ${r.key}`,
  );
}
