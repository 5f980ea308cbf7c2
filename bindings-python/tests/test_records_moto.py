"""The seed's use case against moto's server (DynamoDB and KMS on one
endpoint, real boto3 clients): an item encrypted in us-east-1 with the primary
multi-Region key, stored in the global table, read in us-west-2 and decrypted
there with the replica key."""

from __future__ import annotations

from typing import Any, Dict

import pytest

import mrkenv
from conftest import GLOBAL_TABLE, WEST, CountingClient

ITEM = {"employeeId": {"S": "1234"}, "name": {"S": "Andy"}}
ACTIONS = {"employeeId": mrkenv.Action.SIGN_ONLY, "name": mrkenv.Action.ENCRYPT_AND_SIGN}


def encrypt_east(east: Any, east_arn: str, item: Dict[str, Any]) -> Dict[str, Any]:
    return mrkenv.encrypt_record(item, mrkenv.KmsMrkKeyring(east, [east_arn]), ACTIONS,
                                 table_name=GLOBAL_TABLE, partition_key="employeeId")


def decrypt_west(west: Any, west_arn: str, item: Dict[str, Any]) -> Dict[str, Any]:
    return mrkenv.decrypt_record(item, mrkenv.KmsMrkKeyring(west, [west_arn]),
                                 table_name=GLOBAL_TABLE, partition_key="employeeId")


def get(client: Any, employee_id: str) -> Dict[str, Any]:
    item: Dict[str, Any] = client.get_item(TableName=GLOBAL_TABLE, Key={"employeeId": {"S": employee_id}})["Item"]
    return item


def test_encrypt_in_east_decrypt_replica_in_west(east, west, mrk, global_table):
    east_arn, west_arn = mrk
    east_ddb, west_ddb = global_table
    east_kms = CountingClient(east)
    encrypted = encrypt_east(east_kms, east_arn, ITEM)
    ((method, kwargs),) = east_kms.calls
    assert method == "generate_data_key" and kwargs["KeyId"] == east_arn
    assert kwargs["EncryptionContext"] == {
        "aws-mrkenv:table": GLOBAL_TABLE,
        "aws-mrkenv:partition-key": "employeeId",
        "aws-mrkenv:attr:employeeId": "1234",
    }
    east_ddb.put_item(TableName=GLOBAL_TABLE, Item=encrypted)
    stored = get(east_ddb, "1234")
    assert stored == encrypted and stored["employeeId"] == {"S": "1234"}
    assert set(stored["name"]) == {"B"}

    # moto does not replicate global tables: this copy to the us-west-2 table
    # stands in for DynamoDB's replication.
    west_ddb.put_item(TableName=GLOBAL_TABLE, Item=stored)
    replica = get(west_ddb, "1234")

    west_kms = CountingClient(west)
    assert decrypt_west(west_kms, west_arn, replica) == ITEM
    assert [(m, k["KeyId"]) for m, k in west_kms.calls] == [("decrypt", west_arn)]  # the local replica
    discovery = mrkenv.KmsMrkDiscoveryKeyring(west, WEST)
    assert mrkenv.decrypt_record(replica, discovery, table_name=GLOBAL_TABLE, partition_key="employeeId") == ITEM


def test_tampered_items_in_west_are_refused(east, west, mrk, global_table):
    east_arn, west_arn = mrk
    east_ddb, west_ddb = global_table
    andy = encrypt_east(east, east_arn, {"employeeId": {"S": "2001"}, "name": {"S": "Andy"}})
    bob = encrypt_east(east, east_arn, {"employeeId": {"S": "2002"}, "name": {"S": "Bob"}})
    for item in (andy, bob):
        east_ddb.put_item(TableName=GLOBAL_TABLE, Item=item)
    # moto does not replicate global tables: copy the stored items to us-west-2 ourselves.
    for employee_id in ("2001", "2002"):
        west_ddb.put_item(TableName=GLOBAL_TABLE, Item=get(east_ddb, employee_id))
    assert decrypt_west(west, west_arn, get(west_ddb, "2001")) == {"employeeId": {"S": "2001"}, "name": {"S": "Andy"}}

    # Bob's name ciphertext swapped into Andy's item.
    swapped = dict(get(west_ddb, "2001"), name=get(west_ddb, "2002")["name"])
    west_ddb.put_item(TableName=GLOBAL_TABLE, Item=swapped)
    with pytest.raises(mrkenv.AuthenticationError):
        decrypt_west(west, west_arn, get(west_ddb, "2001"))

    # Bob's record stored under another employee id.
    moved = dict(get(west_ddb, "2002"), employeeId={"S": "2003"})
    west_ddb.put_item(TableName=GLOBAL_TABLE, Item=moved)
    with pytest.raises(mrkenv.AuthenticationError):
        decrypt_west(west, west_arn, get(west_ddb, "2003"))


def test_other_table_or_region_key_is_refused(east, west, mrk, global_table, single_region_key):
    east_arn, west_arn = mrk
    encrypted = encrypt_east(east, east_arn, ITEM)
    with pytest.raises(mrkenv.ContextMismatchError, match="for table"):
        mrkenv.decrypt_record(encrypted, mrkenv.KmsMrkKeyring(west, [west_arn]), table_name="another-table",
                              partition_key="employeeId")
    # A us-east-1 single-Region key cannot be used through a us-west-2 client:
    # refused where the keyring is built, with both Regions named.
    with pytest.raises(mrkenv.InvalidArgumentError, match="client is for us-west-2 but the key .* is in us-east-1"):
        decrypt_west(west, single_region_key, encrypted)
    # Through its own Region's client, it is simply not a key of this record.
    with pytest.raises(mrkenv.NoDecryptableKeyError):
        decrypt_west(east, single_region_key, encrypted)
