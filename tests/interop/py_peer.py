"""Python side of the Python <-> Node interop tests (driven by interop.test.mjs).

Reads one JSON request on stdin, writes one JSON answer on stdout:

  {"op": "encrypt", "keyring": K, "plaintext": hex, "context": {...}, "frame_length": n}
      -> {"ciphertext": hex}
  {"op": "decrypt", "keyring": K, "ciphertext": hex, "context": {...} | null}
      -> {"plaintext": hex, "header": mrkenv.inspect(...)}
  any error -> {"error": exception class name, "message": str}

K is {"type": "raw-aes", "key_namespace", "key_name", "wrapping_key": hex},
{"type": "kms", "region", "endpoint", "key_ids": [...]} or
{"type": "kms-discovery", "region", "endpoint"}.
"""

import json
import sys

import mrkenv


def kms_client(spec):
    import boto3

    return boto3.client(
        "kms",
        region_name=spec["region"],
        endpoint_url=spec["endpoint"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def keyring(spec):
    kind = spec["type"]
    if kind == "raw-aes":
        return mrkenv.RawAesKeyring(
            spec["key_namespace"], spec["key_name"], bytes.fromhex(spec["wrapping_key"])
        )
    if kind == "kms":
        return mrkenv.KmsMrkKeyring(kms_client(spec), spec["key_ids"])
    if kind == "kms-discovery":
        return mrkenv.KmsMrkDiscoveryKeyring(kms_client(spec), spec["region"])
    raise ValueError(f"unknown keyring type {kind!r}")


def main():
    request = json.load(sys.stdin)
    try:
        if request["op"] == "encrypt":
            message = mrkenv.encrypt(
                bytes.fromhex(request["plaintext"]),
                keyring(request["keyring"]),
                encryption_context=request.get("context"),
                frame_length=request.get("frame_length", 65536),
            )
            answer = {"ciphertext": message.hex()}
        elif request["op"] == "decrypt":
            message = bytes.fromhex(request["ciphertext"])
            plaintext = mrkenv.decrypt(
                message, keyring(request["keyring"]), encryption_context=request.get("context")
            )
            answer = {"plaintext": plaintext.hex(), "header": mrkenv.inspect(message)}
        else:
            raise ValueError(f"unknown op {request['op']!r}")
    except mrkenv.MrkenvError as e:
        answer = {"error": type(e).__name__, "message": str(e)}
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
