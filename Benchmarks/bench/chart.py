"""chart.svg: each engine's median run time relative to native, per workload and the geometric
mean, as grouped bars on a log scale."""

from __future__ import annotations

import math
from pathlib import Path

from .common import COLUMNS, LABELS, geomean, ratio

COLORS = {"native": "#7f7f7f", "wasm2c": "#1f77b4", "wasmtime": "#2ca02c", "wasmaot": "#d62728",
          "checked": "#ff9896",
          "wasmkit": "#9467bd"}


def write_chart(path, doc):
    """Grouped bars: each engine's median time / native median, log scale."""
    results = doc["workloads"]
    engines = [c for c in COLUMNS if c != "native"
               and any(ratio(r, c, "native") is not None for r in results.values())]
    groups = list(results.keys())
    series = {c: [ratio(results[n], c, "native") for n in groups] for c in engines}
    groups.append("geomean")
    for c in engines:
        series[c].append(geomean(series[c]))
    values = [v for c in engines for v in series[c] if v]
    if not values:
        Path(path).write_text('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="60">'
                              '<text x="10" y="30">no data</text></svg>\n')
        return
    lo = math.log10(min(0.5, min(values) * 0.8))
    hi = math.log10(max(2.0, max(values) * 1.25))
    left, right, top, bottom = 70, 20, 60, 85
    bar_w, gap = 11, 14
    group_w = bar_w * max(1, len(engines)) + gap
    width = max(640, left + right + group_w * len(groups))
    height = 440
    plot_h = height - top - bottom

    def y_of(v):
        return top + plot_h * (hi - math.log10(v)) / (hi - lo)

    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
         f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
         f'<rect width="{width}" height="{height}" fill="white"/>',
         f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">'
         'Run time relative to native (median, log scale; lower is faster)</text>']
    # grid lines at 1, 2, 5 x 10^k
    for e in range(math.floor(lo), math.ceil(hi) + 1):
        for m in (1, 2, 5):
            v = m * 10.0 ** e
            if not lo <= math.log10(v) <= hi:
                continue
            y = y_of(v)
            strong = m == 1
            s.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
                     f'stroke="{"#bbb" if strong else "#e5e5e5"}"/>')
            label = f"{v:g}×"
            s.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    y1 = y_of(1.0)
    s.append(f'<line x1="{left}" y1="{y1:.1f}" x2="{width - right}" y2="{y1:.1f}" '
             f'stroke="{COLORS["native"]}" stroke-width="1.5" stroke-dasharray="4 3"/>')
    base_y = top + plot_h
    for gi, name in enumerate(groups):
        x0 = left + gi * group_w + gap / 2
        for ei, c in enumerate(engines):
            v = series[c][gi]
            if not v:
                continue
            x = x0 + ei * bar_w
            yv = y_of(v)  # bars grow from the native line: up = slower, down = faster
            y_top, y_bot = min(yv, y1), max(yv, y1)
            s.append(f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar_w - 1}" '
                     f'height="{max(0.5, y_bot - y_top):.1f}" fill="{COLORS[c]}">'
                     f'<title>{name} {LABELS[c]}: {v:.2f}× native</title></rect>')
        cx = x0 + bar_w * len(engines) / 2
        weight = ' font-weight="bold"' if name == "geomean" else ""
        s.append(f'<text x="{cx:.1f}" y="{base_y + 12}" text-anchor="end"{weight} '
                 f'transform="rotate(-45 {cx:.1f} {base_y + 12})">{name}</text>')
    s.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{base_y}" stroke="#333"/>')
    mid_y = top + plot_h / 2
    s.append(f'<text x="16" y="{mid_y:.1f}" text-anchor="middle" '
             f'transform="rotate(-90 16 {mid_y:.1f})">time / native time</text>')
    s.append(f'<line x1="{left}" y1="{base_y}" x2="{width - right}" y2="{base_y}" stroke="#333"/>')
    # legend
    lx = left
    for c in ["native"] + engines:
        if c == "native":
            s.append(f'<line x1="{lx}" y1="40" x2="{lx + 14}" y2="40" stroke="{COLORS[c]}" '
                     'stroke-width="1.5" stroke-dasharray="4 3"/>')
        else:
            s.append(f'<rect x="{lx}" y="34" width="14" height="12" fill="{COLORS[c]}"/>')
        s.append(f'<text x="{lx + 18}" y="44">{LABELS[c]}{" = 1×" if c == "native" else ""}</text>')
        lx += 30 + 7 * len(LABELS[c]) + (30 if c == "native" else 0)
    missing = [LABELS[c] for c in COLUMNS if c != "native" and c not in engines]
    if missing:
        s.append(f'<text x="{width - right}" y="44" text-anchor="end" fill="#b00">'
                 f'not measured: {", ".join(missing)}</text>')
    s.append("</svg>")
    Path(path).write_text("\n".join(s) + "\n")
