#!/usr/bin/env python3
"""Checks that every code block of README.md marked `<!-- tested-in: FILE -->`
appears verbatim in FILE, whose own test runs it (the bindings' READMEs are
executed by their test suites). Exits non-zero naming each block that drifted.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PATTERN = re.compile(r"<!-- tested-in: (\S+) -->\n```(\w*)\n(.*?)```", re.S)


def main() -> int:
    readme = (ROOT / "README.md").read_text()
    blocks = PATTERN.findall(readme)
    if not blocks:
        print("check_readme: no tested-in blocks found in README.md")
        return 1
    failed = 0
    for source, lang, code in blocks:
        tested = (ROOT / source).read_text()
        if code not in tested:
            failed += 1
            first = code.strip().splitlines()[0] if code.strip() else "(empty)"
            print(f"check_readme: README.md {lang} block starting {first!r} is not in {source}")
    print(f"check_readme: {len(blocks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
