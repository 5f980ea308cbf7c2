"""The Python peer of the interop tests (driven by matrix.test.mjs and interop.test.mjs).

Reads one JSON request on stdin, writes one JSON answer on stdout:

  {"op": "encrypt", "keyring": K, "plaintext": hex, "context": {...}, "frame_length": n}
      -> {"ciphertext": hex}
  {"op": "decrypt", "keyring": K, "ciphertext": hex, "context": {...} | null}
      -> {"plaintext": hex, "header": mrkenv.inspect(...)}
  {"op": "encrypt_record", "keyring": K, "item": I, "actions": {...}, "table_name": str,
   "partition_key": str, "sort_key": str | null, "default_action": str | null,
   "context": {...} | null} -> {"item": I}
  {"op": "decrypt_record", "keyring": K, "item": I, "table_name": str, "partition_key": str,
   "sort_key": str | null, "context": {...} | null} -> {"item": I}
  any error -> {"error": exception class name, "message": str}

I is an item in DynamoDB JSON (`B` and `BS` in base64); it is converted to and
from boto3's low-level format (bytes) here.

K is {"type": "raw-aes", "key_namespace", "key_name", "wrapping_key": hex},
{"type": "kms", "region", "endpoint", "key_ids": [...]} or
{"type": "kms-discovery", "region", "endpoint"}.
"""

import base64
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


def from_json(value):
    """A DynamoDB JSON attribute value in boto3's low-level format."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in inner]}
    if kind == "L":
        return {"L": [from_json(v) for v in inner]}
    if kind == "M":
        return {"M": {k: from_json(v) for k, v in inner.items()}}
    return {kind: inner}


def to_json(value):
    """The reverse of from_json."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode()}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode() for b in inner]}
    if kind == "L":
        return {"L": [to_json(v) for v in inner]}
    if kind == "M":
        return {"M": {k: to_json(v) for k, v in inner.items()}}
    return {kind: inner}


def record_op(request):
    item = {name: from_json(v) for name, v in request["item"].items()}
    table = {
        "table_name": request["table_name"],
        "partition_key": request["partition_key"],
        "sort_key": request.get("sort_key"),
        "encryption_context": request.get("context"),
    }
    if request["op"] == "encrypt_record":
        out = mrkenv.encrypt_record(
            item,
            keyring(request["keyring"]),
            request["actions"],
            default_action=request.get("default_action"),
            **table,
        )
    else:
        out = mrkenv.decrypt_record(item, keyring(request["keyring"]), **table)
    return {"item": {name: to_json(v) for name, v in out.items()}}


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
        elif request["op"] in ("encrypt_record", "decrypt_record"):
            answer = record_op(request)
        else:
            raise ValueError(f"unknown op {request['op']!r}")
    except mrkenv.MrkenvError as e:
        answer = {"error": type(e).__name__, "message": str(e)}
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
