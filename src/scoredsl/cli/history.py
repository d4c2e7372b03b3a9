"""``scoredsl history``: what the state store remembers, for one contact or one model."""

from __future__ import annotations

import html
import json

import click

from scoredsl.cli.options import EXIT_FINDINGS, Failure, handle_errors
from scoredsl.cli.sources import config_option, load_config, open_state
from scoredsl.data.records import from_epoch_micros
from scoredsl.data.sinks import AtomicFile
from scoredsl.data.values import format_datetime

SPARKS = "▁▂▃▄▅▆▇█"


@click.command()
@click.option("--contact", "contact_id", metavar="ID", help="One contact: its scores and tiers run by run.")
@click.option("--model", "model", metavar="NAME", help="One model: tier counts and transitions run by run "
                                                      "(with --contact: only this model's records).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--html", "html_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="With --model: also write a page with a chart per tier.")
@click.option("--state", "state_path", metavar="FILE|URL",
              help="The state store (default: as scoredsl run finds it).")
@config_option
@handle_errors
def history(contact_id, model, fmt, html_path, state_path, config_path):
    """Show a contact's scores and tiers over the recorded runs, or a model's tier counts and
    transitions run by run."""
    if contact_id is None and model is None:
        raise Failure("say what to show: --contact ID, or --model NAME")
    if html_path and (model is None or contact_id is not None):
        raise Failure("--html draws a model's history: give --model NAME without --contact")
    config = load_config(config_path)
    store = open_state(config, state_path, False, [], create=False)
    if store is None:
        raise Failure("no state store: nothing has been recorded yet (see docs/state.md)", EXIT_FINDINGS)
    try:
        if contact_id is not None:
            _contact(store, contact_id, model, fmt)
        else:
            _model(store, model, fmt, html_path)
    finally:
        store.close()


def _when(as_of: int) -> str:
    return format_datetime(from_epoch_micros(as_of))


def sparkline(values) -> str:
    """One character per value, from ▁ (the least) to █ (the most); a space where missing."""
    present = [v for v in values if v is not None]
    if not present:
        return ""
    low, high = min(present), max(present)
    span = high - low
    return "".join(" " if v is None else SPARKS[0 if span == 0 else round((v - low) * 7 / span)] for v in values)


# ------------------------------------------------------------------ one contact

def _contact(store, contact_id: str, model: str | None, fmt: str) -> None:
    records = store.history(contact_id, model)
    if not records:
        raise Failure(f"no record of contact '{contact_id}'" + (f" in model {model}" if model else ""),
                      EXIT_FINDINGS)
    if fmt == "json":
        click.echo(json.dumps([{**r, "as_of": _when(r["as_of"])} for r in records], indent=2, ensure_ascii=False))
        return
    by_model: dict[str, list] = {}
    for record in records:
        by_model.setdefault(record["model"], []).append(record)
    blocks = []
    for name, rows in by_model.items():
        scores = list(dict.fromkeys(s for r in rows for s in r["scores"]))
        tiers = list(dict.fromkeys(t for r in rows for t in r["tiers"]))
        header = ["as_of", "status", *scores, *tiers]
        table = [header]
        for r in rows:
            status = r["status"] + (f" ({r['reason']})" if r["reason"] else "")
            table.append([_when(r["as_of"]), status, *(_cell(r["scores"].get(s)) for s in scores),
                          *(_cell(r["tiers"].get(t)) for t in tiers)])
        lines = [f"contact {contact_id} · model {name} · {len(rows)} run{'s' if len(rows) != 1 else ''}"]
        lines += _aligned(table)
        for s in scores:
            values = [r["scores"].get(s) if r["status"] == "scored" else None for r in rows]
            lines.append(f"  {s}: {sparkline(values)}  ({_range(values)})")
        for t in tiers:
            moves = _moves([r["tiers"].get(t) for r in rows])
            lines.append(f"  {t}: {moves}")
        blocks.append("\n".join(lines))
    click.echo("\n\n".join(blocks))


def _cell(value) -> str:
    return "" if value is None else str(value)


def _range(values) -> str:
    present = [v for v in values if v is not None]
    return f"{min(present)} to {max(present)}" if present else "never scored"


def _moves(labels) -> str:
    """``lead → MQL → SQL``: the labels in order, each change once."""
    path = []
    for label in labels:
        shown = label if label is not None else "(none)"
        if not path or path[-1] != shown:
            path.append(shown)
    return " → ".join(path)


def _aligned(table) -> list[str]:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    out = []
    for index, row in enumerate(table):
        out.append("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if index == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    return out


# ------------------------------------------------------------------ one model

def _model(store, model: str, fmt: str, html_path: str | None) -> None:
    counts = store.tier_counts(model)
    if not counts:
        raise Failure(f"no recorded run of model {model}", EXIT_FINDINGS)
    moves = store.transition_counts(model)
    runs = {r["as_of"]: r for r in store.runs(model)}
    tiers = list(dict.fromkeys(t for c in counts.values() for t in c["tiers"]))
    labels = {t: list(dict.fromkeys(label for c in counts.values() for label in c["tiers"].get(t, {})))
              for t in tiers}
    if fmt == "json":
        click.echo(json.dumps({"model": model, "runs": [
            {"as_of": _when(as_of), "run_id": runs.get(as_of, {}).get("run_id"), "statuses": c["statuses"],
             "tiers": c["tiers"],
             "transitions": [{"tier": t, "from": a, "to": b, "count": n}
                             for (t, a, b), n in sorted(moves.get(as_of, {}).items(), key=_order)]}
            for as_of, c in counts.items()]}, indent=2, ensure_ascii=False))
    else:
        for tier in tiers:
            header = ["as_of", *labels[tier], "transitions"]
            table = [header]
            for as_of, c in counts.items():
                here = c["tiers"].get(tier, {})
                moved = sum(n for (t, _a, _b), n in moves.get(as_of, {}).items() if t == tier)
                table.append([_when(as_of), *(f"{here.get(label, 0):,}" for label in labels[tier]),
                              f"{moved:,}" if as_of in moves or runs else "-"])
            click.echo(f"model {model} · tier {tier} · {len(counts)} run{'s' if len(counts) != 1 else ''}")
            click.echo("\n".join(_aligned(table)))
            for label in labels[tier]:
                series = [c["tiers"].get(tier, {}).get(label, 0) for c in counts.values()]
                click.echo(f"  {label}: {sparkline(series)}")
            click.echo("")
    if html_path:
        page = model_page(model, counts, moves, tiers, labels)
        try:
            out = AtomicFile(html_path)
            try:
                out.file.write(page)
                out.commit()
            except BaseException:
                out.abort()
                raise
        except OSError as exc:
            raise Failure(f"cannot write {html_path}: {exc.strerror or exc}") from None
        click.echo(f"wrote {html_path}", err=True)


def _order(item):
    (tier, old, new), n = item
    return (tier, old or "", new or "")


COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#be185d", "#4b5563"]


def model_page(model: str, counts: dict, moves: dict, tiers: list, labels: dict) -> str:
    """A self-contained page: per tier, a line chart (inline SVG) of each label's count per run,
    and a table of the transitions. No script, no outside file."""
    when = [_when(a) for a in counts]
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>scoredsl history: "
             f"{html.escape(model)}</title><style>body{{font-family:system-ui,sans-serif;margin:2em;color:#111}}"
             "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;"
             "text-align:right}th{background:#f3f4f6}td:first-child,th:first-child{text-align:left}"
             "svg{background:#fafafa;border:1px solid #ddd}</style></head><body>",
             f"<h1>Model {html.escape(model)}: {len(counts)} recorded run{'s' if len(counts) != 1 else ''}</h1>"]
    for tier in tiers:
        series = {label: [counts[a]["tiers"].get(tier, {}).get(label, 0) for a in counts] for label in labels[tier]}
        parts.append(f"<h2>Tier {html.escape(tier)}</h2>")
        parts.append(_chart(tier, when, series))
        rows = "".join(f"<tr><td>{w}</td>" + "".join(f"<td>{series[label][i]:,}</td>" for label in labels[tier])
                       + f"<td>{sum(n for (t, _a, _b), n in moves.get(a, {}).items() if t == tier):,}</td></tr>"
                       for i, (a, w) in enumerate(zip(counts, when)))
        head = "".join(f"<th>{html.escape(label)}</th>" for label in labels[tier])
        parts.append(f"<table class='counts' data-tier='{html.escape(tier)}'><tr><th>as of</th>{head}"
                     f"<th>transitions</th></tr>{rows}</table>")
        changes = [(a, k, n) for a in counts for k, n in sorted(moves.get(a, {}).items(), key=_order) if k[0] == tier]
        if changes:
            body = "".join(f"<tr><td>{_when(a)}</td><td>{html.escape(old or '(none)')}</td>"
                           f"<td>{html.escape(new or '(none)')}</td><td>{n:,}</td></tr>"
                           for a, (_t, old, new), n in changes)
            parts.append(f"<table class='transitions' data-tier='{html.escape(tier)}'><tr><th>as of</th>"
                         f"<th>from</th><th>to</th><th>contacts</th></tr>{body}</table>")
    parts.append("</body></html>\n")
    return "".join(parts)


def _chart(tier: str, when: list[str], series: dict[str, list[int]]) -> str:
    width, height, pad = 640, 240, 40
    top = max([v for values in series.values() for v in values] + [1])
    steps = max(len(when) - 1, 1)

    def x(i):
        return pad + (width - 2 * pad) * i / steps

    def y(v):
        return height - pad - (height - 2 * pad) * v / top

    out = [f"<svg class='chart' data-tier='{html.escape(tier)}' width='{width}' height='{height}' "
           f"viewBox='0 0 {width} {height}' role='img' aria-label='{html.escape(tier)} per run'>",
           f"<line x1='{pad}' y1='{height - pad}' x2='{width - pad}' y2='{height - pad}' stroke='#999'/>",
           f"<text x='4' y='{pad}' font-size='11'>{top:,}</text>",
           f"<text x='{pad}' y='{height - 8}' font-size='11'>{when[0][:10]}</text>",
           f"<text x='{width - pad}' y='{height - 8}' font-size='11' text-anchor='end'>{when[-1][:10]}</text>"]
    for n, (label, values) in enumerate(series.items()):
        colour = COLOURS[n % len(COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        out.append(f"<polyline class='series' data-label='{html.escape(label)}' fill='none' stroke='{colour}' "
                   f"stroke-width='2' points='{points}'/>")
        out.append(f"<text x='{width - pad + 4}' y='{y(values[-1]):.1f}' font-size='11' fill='{colour}'>"
                   f"{html.escape(label)}</text>")
    out.append("</svg>")
    return "".join(out)
