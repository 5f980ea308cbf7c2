"""The one table `make bench` prints at the end: every goal of the
benchmarks with its measured value, from the JSON rows the bench scripts
leave in target/bench (core, messages, stream, records, and js when the
`bench-js` target ran). When the js rows are missing but BENCHMARKS.md has
a js section (`<!-- js:begin -->`), that section's table rows are shown
as they are. With `--write FILE`, the table also replaces the `summary`
section of that Markdown file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

ORDER = ["core", "messages", "stream", "records", "js"]


def rows_from_json():
    rows, missing = [], []
    names = ORDER + sorted(
        p.stem for p in common.RESULTS.glob("*.json") if p.stem not in ORDER
    )
    for name in names:
        path = common.RESULTS / f"{name}.json"
        if path.exists():
            rows += json.loads(path.read_text())
        else:
            missing.append(name)
    return rows, missing


def js_section_rows(markdown: Path):
    """The table rows of the js section, when it has no JSON of its own."""
    if not markdown.exists():
        return []
    text = markdown.read_text()
    begin, end = "<!-- js:begin -->", "<!-- js:end -->"
    if begin not in text or end not in text:
        return []
    section = text.split(begin, 1)[1].split(end, 1)[0]
    return [line for line in section.splitlines() if line.startswith("|")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path)
    parser.add_argument("--markdown", type=Path, default=common.ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    rows, missing = rows_from_json()
    lines = [
        "## Summary",
        "",
        "| area | workload | measured | goal | |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        met = row.get("met")
        mark = "" if met is None else common.verdict(bool(met))
        lines.append(
            f"| {row['area']} | {row['workload']} | {row['value']} | {row.get('goal', '')} | {mark} |"
        )
    if "js" in missing:
        js_rows = js_section_rows(args.markdown)
        if js_rows:
            lines += ["", "From the js section (`make bench-js`):", ""] + js_rows
            missing.remove("js")
    if missing:
        lines += ["", "Not run in this pass: " + ", ".join(missing) + "."]
    lines.append("")
    text = "\n".join(lines)
    print(text)
    if args.write:
        common.write_section(args.write, "summary", text)


if __name__ == "__main__":
    main()
