"""A backtest as one self-contained HTML page: the numbers as tables, and charts drawn by
Chart.js (MIT; ``vendor/chart.umd.min.js``, inlined, so the page needs no network).

The result's JSON is embedded as ``<script type="application/json" id="backtest-data">``: the
charts are drawn from it, and tools (and tests) can read it back. Every drawn chart is kept in
``window.scoredslCharts`` by the id of its canvas.
"""

from __future__ import annotations

import html
import json
from importlib import resources

from scoredsl.backtest.metrics import Result
from scoredsl.backtest.report import interval, num, pct

CHARTS = ("gain", "lift", "roc", "bands", "tiers", "distribution")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:70rem;color:#1d2330;
padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde1e8;padding-bottom:.3rem}
.meta{color:#5b6475}.big{font-size:1.3rem;font-weight:600}
table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{padding:.25rem .7rem;border-bottom:1px solid #eceef2;
text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f5f6f8}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(28rem,1fr));gap:1.5rem}
.chart{position:relative;height:20rem}.warn{color:#a4461b}
"""

_SCRIPT = r"""
(function () {
  const data = JSON.parse(document.getElementById("backtest-data").textContent);
  const charts = window.scoredslCharts = {};
  const pct = v => v == null ? null : Math.round(v * 1000) / 10;
  const axis = (title, max) => ({title: {display: true, text: title}, min: 0, max: max});
  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    config.options = Object.assign({responsive: true, maintainAspectRatio: false, animation: false},
                                   config.options || {});
    charts[id] = new Chart(canvas, config);
  }
  const curve = points => points.map(p => ({x: pct(p[0]), y: pct(p[1])}));
  draw("gain", {type: "line", data: {datasets: [
      {label: "model", data: curve(data.gain), borderColor: "#2f6fdf", pointRadius: 0},
      {label: "random order", data: [{x: 0, y: 0}, {x: 100, y: 100}], borderColor: "#9aa3b2",
       borderDash: [5, 5], pointRadius: 0}]},
    options: {parsing: false, scales: {x: Object.assign({type: "linear"}, axis("% of contacts called, highest score first", 100)),
                                       y: axis("% of converters found", 100)}}});
  const lift = data.gain.filter(p => p[0] > 0).map(p => ({x: pct(p[0]), y: p[1] / p[0]}));
  draw("lift", {type: "line", data: {datasets: [
      {label: "model: converters found / contacts called", data: lift, borderColor: "#2f6fdf", pointRadius: 0},
      {label: "random order", data: [{x: 0, y: 1}, {x: 100, y: 1}], borderColor: "#9aa3b2", borderDash: [5, 5],
       pointRadius: 0}]},
    options: {parsing: false, scales: {x: Object.assign({type: "linear"}, axis("% of contacts called, highest score first", 100)),
                                       y: {title: {display: true, text: "lift (x the base rate)"}, min: 0}}}});
  draw("roc", {type: "line", data: {datasets: [
      {label: "model (AUC " + (data.auc.value == null ? "-" : data.auc.value.toFixed(3)) + ")",
       data: curve(data.roc), borderColor: "#2f6fdf", pointRadius: 0},
      {label: "chance", data: [{x: 0, y: 0}, {x: 100, y: 100}], borderColor: "#9aa3b2", borderDash: [5, 5],
       pointRadius: 0}]},
    options: {parsing: false, scales: {x: Object.assign({type: "linear"}, axis("% of non-converters above the threshold", 100)),
                                       y: axis("% of converters above the threshold", 100)}}});
  const bands = data.bands.slice().reverse();
  draw("bands", {type: "bar", data: {labels: bands.map(b => b.label), datasets: [
      {label: "conversion rate %", data: bands.map(b => pct(b.rate.value)), backgroundColor: "#2f6fdf"},
      {label: "base rate %", type: "line", data: bands.map(() => pct(data.base_rate.value)),
       borderColor: "#a4461b", pointRadius: 0}]},
    options: {scales: {x: {title: {display: true, text: "score band of " + data.score}},
                       y: axis("% converted within the window")}}});
  const tierNames = Object.keys(data.tiers);
  if (tierNames.length) {
    const rows = data.tiers[tierNames[0]];
    draw("tiers", {type: "bar", data: {labels: rows.map(r => r.label), datasets: [
        {label: "conversion rate % (tier " + tierNames[0] + ")", data: rows.map(r => pct(r.rate.value)),
         backgroundColor: "#3c9d6e"}]},
      options: {scales: {y: axis("% converted within the window")}}});
  }
  const d = data.distribution;
  const mids = d.edges.slice(0, -1).map((e, i) => (e + d.edges[i + 1]) / 2);
  draw("distribution", {type: "bar", data: {labels: d.edges.slice(0, -1).map(String), datasets: [
      {label: "converters", data: d.converters.map(pct), backgroundColor: "rgba(47,111,223,0.7)"},
      {label: "the rest", data: d.others.map(pct), backgroundColor: "rgba(154,163,178,0.7)"}]},
    options: {scales: {x: {title: {display: true, text: data.score + " (bin start)"}},
                       y: axis("% of the group")}}});
  document.body.dataset.charts = Object.keys(charts).length;
})();
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _chart_js() -> str:
    return resources.files("scoredsl.backtest").joinpath("vendor/chart.umd.min.js").read_text(encoding="utf-8")


def _table(header: list[str], rows: list[list[str]], numeric: set[int]) -> str:
    out = ["<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td class=\"n\">{_e(c)}</td>" if i in numeric else f"<td>{_e(c)}</td>"
                                    for i, c in enumerate(row)) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _times(value) -> str:
    return "-" if value is None else f"{value:.2f}x"


def render_html(result: Result) -> str:
    r = result
    title = f"scoredsl backtest: model {r.model}"
    span = f"{r.as_ofs[0]} to {r.as_ofs[-1]}" if r.as_ofs else "-"
    body = [f"<h1>{_e(title)}</h1>",
            f"<p class=\"meta\">model version {_e(r.version)} · contacts ranked by <code>{_e(r.score)}</code> · "
            f"{len(r.as_ofs)} as-of instants, {_e(span)} · converted = {_e(' or '.join(r.converting))} within "
            f"{r.window_days:g} days</p>",
            f"<p class=\"big\" id=\"auc\">AUC {_e(interval(r.auc, num))}</p>",
            f"<p>{r.observations:,} observations of {r.contacts:,} contacts; {r.converters:,} converted; "
            f"base rate {_e(interval(r.base_rate))}."
            + (f" Intervals: 95%, {r.bootstrap} bootstrap samples of contacts." if r.bootstrap else "") + "</p>"]
    body.append("<div class=\"grid\">")
    for chart, caption in (("gain", "Gain: converters found by calling the top contacts first"),
                           ("lift", "Lift: how much better than calling at random"), ("roc", "ROC"), ("bands", "Conversion rate per score band"),
                           ("tiers", "Conversion rate per tier label"),
                           ("distribution", "Scores of converters and of the rest")):
        if chart == "tiers" and not r.tiers:
            continue
        body.append(f"<figure><figcaption>{_e(caption)}</figcaption><div class=\"chart\">"
                    f"<canvas id=\"{chart}\" role=\"img\" aria-label=\"{_e(caption)}\"></canvas></div></figure>")
    body.append("</div>")
    if r.at_k:
        body.append("<h2>Top k of each as-of</h2>")
        body.append(_table(["k", "precision", "recall"],
                           [[f"{a.k:,}", interval(a.precision), interval(a.recall)] for a in r.at_k], {0}))
    for name, rows in r.tiers.items():
        body.append(f"<h2>Tier {_e(name)}</h2>")
        body.append(_table(["label", "observations", "converted", "rate", "lift"],
                           [[x.label, f"{x.observations:,}", f"{x.converters:,}", interval(x.rate),
                             interval(x.lift, _times)] for x in rows], {1, 2}))
    if r.bands:
        body.append(f"<h2>Score bands of {_e(r.score)}</h2>")
        rows = [[b.label, f"{b.observations:,}", f"{b.converters:,}", interval(b.rate), interval(b.lift, _times),
                 pct(b.share, 0), pct(b.gain, 0)] for b in r.bands]
        if r.unscored is not None:
            u = r.unscored
            rows.append([u.label, f"{u.observations:,}", f"{u.converters:,}", interval(u.rate),
                         interval(u.lift, _times), "", ""])
        body.append(_table(["score", "observations", "converted", "rate", "lift", "contacts at or above",
                            "converters at or above"], rows, {1, 2, 5, 6}))
        body += [f"<p class=\"warn\">{_e(note)}</p>" for note in r.calibration]
    if r.rules:
        body.append("<h2>Rules: which earn their points</h2>")
        body.append(_table(["rule", "fired", "converted", "rate when fired", "rate otherwise", "relative risk",
                            "verdict"],
                           [[f"{e.score}.{e.name} {e.sign}", f"{e.fired:,}", f"{e.converters:,}", pct(e.rate_fired),
                             pct(e.rate_not), interval(e.relative_risk, _times), e.verdict] for e in r.rules],
                           {1, 2}))
    if r.suggestions:
        body.append("<h2>Thresholds (suggestions; the model is not changed)</h2>")
        body.append(_table(["goal", "threshold", "per as-of", "precision", "recall"],
                           [[s.goal, "none" if s.threshold is None else f">= {s.threshold:g}",
                             f"{s.per_instant:,.1f}", pct(s.precision), pct(s.recall)] for s in r.suggestions], {2}))
    data = json.dumps(r.to_json(), ensure_ascii=False).replace("<", "\\u003c")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
            f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body)
            + f"\n<script type=\"application/json\" id=\"backtest-data\">{data}</script>\n"
            + f"<script>{_chart_js()}</script>\n<script>{_SCRIPT}</script>\n</body>\n</html>\n")
