"""Benchmark chapter 1's explorer: redraw time per frame, HTML twin build time and size.

Run: ``.venv/bin/python benchmarks/bench_widgets.py`` (a script, not a test). A live slider
move costs one redraw (draw + render to SVG); the book build costs one twin build per explorer.
Target: a redraw well under 100 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from qkv_lib import widgets
from qkv_lib.plotting import course_style, figure_to_svg, gzipped_size


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:8.1f} ms"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=0, help="time only this many frames")
    args = parser.parse_args(argv)

    explorer = widgets.query_explorer()
    explorer.frame()  # warm-up: imports, font cache
    grid = list(explorer.grid())
    if args.frames:
        grid = grid[: args.frames]

    draw_times, svg_times, frame_times = [], [], []
    for values in grid:
        start = time.perf_counter()
        fig = explorer.render(**values)
        drawn = time.perf_counter()
        with course_style():
            figure_to_svg(fig)
        draw_times.append(drawn - start)
        svg_times.append(time.perf_counter() - drawn)

    fresh = widgets.query_explorer()  # empty cache: what a slider move costs live
    for values in grid:
        start = time.perf_counter()
        fresh.frame(**values)
        frame_times.append(time.perf_counter() - start)

    start = time.perf_counter()
    html = widgets.query_explorer().to_html()
    twin_time = time.perf_counter() - start

    start = time.perf_counter()
    bundle = widgets.query_explorer()._repr_mimebundle_()
    bundle_time = time.perf_counter() - start

    rows = [
        ("frames in the grid", f"{explorer.n_frames:>11d}"),
        ("frames timed", f"{len(grid):>11d}"),
        ("draw (Figure), median", _ms(statistics.median(draw_times))),
        ("render to SVG, median", _ms(statistics.median(svg_times))),
        ("redraw = frame(), median", _ms(statistics.median(frame_times))),
        ("redraw = frame(), 90th percentile", _ms(statistics.quantiles(frame_times, n=10)[-1])),
        ("redraw = frame(), max", _ms(max(frame_times))),
        ("HTML twin build (all frames)", _ms(twin_time)),
        ("mime bundle (headless)", _ms(bundle_time)),
        ("HTML twin size, raw", f"{len(html.encode()) / 1e6:8.2f} MB"),
        ("HTML twin size, gzipped", f"{gzipped_size(html) / 1e6:8.2f} MB"),
        ("mime types", " ".join(sorted(bundle))),
        ("load average (1 min, other jobs)", f"{os.getloadavg()[0]:11.2f}"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'query_explorer()':<{width}}  value")
    print("-" * (width + 14))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
