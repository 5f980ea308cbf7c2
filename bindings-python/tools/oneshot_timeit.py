"""One-shot encrypt + decrypt timings of the installed mrkenv (raw AES keyring).

    python tools/oneshot_timeit.py [--repeat N]

Prints, for 1 KiB and 64 MiB plaintexts, the best of N runs (timeit) of
``encrypt`` and ``decrypt`` alone and of the pair: messages/s at 1 KiB, MB/s
at 64 MiB. Run it with two installs (before/after a change) on the same
machine, interleaved, and compare ratios; absolute numbers on a shared
machine are noise. ``make bench`` is the full comparison with the peers.
"""

from __future__ import annotations

import argparse
import timeit

import mrkenv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    keyring = mrkenv.RawAesKeyring("bench", "key", bytes(range(32)))
    for label, size, number in (("1 KiB", 1024, 2000), ("64 MiB", 64 << 20, 1)):
        plaintext = bytes(size)
        message = mrkenv.encrypt(plaintext, keyring)
        assert mrkenv.decrypt(message, keyring) == plaintext
        timings = {
            "encrypt": lambda: mrkenv.encrypt(plaintext, keyring),
            "decrypt": lambda: mrkenv.decrypt(message, keyring),
            "encrypt+decrypt": lambda: mrkenv.decrypt(mrkenv.encrypt(plaintext, keyring), keyring),
        }
        for name, fn in timings.items():
            best = min(timeit.repeat(fn, number=number, repeat=args.repeat)) / number
            if size <= 4096:
                print(f"{label:>6} {name:<16} {1 / best:12,.0f} msg/s  ({best * 1e6:8.2f} us)")
            else:
                print(f"{label:>6} {name:<16} {size / best / 1e6:12,.0f} MB/s   ({best * 1e3:8.2f} ms)")


if __name__ == "__main__":
    main()
