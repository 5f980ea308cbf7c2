/* The seed's record example: an employee item for a DynamoDB global table,
 * the employee id signed only (DynamoDB needs the key in the clear), the
 * name encrypted and signed. Items are DynamoDB JSON, the AttributeValue JSON
 * of DynamoDB's API, ready for PutItem and as GetItem returns them. A raw AES
 * keyring keeps the example self-contained; a KMS MRK keyring
 * (mrkenv_kms_mrk_keyring_new, see envelope.c) is used the same way. */
#include <stdio.h>
#include <string.h>

#include <mrkenv.h>

static int fail(const char *what) {
    char message[512];
    mrkenv_last_error_message(message, sizeof message);
    fprintf(stderr, "%s: %s\n", what, message);
    return 1;
}

int main(void) {
    uint8_t wrapping_key[32] = {42}; /* use a real 32-byte secret */
    mrkenv_keyring *keyring = NULL;
    if (mrkenv_raw_aes_keyring_new("my-app", "key-1", wrapping_key, sizeof wrapping_key, &keyring))
        return fail("keyring");

    const char *item = "{\"employeeId\":{\"S\":\"1234\"},\"name\":{\"S\":\"Andy\"}}";
    mrkenv_record_action actions[] = {
        {"employeeId", "SIGN_ONLY"},  /* the partition key: in the clear, signed */
        {"name", "ENCRYPT_AND_SIGN"},
    };
    mrkenv_record_encrypt_options encrypt = {
        .table_name = "global-table-example",
        .partition_key = "employeeId",
        .actions = actions,
        .actions_len = 2,
    };
    char *stored = NULL;
    if (mrkenv_encrypt_record_json(keyring, item, &encrypt, &stored)) return fail("encrypt");
    printf("PutItem: %s\n", stored);

    mrkenv_record_decrypt_options decrypt = {
        .table_name = "global-table-example",
        .partition_key = "employeeId",
    };
    char *plain = NULL;
    if (mrkenv_decrypt_record_json(keyring, stored, &decrypt, &plain)) return fail("decrypt");
    printf("decrypted: %s\n", plain);
    int ok = strcmp(plain, item) == 0;

    mrkenv_string_free(plain); /* zeroes, then frees */
    mrkenv_string_free(stored);
    mrkenv_keyring_free(keyring);
    return ok ? 0 : 1;
}
