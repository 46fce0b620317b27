// Small charts of the last 10 minutes (one sample a second) as inline SVG, drawn by hand: a line and the area
// under it, gaps where there was no process, and a dashed line at the memory limit. One x unit per sample, so
// the path is the samples themselves; the SVG stretches to its cell.

const NS = "http://www.w3.org/2000/svg";
const HEIGHT = 32;
/** Room above the highest point, so a flat line at the top is still seen. */
const HEADROOM = 1.15;

/** The scale's top: 1, 2 or 5 times a power of ten, at least `value`. */
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** An empty chart: `kind` is "cpu" or "memory" (the stylesheet colours them), `label` its accessible name. */
export function createChart(kind, label, samples) {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("class", `chart ${kind}`);
  svg.setAttribute("viewBox", `0 0 ${samples - 1} ${HEIGHT}`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  for (const name of ["area", "line"]) {
    const path = document.createElementNS(NS, "path");
    path.setAttribute("class", name);
    path.setAttribute("d", "");
    svg.append(path);
  }
  const limit = document.createElementNS(NS, "line");
  limit.setAttribute("class", "limit");
  limit.setAttribute("x1", "0");
  limit.setAttribute("x2", String(samples - 1));
  limit.setAttribute("vector-effect", "non-scaling-stroke");
  svg.querySelector(".line").setAttribute("vector-effect", "non-scaling-stroke");
  svg.append(limit);
  return svg;
}

/**
 * Draws `values` (oldest first; null where no process lived) on a scale from 0 to `max`; `limit` (or null)
 * is the dashed line. A sample alone between two gaps is drawn as a short flat step, so it shows.
 */
export function drawChart(svg, values, max, limit) {
  const top = max * HEADROOM;
  const y = (v) => (HEIGHT - (Math.min(v, top) / top) * HEIGHT).toFixed(2);
  let line = "";
  let area = "";
  let runStart = -1;
  const closeRun = (end) => {
    if (runStart === -1) return;
    area += `L${end} ${HEIGHT}L${runStart} ${HEIGHT}Z`;
    runStart = -1;
  };
  values.forEach((v, x) => {
    if (v === null || v === undefined) {
      closeRun(x - 1);
      return;
    }
    if (runStart === -1) {
      runStart = x;
      line += `M${x} ${y(v)}`;
      area += `M${x} ${y(v)}`;
      if (values[x + 1] === null || values[x + 1] === undefined) {
        line += `h0.8`;
        area += `h0.8`;
      }
    } else {
      line += `L${x} ${y(v)}`;
      area += `L${x} ${y(v)}`;
    }
  });
  closeRun(values.length - 1);
  svg.querySelector(".line").setAttribute("d", line);
  svg.querySelector(".area").setAttribute("d", area);
  const mark = svg.querySelector(".limit");
  if (limit === null || limit === undefined) mark.setAttribute("visibility", "hidden");
  else {
    mark.removeAttribute("visibility");
    mark.setAttribute("y1", y(limit));
    mark.setAttribute("y2", y(limit));
  }
}
