#!/usr/bin/env python3
"""Runs the demo (demo/run_demo.py, with the repository venv's Python; build it
first with `make demo-build`) and checks that the recording in README.md, the
```text block after `<!-- demo-output -->`, is its real output modulo what
changes from run to run: key ids, the server's port and timings.

    check_demo_output.py [--update] [run_demo.py options]

--update rewrites the README's recording with this run's output. Exits 1 if
the demo fails or the recording drifted (with a diff of the normalised lines).
"""

import difflib
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
PYTHON = ROOT / ".venv" / "bin" / "python"
BLOCK = re.compile(r"(<!-- demo-output -->\n```text\n)(.*?)(```)", re.S)
VARIABLE = [
    (re.compile(r"mrk-[0-9a-f-]+"), "mrk-<id>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r"\b\d+\.\d+ s\b"), "<t> s"),
]


def normalise(text: str) -> list:
    lines = []
    for line in text.rstrip("\n").splitlines():
        for pattern, replacement in VARIABLE:
            line = pattern.sub(replacement, line)
        lines.append(line.rstrip())
    return lines


def main(argv: list) -> int:
    update = "--update" in argv
    demo_args = [a for a in argv if a != "--update"]
    proc = subprocess.run([str(PYTHON), str(ROOT / "demo" / "run_demo.py"), *demo_args],
                          capture_output=True, text=True, timeout=300)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        print(f"check_demo_output: the demo exited with status {proc.returncode}")
        return 1
    readme = README.read_text()
    match = BLOCK.search(readme)
    if not match:
        print("check_demo_output: README.md has no ```text block after <!-- demo-output -->")
        return 1
    if update:
        README.write_text(readme[:match.start(2)] + proc.stdout + readme[match.end(2):])
        print("check_demo_output: README.md's recording updated")
        return 0
    recorded, actual = normalise(match.group(2)), normalise(proc.stdout)
    if recorded != actual:
        sys.stdout.writelines(line + "\n" for line in difflib.unified_diff(
            recorded, actual, "README.md (recording)", "demo output", lineterm=""))
        print("check_demo_output: README.md's recording of the demo drifted: "
              "run `python3 tests/scripts/check_demo_output.py --update` and commit")
        return 1
    print(f"check_demo_output: README.md's recording matches the demo ({len(actual)} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
