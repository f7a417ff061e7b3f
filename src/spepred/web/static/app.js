/* spepred's page: a thin client of the JSON API (POST /predict, GET /model, /chemicals,
   /structures, /depict.svg, POST /predict.csv, /table, GET /screens). No framework, no
   build step; every number shown comes from the API as it is. */
"use strict";
(function () {
  const $ = id => document.getElementById(id);
  const FIELDS = ["monomer_smiles", "crosslinker", "crosslink_type", "salt", "salt_molality_mol_kg", "filler",
    "filler_wt_pct", "mw_g_mol", "temperature_C"];
  const NUMERIC = new Set(["salt_molality_mol_kg", "filler_wt_pct", "mw_g_mol", "temperature_C"]);
  const state = { model: null, last: null, pins: [], jsme: null, jsmeLoading: false };

  // -- helpers ---------------------------------------------------------------------------
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g,
      c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  const isNum = v => v !== null && v !== undefined && isFinite(v);
  const sci = v => isNum(v) ? Number(v).toExponential(2) : "—";
  const fix = (v, d) => isNum(v) ? Number(v).toFixed(d) : "—";
  const pow10 = v => isNum(v) ? Math.pow(10, v) : null;
  const depictUrl = (smiles, w, h) => `/depict.svg?smiles=${encodeURIComponent(smiles)}&width=${w || 220}&height=${h || 150}`;

  async function api(path, opts) {
    const r = await fetch(path, opts);
    const type = r.headers.get("content-type") || "";
    const body = type.includes("json") ? await r.json() : await r.text();
    if (!r.ok) {
      const err = new Error(messageOf(body) || `HTTP ${r.status}`);
      err.detail = body && body.detail;
      throw err;
    }
    return body;
  }
  function messageOf(body) {
    if (body && Array.isArray(body.detail)) return body.detail.map(d => d.msg).join("; ");
    return typeof body === "string" ? body : "";
  }
  const postJSON = (path, data) => api(path, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(data) });

  // -- the form --------------------------------------------------------------------------
  function readForm() {
    const f = {};
    for (const k of FIELDS) {
      const v = $(k).value.trim();
      if (v === "") continue;
      f[k] = NUMERIC.has(k) && isFinite(Number(v)) ? Number(v) : v;  // non-numbers go as typed: the API says why
    }
    if ($("plasticized").checked) f.plasticized = true;
    if (liquid()) f.liquids = liquid();  // the API's `liquids` (names or SMILES, ';'-separated)
    if (!("temperature_C" in f)) f.temperature_C = 25;
    return f;
  }
  function liquid() { return $("liquid").value.trim(); }
  function fillForm(f) {
    for (const k of FIELDS) if (k in f) $(k).value = f[k];
    $("plasticized").checked = f.plasticized === true || f.plasticized === "true";
    if ("liquid" in f) $("liquid").value = f.liquid;
  }
  function curveTemps() {
    const a = Number($("t_from").value), b = Number($("t_to").value), s = Number($("t_step").value);
    if (![a, b, s].every(isFinite) || s <= 0 || b < a) throw new Error("curve: expected from ≤ to and a step > 0");
    const n = Math.floor((b - a) / s + 1e-9) + 1;
    if (n > 200) throw new Error(`curve: ${n} temperatures; at most 200`);
    return Array.from({ length: n }, (_, i) => +(a + i * s).toFixed(6));
  }
  function clearErrors() {
    document.querySelectorAll(".error").forEach(e => { e.textContent = ""; });
    document.querySelectorAll("[aria-invalid]").forEach(e => e.removeAttribute("aria-invalid"));
  }
  function showErrors(err) {
    const detail = Array.isArray(err.detail) ? err.detail : [{ msg: err.message }];
    for (const d of detail) {
      const col = Array.isArray(d.loc) ? d.loc[d.loc.length - 1] : null;
      const target = col && $("err-" + col);
      if (target) {
        target.textContent = d.msg;
        $(col) && $(col).setAttribute("aria-invalid", "true");
      } else {
        $("err-form").textContent = ($("err-form").textContent ? $("err-form").textContent + "; " : "") + d.msg;
      }
    }
    const first = document.querySelector("[aria-invalid=true]");
    if (first) first.focus();
  }
  function toQuery(f, liq = liquid()) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) q.set(k, v);
    if (liq) q.set("liquid", liq);
    q.set("t_from", $("t_from").value); q.set("t_to", $("t_to").value); q.set("t_step", $("t_step").value);
    return q.toString();
  }

  // -- predict ---------------------------------------------------------------------------
  async function predict(ev) {
    if (ev) ev.preventDefault();
    clearErrors();
    const f = readForm();
    if (!f.monomer_smiles) {
      showErrors({ detail: [{ loc: ["body", "monomer_smiles"], msg: "enter at least one matrix SMILES or name" }] });
      return;
    }
    let temps;
    try { temps = curveTemps(); } catch (e) { $("err-curve").textContent = e.message; return; }
    $("busy").textContent = "Predicting…";
    $("predict").disabled = true;
    try {
      const one = await postJSON("/predict?neighbours=5", f);
      const curveRows = temps.map(t => ({ ...f, temperature_C: t }));
      const [curve, structures] = await Promise.all([
        postJSON("/predict", curveRows),
        api(`/structures?monomer_smiles=${encodeURIComponent(f.monomer_smiles)}` +
            (f.crosslinker ? `&crosslinker=${encodeURIComponent(f.crosslinker)}` : "")).catch(() => null),
      ]);
      state.last = { formulation: f, liquid: liquid(), result: one, curve, structures };
      history.replaceState(null, "", "?" + toQuery(f));
      render(state.last);
      $("pin").disabled = false; $("share").disabled = false;
      $("busy").textContent = "";
    } catch (e) {
      $("busy").textContent = "";
      showErrors(e);
    } finally {
      $("predict").disabled = false;
    }
  }

  function crosslinked(f) {
    if (f.crosslink_type) return f.crosslink_type !== "none";
    return !!f.crosslinker && String(f.crosslinker).toLowerCase() !== "none";
  }

  function render({ formulation: f, result: r, curve, structures }) {
    $("result").hidden = false;
    $("result-title").textContent = describe(f, state.last.liquid);
    $("sigma-value").textContent = `${sci(r.sigma_S_cm_pred)} S/cm`;
    $("sigma-ms").textContent = isNum(r.sigma_S_cm_pred) ? `${sci(r.sigma_S_cm_pred * 1000)} mS/cm at ${f.temperature_C} °C` : "";
    $("sigma-interval").textContent = `90 % interval ${sci(pow10(r.log10_sigma_S_cm_lo))} – ${sci(pow10(r.log10_sigma_S_cm_hi))} S/cm`;
    $("esw-value").textContent = isNum(r.esw_V_pred) ? `${fix(r.esw_V_pred, 2)} V` : "not modelled";
    $("esw-interval").textContent = isNum(r.esw_V_pred) ? `90 % interval ${fix(r.esw_V_lo, 2)} – ${fix(r.esw_V_hi, 2)} V` : "";
    $("strength-value").textContent = isNum(r.strength_MPa_pred) ? `${fix(r.strength_MPa_pred, 1)} MPa` : "not modelled";
    $("strength-interval").textContent = isNum(r.strength_MPa_pred) ? `90 % interval ${fix(r.strength_MPa_lo, 1)} – ${fix(r.strength_MPa_hi, 1)} MPa` : "";
    renderTg(r, curve);
    drawCurve(curve);
    renderStructures(structures);
    renderTrust(f, r);
    renderNeighbours(r);
  }

  // Tg where the bundle has a Tg model (GET /model's "tg" has no "note"); hidden otherwise
  function renderTg(r, curve) {
    const has = !!(state.model && state.model.tg && !state.model.tg.note) && isNum(r.Tg_K_pred);
    $("card-tg").hidden = !has;
    $("curve-tg").textContent = "";
    if (!has) return;
    $("tg-value").textContent = `${fix(r.Tg_K_pred, 0)} K (${fix(r.Tg_K_pred - 273.15, 0)} °C)`;
    $("tg-interval").textContent = `90 % interval ${fix(r.Tg_K_lo, 0)} – ${fix(r.Tg_K_hi, 0)} K`;
    $("tg-note").textContent = "the polymer alone: salt raises it, plasticizer lowers it";
    const below = curve.filter(c => c.status === "ok" && isNum(c.T_minus_Tg_K) && c.T_minus_Tg_K < 0);
    $("curve-tg").textContent = below.length
      ? `Below the predicted Tg (glassy matrix): ${below.map(c => `${c.temperature_C} °C`).join(", ")}.`
      : `Every temperature of the curve is above the predicted Tg (${fix(r.Tg_K_pred - 273.15, 0)} °C).`;
  }

  function describe(f, liq) {
    const parts = [`matrix ${f.monomer_smiles}`];
    parts.push(`crosslinker ${f.crosslinker || "none"}`);
    if (f.filler) parts.push(`filler ${f.filler}${isNum(f.filler_wt_pct) ? ` ${f.filler_wt_pct} wt %` : ""}`);
    parts.push(`salt ${f.salt || "LiTFSI"}${isNum(f.salt_molality_mol_kg) ? ` ${f.salt_molality_mol_kg} mol/kg` : ""}`);
    if (f.plasticized) parts.push(liq ? `with ${liq} (plasticized)` : "plasticized");
    return parts.join(" · ") + ` · ${f.temperature_C} °C`;
  }

  function curveSeries(curve, label) {
    const ok = curve.filter(c => c.status === "ok");
    const arr = $("arrhenius").checked;
    const x = ok.map(c => arr ? 1000 / (c.temperature_C + 273.15) : c.temperature_C);
    return { x, y: ok.map(c => c.log10_sigma_S_cm_pred), lo: ok.map(c => c.log10_sigma_S_cm_lo),
      hi: ok.map(c => c.log10_sigma_S_cm_hi), label };
  }
  function curveOpts(legend) {
    const arr = $("arrhenius").checked;
    return { xlabel: arr ? "1000 / T (1/K)" : "temperature (°C)", ylabel: "log10 σ (S/cm)", legend };
  }
  function drawCurve(curve) {
    SpePlot.lines($("curve-plot"), [curveSeries(curve, "")], curveOpts(false));
  }

  function renderStructures(s) {
    const box = $("structures");
    box.innerHTML = "";
    if (!s) { box.textContent = "—"; return; }
    const items = [...s.matrix.map(m => ({ ...m, what: `${m.kind} of ${m.input}` })),
      ...s.crosslinkers.map(x => ({ ...x, what: `reacted ${x.input}` }))];
    for (const it of items) {
      const fig = document.createElement("figure");
      if (it.smiles) {
        fig.innerHTML = `<img class="mol" alt="structure of ${esc(it.smiles)}" src="${depictUrl(it.smiles)}">`;
      }
      fig.insertAdjacentHTML("beforeend", `<figcaption>${esc(it.what)}<br><code>${esc(it.smiles || "no structure (inorganic node)")}</code></figcaption>`);
      box.appendChild(fig);
    }
  }

  function renderTrust(f, r) {
    const t = (state.model && state.model.targets) || {};
    const items = [];
    items.push(`<p>Applicability: <span class="badge ${r.in_domain ? "in" : "out"}">${r.in_domain ? "in domain" : "out of domain"}</span>
      least familiar building block has Tanimoto ${fix(r.domain_similarity, 2)} to training, ${esc(r.unseen_fragments)} unseen fragments.</p>`);
    const warns = String(r.warnings || "").split("; ").filter(Boolean);
    if (warns.length) items.push(`<ul class="warnings">${warns.map(w => `<li>${esc(w)}</li>`).join("")}</ul>`);
    const rows = [];
    const xl = crosslinked(f);
    const s = t.log10_sigma_S_cm;
    if (s) {
      const known = isNum(r.domain_similarity) && r.domain_similarity >= 0.999;
      const m = known && s.curve_metrics && isNum(s.curve_metrics.mae) ? s.curve_metrics : s.metrics;
      const regime = known ? "new σ(T) curves of polymers in training" : "polymers held out (grouped by polymer and paper)";
      rows.push(["σ", s.n_labels, `MAE ${fix(m.mae, 2)} log10 units on ${regime}; mean baseline ${fix(s.baseline_metrics.mae, 2)}`]);
      if (xl && s.crosslinked_metrics && isNum(s.crosslinked_metrics.mae)) {
        const c = s.crosslinked_metrics;
        rows.push(["σ, crosslinked", c.n, `MAE ${fix(c.mae, 2)} on the crosslinked systems held out; their mean ${fix(c.baseline_mae, 2)}`]);
      }
    }
    for (const [key, name, unit] of [["esw_V", "window", "V"], ["strength_MPa", "strength", "log10 MPa"]]) {
      const v = t[key];
      if (v) rows.push([name, v.n_labels, `MAE ${fix(v.metrics.mae, 2)} ${unit}; mean baseline ${fix(v.baseline_metrics.mae, 2)}${v.beats_baseline ? "" : " (does not beat it)"}`]);
    }
    items.push(`<table><caption class="note">Training labels and cross-validated error for this regime</caption>
      <thead><tr><th>property</th><th class="num">training labels</th><th>cross-validated error</th></tr></thead>
      <tbody>${rows.map(r => `<tr><td>${esc(r[0])}</td><td class="num">${Number(r[1]).toLocaleString("en")}</td><td>${esc(r[2])}</td></tr>`).join("")}</tbody></table>`);
    $("trust").innerHTML = items.join("");
  }

  function renderNeighbours(r) {
    const n = r.neighbours || [];
    if (!n.length) { $("neighbours").innerHTML = `<p class="note">${esc(r.neighbours_note || "none")}</p>`; return; }
    const refs = [...new Set(n.map(x => x.reference))];
    $("neighbours").innerHTML = `<table id="neighbours-table"><thead><tr><th class="num">similarity</th><th>matrix</th><th>crosslinker</th>
      <th>salt</th><th class="num">molality</th><th class="num">T (°C)</th><th class="num">measured σ (S/cm)</th><th class="num">window (V)</th>
      <th class="num">strength (MPa)</th><th>source</th></tr></thead><tbody>${n.map(x => `<tr>
      <td class="num">${fix(x.similarity, 2)}</td><td class="smiles">${esc(x.monomer_smiles)}</td><td>${esc(x.crosslinker || "none")}</td>
      <td>${esc(x.salt)}</td><td class="num">${fix(x.salt_molality_mol_kg, 2)}</td><td class="num">${fix(x.temperature_C, 0)}</td>
      <td class="num">${sci(x.sigma_S_cm)}</td><td class="num">${fix(x.esw_V, 2)}</td><td class="num">${fix(x.strength_MPa, 1)}</td>
      <td>${esc(x.source)} <span class="note">${esc(x.record_id)}</span></td></tr>`).join("")}</tbody></table>
      <p class="note">Similarity: 0.6 × Tanimoto of the matrix + 0.25 × of the reacted crosslinkers + 0.15 if the salt is the same.
      Measured σ at the temperature nearest the query's. Sources: ${refs.map(esc).join("; ")}</p>`;
  }

  // -- compare ---------------------------------------------------------------------------
  function pin() {
    if (!state.last) return;
    const i = state.pins.length;
    state.pins.push({ ...state.last, label: `#${i + 1} ${state.last.formulation.monomer_smiles} + ${state.last.formulation.crosslinker || "none"}` });
    renderCompare();
    $("compare").scrollIntoView({ block: "start" });
  }
  function renderCompare() {
    const p = state.pins;
    $("compare-empty").hidden = p.length > 0;
    $("compare-plot").toggleAttribute("hidden", p.length === 0);  // an SVG element has no .hidden
    if (!p.length) { $("compare-table").innerHTML = ""; return; }
    $("compare-table").innerHTML = `<table id="compare-tbl"><thead><tr><th>pinned</th><th>formulation</th><th class="num">σ (S/cm)</th>
      <th class="num">σ 90 % interval</th><th class="num">window (V)</th><th class="num">strength (MPa)</th><th>domain</th><th></th></tr></thead>
      <tbody>${p.map((x, i) => `<tr><td>#${i + 1}</td><td>${esc(describe(x.formulation, x.liquid))}</td>
      <td class="num sigma">${sci(x.result.sigma_S_cm_pred)}</td>
      <td class="num">${sci(pow10(x.result.log10_sigma_S_cm_lo))} – ${sci(pow10(x.result.log10_sigma_S_cm_hi))}</td>
      <td class="num">${fix(x.result.esw_V_pred, 2)}</td><td class="num">${fix(x.result.strength_MPa_pred, 1)}</td>
      <td>${x.result.in_domain ? "in" : "out"} (${fix(x.result.domain_similarity, 2)})</td>
      <td><button type="button" data-unpin="${i}" aria-label="remove pinned #${i + 1}">Remove</button>
          <a href="?${esc(toQuery(x.formulation, x.liquid))}">link</a></td></tr>`).join("")}</tbody></table>`;
    document.querySelectorAll("[data-unpin]").forEach(b => b.addEventListener("click", () => {
      state.pins.splice(Number(b.dataset.unpin), 1); renderCompare();
    }));
    const short = (x, i) => {
      const f = x.formulation;
      let s = `#${i + 1} ${f.crosslinker || "no crosslinker"}`;
      if (f.filler) s += ` + ${f.filler}${isNum(f.filler_wt_pct) ? ` ${f.filler_wt_pct} %` : ""}`;
      if (f.plasticized) s += " (gel)";
      return s;
    };
    SpePlot.lines($("compare-plot"), p.map((x, i) => curveSeries(x.curve, short(x, i))), curveOpts(true));
  }

  // -- CSV batch ---------------------------------------------------------------------------
  function parseCSV(text) {
    const rows = []; let row = [], cell = "", q = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (q) {
        if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') q = false; else cell += c;
      } else if (c === '"') q = true;
      else if (c === ",") { row.push(cell); cell = ""; }
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        row.push(cell); rows.push(row); row = []; cell = "";
      } else cell += c;
    }
    if (cell !== "" || row.length) { row.push(cell); rows.push(row); }
    const [head, ...body] = rows;
    return (body || []).filter(r => r.length > 1 || r[0] !== "").map(r => Object.fromEntries(head.map((h, i) => [h, r[i]])));
  }
  async function runCSV() {
    const file = $("csv-file").files[0];
    $("csv-problems").innerHTML = ""; $("csv-download").hidden = true;
    if (!file) { $("csv-summary").textContent = "Choose a CSV file first."; return; }
    $("csv-summary").textContent = `Predicting ${file.name}…`;
    try {
      const text = await api("/predict.csv", { method: "POST", headers: { "Content-Type": "text/csv" }, body: file });
      const rows = parseCSV(text);
      const bad = rows.map((r, i) => ({ i: i + 1, r })).filter(x => x.r.status !== "ok");
      $("csv-summary").textContent = `${rows.length} rows: ${rows.length - bad.length} predicted, ${bad.length} with a status explaining why not.`;
      const a = $("csv-download");
      if (a.href) URL.revokeObjectURL(a.href);
      a.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
      a.hidden = false;
      if (bad.length) {
        $("csv-problems").innerHTML = `<table id="csv-bad"><thead><tr><th class="num">row</th><th>monomer_smiles</th><th>status</th></tr></thead>
          <tbody>${bad.map(x => `<tr><td class="num">${x.i}</td><td class="smiles">${esc(x.r.monomer_smiles)}</td><td class="status-bad">${esc(x.r.status)}</td></tr>`).join("")}</tbody></table>`;
      }
    } catch (e) {
      $("csv-summary").innerHTML = `<span class="status-bad">${esc(e.message)}</span>`;
    }
  }

  // -- screen results ----------------------------------------------------------------------
  async function loadScreens() {
    const list = await api("/screens").catch(() => []);
    $("screen-list").innerHTML = list.length ? `<p>Screens on this server: ${list.map(s =>
      `<button type="button" data-screen="${s.id}">${esc(s.name)}</button>`).join(" ")}</p>` : "";
    document.querySelectorAll("[data-screen]").forEach(b => b.addEventListener("click", async () => {
      const s = await api(`/screens/${b.dataset.screen}`);
      showScreen(s.name, s.pareto, s.top, s.summary);
    }));
  }
  async function openScreenFiles() {
    const files = [...$("screen-files").files];
    let pareto = [], top = [];
    try {
      for (const f of files) {
        const rows = await api("/table", { method: "POST", headers: { "Content-Type": "text/csv" }, body: f });
        if (/top/i.test(f.name)) top = rows; else pareto = rows;
      }
      showScreen(files.map(f => f.name).join(" + "), pareto.length ? pareto : top, top, null);
    } catch (e) {
      $("screen-view").hidden = false;
      $("screen-summary").innerHTML = `<span class="status-bad">${esc(e.message)}</span>`;
    }
  }
  function showScreen(name, pareto, top, summary) {
    state.screen = { pareto, top };
    $("screen-view").hidden = false;
    $("screen-title").textContent = `Pareto front of ${name} (${pareto.length} formulations)`;
    $("screen-summary").textContent = summary ? `${Number(summary.n_formulations || summary.rows || 0).toLocaleString("en")} formulations screened; ` +
      `objective ${summary.objective && summary.objective.name ? summary.objective.name : (summary.objective || "")}` : "";
    drawPareto();
    $("screen-top").innerHTML = top.length ? `<table id="top-table"><thead><tr><th class="num">rank</th><th>structure</th><th>formulation</th>
      <th class="num">σ (S/cm)</th><th class="num">window (V)</th><th class="num">strength (MPa)</th><th class="num">T (°C)</th><th>domain</th></tr></thead>
      <tbody>${top.slice(0, 20).map(r => `<tr><td class="num">${esc(r.rank)}</td>
      <td><img class="mol small" alt="structure of ${esc(r.monomer_smiles)}" loading="lazy" src="${depictUrl(r.monomer_smiles, 140, 90)}" onerror="this.remove()"></td>
      <td class="smiles">${esc(r.monomer_smiles)} × ${esc(r.crosslinker || "none")}${r.filler ? ` + ${esc(r.filler)} ${esc(r.filler_wt_pct || "")} wt %` : ""} · ${esc(r.salt || "")}</td>
      <td class="num">${sci(r.sigma_S_cm_pred)}</td><td class="num">${fix(r.esw_V_pred, 2)}</td><td class="num">${fix(r.strength_MPa_pred, 1)}</td>
      <td class="num">${fix(r.temperature_C, 0)}</td><td>${String(r.in_domain) === "true" ? "in" : "out"}</td></tr>`).join("")}</tbody></table>` : "";
  }
  function drawPareto() {
    const s = state.screen; if (!s) return;
    const yKey = $("screen-y").value, cKey = yKey === "esw_V_pred" ? "strength_MPa_pred" : "esw_V_pred";
    const cs = s.pareto.map(r => Number(r[cKey])).filter(isFinite);
    const cmin = Math.min(...cs), cmax = Math.max(...cs);
    const pts = s.pareto.map(r => ({ x: Math.log10(Number(r.sigma_S_cm_pred)), y: Number(r[yKey]),
      c: cmax > cmin ? (Number(r[cKey]) - cmin) / (cmax - cmin) : 0.5,
      label: `${r.monomer_smiles} × ${r.crosslinker || "none"}: σ ${sci(Number(r.sigma_S_cm_pred))} S/cm, window ${fix(Number(r.esw_V_pred), 2)} V, strength ${fix(Number(r.strength_MPa_pred), 1)} MPa` }));
    SpePlot.scatter($("pareto-plot"), pts, { xlabel: "log10 σ (S/cm)", ylabel: yKey === "esw_V_pred" ? "window (V)" : "strength (MPa)" }, i => {
      const r = s.pareto[i];
      $("pareto-detail").innerHTML = `<img class="mol small" alt="" src="${depictUrl(r.monomer_smiles, 140, 90)}" onerror="this.remove()">
        <span>${esc(pts[i].label)} (colour: ${cKey === "strength_MPa_pred" ? "strength" : "window"}, blue low → red high)</span>`;
    });
  }

  // -- structure editor (JSME, served from the package; loaded on first use) -----------------
  function toggleDraw() {
    const panel = $("jsme-panel"), open = panel.hidden;
    panel.hidden = !open;
    $("draw-toggle").setAttribute("aria-expanded", String(open));
    if (!open || state.jsme || state.jsmeLoading) return;
    state.jsmeLoading = true;
    $("jsme-note").textContent = "Loading the structure editor…";
    window.jsmeOnLoad = () => {
      state.jsme = new window.JSApplet.JSME("jsme-container", "460px", "340px", { options: "query,hydrogens" });
      const s = $("monomer_smiles").value.trim().split(".")[0];
      const ready = () => {
        $("jsme-note").textContent = "Draw the monomer; then use it. (Keyboard: type SMILES in the field above instead.)";
      };
      if (!s) { ready(); return; }
      try { state.jsme.readGenericMolecularInput(s); } catch (e) { ready(); return; /* a name, not a SMILES */ }
      // JSME builds its canvas on deferred commands: the molecule may arrive a moment later
      // (seen under load). Say "Draw" once it is there, or after 10 s whatever happened.
      let tries = 0;
      const wait = () => {
        if (state.jsme.smiles() || ++tries > 100) { ready(); return; }
        try { if (tries % 10 === 0) state.jsme.readGenericMolecularInput(s); } catch (e) { /* keep waiting */ }
        setTimeout(wait, 100);
      };
      wait();
    };
    const sc = document.createElement("script");
    sc.src = "/static/vendor/jsme/jsme.nocache.js";
    sc.onerror = () => {
      $("jsme-note").textContent = "The structure editor is not installed with this spepred (python -m spepred.web.vendor " +
        "fetches it from the npm registry). Type SMILES instead; the structures the model reads are drawn below the prediction.";
    };
    document.head.appendChild(sc);
  }
  function useDrawn(add) {
    if (!state.jsme) return;
    const s = state.jsme.smiles();
    if (!s) { $("jsme-note").textContent = "Nothing drawn yet: draw a structure first, then use it."; return; }
    const cur = $("monomer_smiles").value.trim();
    $("monomer_smiles").value = add && cur ? `${cur}.${s}` : s;
    $("monomer_smiles").focus();
  }

  // -- start -------------------------------------------------------------------------------
  async function loadChemicals() {
    const chems = await api("/chemicals").catch(() => []);
    const lists = { monomer: ["monomer", "polymer"], crosslinker: ["crosslinker"], salt: ["salt"], filler: ["filler"],
      liquid: ["solvent", "plasticizer", "ionic_liquid"] };
    for (const [list, roles] of Object.entries(lists)) {
      const dl = $("list-" + list), seen = new Set();
      for (const c of chems.filter(c => c.roles.some(r => roles.includes(r)))) {
        for (const name of [c.name, ...c.aliases]) {
          if (seen.has(name)) continue;
          seen.add(name);
          const o = document.createElement("option");
          o.value = name;
          o.label = name === c.name ? (c.full_name || c.name) : `${c.name} (${c.full_name || c.name})`;
          dl.appendChild(o);
        }
      }
    }
  }
  async function start() {
    $("form").addEventListener("submit", predict);
    $("liquid").addEventListener("input", () => { if (liquid()) $("plasticized").checked = true; });
    $("pin").addEventListener("click", pin);
    $("share").addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(location.href); $("busy").textContent = "Link copied."; }
      catch (e) { $("busy").textContent = `Link: ${location.href}`; }
    });
    $("arrhenius").addEventListener("change", () => { if (state.last) drawCurve(state.last.curve); renderCompare(); });
    $("csv-run").addEventListener("click", runCSV);
    $("screen-files").addEventListener("change", openScreenFiles);
    $("screen-y").addEventListener("change", drawPareto);
    $("draw-toggle").addEventListener("click", toggleDraw);
    $("jsme-use").addEventListener("click", () => useDrawn(false));
    $("jsme-add").addEventListener("click", () => useDrawn(true));
    api("/model").then(m => {
      state.model = m;
      const counts = Object.entries(m.targets).map(([k, v]) => `${Number(v.n_labels).toLocaleString("en")} ${k}`).join(", ");
      $("model-line").textContent = `Model ${m.model_version}, trained ${m.created_utc} on ${counts} labels.`;
      $("footer-model").textContent = `model ${m.model_version}`;
      if (state.last) renderTrust(state.last.formulation, state.last.result);
    }).catch(e => { $("model-line").textContent = `Model information unavailable: ${e.message}`; });
    loadChemicals();
    loadScreens();
    const q = new URLSearchParams(location.search);
    if (q.get("monomer_smiles")) {
      const f = {};
      for (const k of FIELDS) if (q.has(k)) f[k] = q.get(k);
      if (q.has("plasticized")) f.plasticized = q.get("plasticized");
      if (q.has("liquid")) f.liquid = q.get("liquid");
      fillForm(f);
      for (const k of ["t_from", "t_to", "t_step"]) if (q.has(k)) $(k).value = q.get(k);
      predict();
    }
  }
  document.addEventListener("DOMContentLoaded", start);
})();
