/* Two small SVG plots, no library: lines with a shaded band (σ(T)) and a scatter (Pareto).
   Hand-written because the page must work offline from the package and these need ~150
   lines; a charting library would be 50 kB to 3 MB for the same two pictures. */
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const COLORS = ["#1f5fa8", "#c2410c", "#15803d", "#7e22ce", "#be123c", "#0e7490", "#a16207", "#334155"];

  function el(name, attrs, parent) {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }

  function niceTicks(lo, hi, n) {
    if (!isFinite(lo) || !isFinite(hi)) return [];
    if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
    const raw = (hi - lo) / Math.max(1, n);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 2.5, 5, 10].map(m => m * mag).find(s => s >= raw) || raw;
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-6; t += step) out.push(+t.toFixed(10));
    let d = 0;  // the decimals of the step itself (0.025 -> 3): enough to tell ticks apart
    while (d < 8 && Math.abs(Math.round(step * 10 ** d) - step * 10 ** d) > 1e-6 * 10 ** d) d++;
    out.decimals = d;
    return out;
  }

  function extent(values, pad) {
    const v = values.filter(x => x !== null && isFinite(x));
    if (!v.length) return [0, 1];
    let lo = Math.min(...v), hi = Math.max(...v);
    if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
    const p = (hi - lo) * (pad || 0.05);
    return [lo - p, hi + p];
  }

  function frame(svg, opts) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    const W = svg.clientWidth || 640, H = svg.clientHeight || 320;
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    const m = { l: 62, r: 16, t: 14, b: 44 };
    const [x0, x1] = opts.xr, [y0, y1] = opts.yr;
    const sx = x => m.l + (x - x0) / (x1 - x0) * (W - m.l - m.r);
    const sy = y => H - m.b - (y - y0) / (y1 - y0) * (H - m.t - m.b);
    const grid = el("g", { class: "grid" }, svg), axis = el("g", { class: "axis" }, svg);
    const xt = niceTicks(x0, x1, 7), yt = niceTicks(y0, y1, 6);
    for (const t of xt) {
      el("line", { x1: sx(t), x2: sx(t), y1: m.t, y2: H - m.b }, grid);
      el("text", { x: sx(t), y: H - m.b + 16, "text-anchor": "middle" }, axis).textContent = t.toFixed(xt.decimals);
    }
    for (const t of yt) {
      el("line", { x1: m.l, x2: W - m.r, y1: sy(t), y2: sy(t) }, grid);
      el("text", { x: m.l - 6, y: sy(t) + 4, "text-anchor": "end" }, axis).textContent = t.toFixed(yt.decimals);
    }
    el("path", { d: `M${m.l},${m.t}V${H - m.b}H${W - m.r}`, fill: "none" }, axis);
    el("text", { x: (m.l + W - m.r) / 2, y: H - 8, "text-anchor": "middle" }, axis).textContent = opts.xlabel || "";
    const yl = el("text", { x: 14, y: (m.t + H - m.b) / 2, "text-anchor": "middle",
      transform: `rotate(-90 14 ${(m.t + H - m.b) / 2})` }, axis);
    yl.textContent = opts.ylabel || "";
    return { sx, sy, W, H, m };
  }

  /** Lines with bands. series: [{x:[], y:[], lo:[], hi:[], label}] (null gaps skipped). */
  function lines(svg, series, opts) {
    const xs = series.flatMap(s => s.x), ys = series.flatMap(s => [...s.y, ...(s.lo || []), ...(s.hi || [])]);
    const f = frame(svg, { ...opts, xr: extent(xs, 0.02), yr: extent(ys, 0.06) });
    series.forEach((s, i) => {
      const color = s.color || COLORS[i % COLORS.length];
      const idx = s.x.map((_, k) => k).filter(k => s.y[k] !== null && isFinite(s.y[k]));
      if (s.lo && s.hi) {
        const okb = idx.filter(k => s.lo[k] !== null && s.hi[k] !== null);
        if (okb.length > 1) {
          const top = okb.map(k => `${f.sx(s.x[k])},${f.sy(s.hi[k])}`);
          const bot = okb.slice().reverse().map(k => `${f.sx(s.x[k])},${f.sy(s.lo[k])}`);
          el("polygon", { points: [...top, ...bot].join(" "), fill: color, "fill-opacity": series.length > 1 ? 0.07 : 0.14, stroke: "none" }, svg);
        }
      }
      if (idx.length) {
        el("polyline", { points: idx.map(k => `${f.sx(s.x[k])},${f.sy(s.y[k])}`).join(" "), fill: "none",
          stroke: color, "stroke-width": 2.2 }, svg);
        for (const k of idx) el("circle", { cx: f.sx(s.x[k]), cy: f.sy(s.y[k]), r: 2.6, fill: color }, svg);
      }
      if (opts.legend && s.label) {
        const y = f.m.t + 14 + i * 16;
        el("rect", { x: f.W - f.m.r - 260, y: y - 9, width: 12, height: 10, fill: color }, svg);
        el("text", { x: f.W - f.m.r - 242, y }, svg).textContent = s.label.slice(0, 36);
      }
    });
    return f;
  }

  /** Scatter of points [{x, y, c, label}], c in [0, 1] sets the colour; onPick(i). */
  function scatter(svg, points, opts, onPick) {
    const f = frame(svg, { ...opts, xr: extent(points.map(p => p.x), 0.06), yr: extent(points.map(p => p.y), 0.08) });
    points.forEach((p, i) => {
      if (!isFinite(p.x) || !isFinite(p.y)) return;
      const hue = 220 - 200 * (isFinite(p.c) ? p.c : 0.5);
      const c = el("circle", { cx: f.sx(p.x), cy: f.sy(p.y), r: 6, fill: `hsl(${hue} 70% 45%)`, "fill-opacity": 0.8,
        stroke: "#fff", tabindex: 0, role: "button", "aria-label": p.label || `point ${i + 1}`, "data-index": i }, svg);
      el("title", {}, c).textContent = p.label || "";
      const pick = () => onPick && onPick(i);
      c.addEventListener("click", pick);
      c.addEventListener("keydown", e => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); pick(); } });
    });
    return f;
  }

  window.SpePlot = { lines, scatter, COLORS };
})();
