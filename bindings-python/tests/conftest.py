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
