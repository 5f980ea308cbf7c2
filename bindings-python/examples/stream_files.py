"""Stream a file of any size through encrypt_stream / decrypt_stream.

    python examples/stream_files.py
"""

import filecmp
import os
import tempfile

import mrkenv

keyring = mrkenv.RawAesKeyring("my-app", "files", os.urandom(32))

with tempfile.TemporaryDirectory() as folder:
    original = os.path.join(folder, "report.csv")
    sealed = original + ".mrke"
    restored = os.path.join(folder, "restored.csv")
    with open(original, "wb") as f:
        for i in range(200_000):
            f.write(b"%d,widget,%d\n" % (i, i * 7))

    with open(original, "rb") as src, open(sealed, "wb") as dst:
        mrkenv.encrypt_stream(src, dst, keyring, encryption_context={"file": "report.csv"})
    # Decrypt to a temporary name and rename on success: a tampered or truncated
    # file fails part-way, after earlier frames were already written.
    partial = restored + ".part"
    with open(sealed, "rb") as src, open(partial, "wb") as dst:
        mrkenv.decrypt_stream(src, dst, keyring, encryption_context={"file": "report.csv"})
    os.replace(partial, restored)

    assert filecmp.cmp(original, restored, shallow=False)
    print(os.path.getsize(original), "bytes ->", os.path.getsize(sealed), "bytes -> ok")
