"""Encrypt in us-east-1 with a multi-Region key, decrypt in us-west-2 with its replica.

    MRKENV_MRK_ARN=arn:aws:kms:us-east-1:111122223333:key/mrk-... python examples/kms_multi_region.py

Needs boto3 and credentials allowed to use the key in both Regions. Set
AWS_ENDPOINT_URL to use a local KMS endpoint instead of AWS (the tests do).
"""

import os
import sys

import boto3

import mrkenv

east_arn = os.environ.get("MRKENV_MRK_ARN")
if not east_arn:
    sys.exit("set MRKENV_MRK_ARN to the us-east-1 ARN of a multi-Region key replicated to us-west-2")
east_region = mrkenv.parse_arn(east_arn).region
west_region = "us-west-2"
west_arn = east_arn.replace(f":{east_region}:", f":{west_region}:")

east = boto3.client("kms", region_name=east_region)
west = boto3.client("kms", region_name=west_region)
context = {"tenant": "acme", "purpose": "example"}

# Writer in us-east-1.
message = mrkenv.encrypt(b"replicated secret", mrkenv.KmsMrkKeyring(east, [east_arn]),
                         encryption_context=context)
print("written with", mrkenv.inspect(message)["encrypted_data_keys"][0]["key_arn"])

# Reader in us-west-2, strict: names the local replica; KMS is called in us-west-2 only.
strict = mrkenv.KmsMrkKeyring(west, [west_arn])
assert mrkenv.decrypt(message, strict, encryption_context=context) == b"replicated secret"

# Reader in us-west-2, discovery: any MRK of this account, rewritten to us-west-2.
account = mrkenv.parse_arn(east_arn).account
discovery = mrkenv.KmsMrkDiscoveryKeyring(
    west, west_region, discovery_filter=mrkenv.DiscoveryFilter("aws", [account])
)
assert mrkenv.decrypt(message, discovery) == b"replicated secret"
print("read in", west_region, "ok")
