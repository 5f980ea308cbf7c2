#!/usr/bin/env python3
"""Checks that every code block of README.md marked `<!-- tested-in: FILE -->`
appears verbatim in FILE, whose own test runs it (the bindings' READMEs are
executed by their test suites), and that every README says what a message
proves (authenticated with its data key only) and links docs/SECURITY.md.
Exits non-zero naming each block or README that drifted.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PATTERN = re.compile(r"<!-- tested-in: (\S+) -->\n```(\w*)\n(.*?)```", re.S)


# Every README tells what a message proves and points to the security notes.
SECURITY_NOTE = "authenticated with its data key only"
SECURITY_LINK = "docs/SECURITY.md"
READMES = ["README.md", "bindings-python/README.md", "bindings-wasm/README.md", "bindings-c/README.md"]


def check_security_notes() -> int:
    failed = 0
    for name in READMES:
        text = " ".join((ROOT / name).read_text().split())
        for needle in (SECURITY_NOTE, SECURITY_LINK):
            if needle not in text:
                failed += 1
                print(f"check_readme: {name} does not say {needle!r}")
    return failed


def main() -> int:
    if check_security_notes():
        return 1
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
