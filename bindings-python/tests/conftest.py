"""Shared fixtures: paths, a local KMS (moto) for the whole session, boto3
clients, a multi-Region key replicated from us-east-1 to us-west-2."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

HERE = Path(__file__).resolve().parent
BINDING = HERE.parent
REPO = BINDING.parent
VECTORS = REPO / "tests" / "vectors"
KMS_DIR = REPO / "tests" / "kms"
EXAMPLES = BINDING / "examples"

EAST = "us-east-1"
WEST = "us-west-2"
ACCOUNT = "123456789012"  # moto's account

# Dummy credentials only: nothing here may reach real AWS.
TEST_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
for _name, _value in TEST_ENV.items():
    os.environ[_name] = _value
for _name in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
    os.environ.pop(_name, None)


def clean_env(**extra: str) -> Dict[str, str]:
    """Environment for subprocesses: dummy credentials, no profile."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")
    }
    env.update(TEST_ENV)
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def kms_endpoint() -> Iterator[str]:
    sys.path.insert(0, str(KMS_DIR))
    try:
        from moto_launcher import start_moto
    finally:
        sys.path.remove(str(KMS_DIR))
    endpoint_url, stop = start_moto()
    try:
        yield endpoint_url
    finally:
        stop()


def make_client(endpoint: str, region: str) -> Any:
    import boto3

    return boto3.client(
        "kms",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def east(kms_endpoint: str) -> Any:
    return make_client(kms_endpoint, EAST)


@pytest.fixture(scope="session")
def west(kms_endpoint: str) -> Any:
    return make_client(kms_endpoint, WEST)


@pytest.fixture(scope="session")
def mrk(east: Any) -> Tuple[str, str]:
    """(us-east-1 ARN, us-west-2 replica ARN) of one multi-Region key."""
    primary = east.create_key(MultiRegion=True, Description="mrkenv test MRK")["KeyMetadata"]
    replica = east.replicate_key(KeyId=primary["KeyId"], ReplicaRegion=WEST)["ReplicaKeyMetadata"]
    assert primary["KeyId"].startswith("mrk-")
    assert replica["Arn"] == primary["Arn"].replace(EAST, WEST)
    return primary["Arn"], replica["Arn"]


@pytest.fixture(scope="session")
def single_region_key(east: Any) -> str:
    """ARN of a single-Region key in us-east-1."""
    return str(east.create_key(Description="mrkenv test single-Region key")["KeyMetadata"]["Arn"])


class CountingClient:
    """Wraps a KMS client and records every call (method, kwargs)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: List[Tuple[str, Dict[str, Any]]] = []

    def _call(self, method: str, kwargs: Dict[str, Any]) -> Any:
        self.calls.append((method, dict(kwargs)))
        return getattr(self.inner, method)(**kwargs)

    def generate_data_key(self, **kwargs: Any) -> Any:
        return self._call("generate_data_key", kwargs)

    def encrypt(self, **kwargs: Any) -> Any:
        return self._call("encrypt", kwargs)

    def decrypt(self, **kwargs: Any) -> Any:
        return self._call("decrypt", kwargs)


@pytest.fixture
def counting() -> Any:
    return CountingClient


# ---------------------------------------------------------------- DynamoDB (records)

GLOBAL_TABLE = "global-table-example"  # the seed's table: partition key employeeId (S)


def make_dynamodb(endpoint: str, region: str) -> Any:
    """A DynamoDB client on the moto server (one port serves every service)."""
    import boto3

    return boto3.client(
        "dynamodb",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def global_table(kms_endpoint: str) -> Tuple[Any, Any]:
    """(us-east-1, us-west-2) DynamoDB clients, with GLOBAL_TABLE created in both Regions."""
    clients = make_dynamodb(kms_endpoint, EAST), make_dynamodb(kms_endpoint, WEST)
    for client in clients:
        client.create_table(
            TableName=GLOBAL_TABLE,
            KeySchema=[{"AttributeName": "employeeId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "employeeId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.get_waiter("table_exists").wait(TableName=GLOBAL_TABLE)
    return clients


def replicate(global_table: Tuple[Any, Any]) -> int:
    """Copies every item of GLOBAL_TABLE from us-east-1 to us-west-2.

    moto does not replicate global tables: this copy stands in for DynamoDB's
    replication (items go across unchanged, as DynamoDB copies them)."""
    east_ddb, west_ddb = global_table
    items = east_ddb.scan(TableName=GLOBAL_TABLE)["Items"]
    for item in items:
        west_ddb.put_item(TableName=GLOBAL_TABLE, Item=item)
    return len(items)
