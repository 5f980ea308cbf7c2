"""`python demo/mrkenv_logged.py ARGS` is `python -m mrkenv ARGS` (the same
mrkenv.cli.main) with a boto3 hook that prints one stderr line per KMS call:
`kms: <Operation> in <Region> (KeyId <ARN>)`, the Region whose KMS answered.
The demo uses it to show where the CLI's KMS calls go."""

import json
import sys
from typing import Any

import boto3

from mrkenv import cli


def log_call(model: Any, params: Any, request_signer: Any, **_: Any) -> None:
    body = params.get("body") or b"{}"
    key_id = json.loads(body).get("KeyId", "?")  # the JSON request KMS will get
    sys.stderr.write(f"kms: {model.name} in {request_signer.region_name} (KeyId {key_id})\n")


if __name__ == "__main__":
    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register("before-call.kms", log_call)
    sys.exit(cli.main(sys.argv[1:]))
