/* Outputs must be empty on entry: every function that fills an mrkenv_bytes
 * or returns a string refuses a non-empty one with
 * MRKENV_STATUS_OUTPUT_NOT_EMPTY and leaves it untouched (overwriting it
 * would leak what it holds). And a KMS callback's failure code is named in
 * the error message, never "Unknown". */
#include "support.h"

#include <string.h>

static const uint8_t KEY[32] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6,
                                7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22};
static uint8_t SENTINEL[4];
#define KMS_KEY "arn:aws:kms:us-east-1:111122223333:key/mrk-1"

static mrkenv_keyring *raw_keyring(void) {
    mrkenv_keyring *keyring = NULL;
    if (mrkenv_raw_aes_keyring_new("outputs", "key-1", KEY, sizeof KEY, &keyring) != MRKENV_STATUS_OK)
        return NULL;
    return keyring;
}

/* Each call must refuse `*out` = {SENTINEL, len} and leave it as it was. */
#define CHECK_REFUSED(call, out)                                                   \
    do {                                                                           \
        CHECK_STATUS(call, MRKENV_STATUS_OUTPUT_NOT_EMPTY);                        \
        CHECK((out).data == SENTINEL && (out).len == sizeof SENTINEL);             \
        CHECK(last_error_contains("not empty on entry"));                          \
    } while (0)

static void non_empty_bytes_are_refused(void) {
    mrkenv_keyring *keyring = raw_keyring();
    CHECK(keyring != NULL);
    mrkenv_bytes message = {0};
    CHECK_OK(mrkenv_encrypt(keyring, (const uint8_t *)"data", 4, NULL, 0, &message));
    mrkenv_bytes out = {SENTINEL, sizeof SENTINEL};
    uint8_t id[32] = {0};
    size_t offset = 99;
    mrkenv_rekey_options rekey = {0};
    mrkenv_limits limits = mrkenv_limits_default();
    CHECK_REFUSED(mrkenv_encrypt(keyring, (const uint8_t *)"x", 1, NULL, 0, &out), out);
    CHECK(last_error_contains("out is not empty on entry"));
    CHECK(last_error_contains("mrkenv_bytes_free"));
    CHECK_REFUSED(mrkenv_encrypt_with_frame_length(keyring, (const uint8_t *)"x", 1, NULL, 0, 4096, &out), out);
    CHECK_REFUSED(mrkenv_testing_encrypt_with(keyring, (const uint8_t *)"x", 1, NULL, 0, 0, id, NULL, NULL, &out),
                  out);
    CHECK_REFUSED(mrkenv_decrypt(keyring, message.data, message.len, &out), out);
    CHECK_REFUSED(mrkenv_decrypt_with_required_context(keyring, message.data, message.len, NULL, 0, &out), out);
    CHECK_REFUSED(mrkenv_decrypt_with_limits(keyring, message.data, message.len, NULL, 0, &limits, &out), out);
    CHECK_REFUSED(mrkenv_rekey(keyring, message.data, message.len, &rekey, &out), out);
    CHECK_REFUSED(mrkenv_rekey_with_limits(keyring, message.data, message.len, &rekey, NULL, &out), out);
    CHECK_REFUSED(mrkenv_rekey_header(keyring, message.data, message.len, &rekey, &out, &offset), out);
    CHECK(last_error_contains("new_head is not empty on entry"));
    CHECK_REFUSED(mrkenv_rekey_header_with_limits(keyring, message.data, message.len, &rekey, NULL, &out, &offset),
                  out);
    /* Streams: the encryptor and the decryptor stay usable afterwards. */
    mrkenv_encryptor *enc = NULL;
    mrkenv_decryptor *dec = NULL;
    CHECK_OK(mrkenv_encryptor_new(keyring, NULL, 0, 0, &enc));
    CHECK_REFUSED(mrkenv_encryptor_update(enc, (const uint8_t *)"x", 1, &out), out);
    CHECK_REFUSED(mrkenv_encryptor_finish(enc, &out), out);
    mrkenv_bytes chunk = {0};
    CHECK_OK(mrkenv_encryptor_finish(enc, &chunk));
    mrkenv_bytes_free(&chunk);
    mrkenv_encryptor_free(enc);
    CHECK_OK(mrkenv_decryptor_new(keyring, NULL, 0, &dec));
    CHECK_REFUSED(mrkenv_decryptor_update(dec, message.data, message.len, &out), out);
    CHECK_OK(mrkenv_decryptor_update(dec, message.data, message.len, &chunk));
    CHECK(chunk.len == 4 && memcmp(chunk.data, "data", 4) == 0);
    mrkenv_bytes_free(&chunk);
    CHECK_OK(mrkenv_decryptor_finish(dec));
    mrkenv_decryptor_free(dec);
    /* Either half set is "not empty": data without a length, a length without data. */
    mrkenv_bytes half = {NULL, 3};
    CHECK_STATUS(mrkenv_decrypt(keyring, message.data, message.len, &half), MRKENV_STATUS_OUTPUT_NOT_EMPTY);
    CHECK(half.data == NULL && half.len == 3);
    half = (mrkenv_bytes){SENTINEL, 0};
    CHECK_STATUS(mrkenv_decrypt(keyring, message.data, message.len, &half), MRKENV_STATUS_OUTPUT_NOT_EMPTY);
    CHECK(half.data == SENTINEL && half.len == 0);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(keyring);
}

/* The mistake the check exists for: filling the same buffer twice without
 * freeing it. The first result is kept (and can still be freed), not leaked. */
static void reuse_without_free_keeps_the_first_result(void) {
    mrkenv_keyring *keyring = raw_keyring();
    CHECK(keyring != NULL);
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(mrkenv_encrypt(keyring, (const uint8_t *)"first", 5, NULL, 0, &message));
    uint8_t *first = message.data;
    size_t first_len = message.len;
    CHECK_STATUS(mrkenv_encrypt(keyring, (const uint8_t *)"second", 6, NULL, 0, &message),
                 MRKENV_STATUS_OUTPUT_NOT_EMPTY);
    CHECK(message.data == first && message.len == first_len);
    CHECK_OK(mrkenv_decrypt(keyring, message.data, message.len, &plain));
    CHECK(plain.len == 5 && memcmp(plain.data, "first", 5) == 0);
    /* After mrkenv_bytes_free the same variable is empty and may be filled again. */
    mrkenv_bytes_free(&plain);
    CHECK_OK(mrkenv_decrypt(keyring, message.data, message.len, &plain));
    mrkenv_bytes_free(&plain);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(keyring);
}

static void non_null_strings_are_refused(void) {
    mrkenv_keyring *keyring = raw_keyring();
    CHECK(keyring != NULL);
    mrkenv_bytes message = {0};
    CHECK_OK(mrkenv_encrypt(keyring, (const uint8_t *)"data", 4, NULL, 0, &message));
    char *const held = (char *)SENTINEL;
    char *json = held;
    CHECK_STATUS(mrkenv_inspect_json(message.data, message.len, &json), MRKENV_STATUS_OUTPUT_NOT_EMPTY);
    CHECK(json == held && last_error_contains("*out_json is not NULL on entry"));
    CHECK(last_error_contains("mrkenv_string_free"));
    CHECK_STATUS(mrkenv_inspect_json_with_limits(message.data, message.len, NULL, &json),
                 MRKENV_STATUS_OUTPUT_NOT_EMPTY);
    CHECK(json == held);
    /* Records. */
    const char *item = "{\"pk\":{\"S\":\"1\"},\"secret\":{\"S\":\"s\"}}";
    mrkenv_record_action actions[] = {{"pk", "SIGN_ONLY"}, {"secret", "ENCRYPT_AND_SIGN"}};
    mrkenv_record_encrypt_options eo = {.table_name = "t", .partition_key = "pk", .actions = actions,
                                        .actions_len = 2};
    mrkenv_record_decrypt_options dopt = {.table_name = "t", .partition_key = "pk"};
    uint8_t id[32] = {0};
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, item, &eo, &json), MRKENV_STATUS_OUTPUT_NOT_EMPTY);
    CHECK(json == held);
    CHECK_STATUS(mrkenv_testing_encrypt_record_json_with(keyring, item, &eo, id, NULL, NULL, &json),
                 MRKENV_STATUS_OUTPUT_NOT_EMPTY);
    CHECK(json == held);
    char *encrypted = NULL;
    CHECK_OK(mrkenv_encrypt_record_json(keyring, item, &eo, &encrypted));
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, encrypted, &dopt, &json), MRKENV_STATUS_OUTPUT_NOT_EMPTY);
    CHECK(json == held);
    CHECK_STATUS(mrkenv_decrypt_record_json_with_limits(keyring, encrypted, &dopt, NULL, &json),
                 MRKENV_STATUS_OUTPUT_NOT_EMPTY);
    CHECK(json == held);
    /* A NULL string is filled as before. */
    json = NULL;
    CHECK_OK(mrkenv_decrypt_record_json(keyring, encrypted, &dopt, &json));
    CHECK(strstr(json, "\"secret\":{\"S\":\"s\"}") != NULL);
    mrkenv_string_free(json);
    mrkenv_string_free(encrypted);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(keyring);
}

static void output_not_empty_status(void) {
    CHECK(MRKENV_STATUS_OUTPUT_NOT_EMPTY == 102);
    CHECK(strcmp(mrkenv_status_name(MRKENV_STATUS_OUTPUT_NOT_EMPTY), "OutputNotEmpty") == 0);
}

/* ---- a callback's own failure code, named ------------------------------- */

static int code_to_return;
static const char *message_to_set;

static int failing_generate(void *user, const char *key_id, size_t n, const mrkenv_context_entry *ctx,
                            size_t ctx_len, mrkenv_kms_response *response) {
    (void)user; (void)key_id; (void)n; (void)ctx; (void)ctx_len;
    if (message_to_set) mrkenv_kms_response_set_error(response, message_to_set);
    return code_to_return;
}

static int failing_decrypt(void *user, const char *key_id, const uint8_t *blob, size_t blob_len,
                           const mrkenv_context_entry *ctx, size_t ctx_len, mrkenv_kms_response *response) {
    (void)user; (void)key_id; (void)blob; (void)blob_len; (void)ctx; (void)ctx_len;
    if (message_to_set) mrkenv_kms_response_set_error(response, message_to_set);
    return code_to_return;
}

static bool last_error_lacks(const char *needle) {
    char message[2048];
    mrkenv_last_error_message(message, sizeof message);
    if (strstr(message, needle) == NULL) return true;
    printf("    last error %s\n    contains %s\n", message, needle);
    return false;
}

static void callback_codes_are_named(void) {
    mrkenv_kms_client client = {NULL, failing_generate, NULL, failing_decrypt};
    const char *ids[] = {KMS_KEY};
    mrkenv_keyring *keyring = NULL;
    CHECK_OK(mrkenv_kms_mrk_keyring_new(ids, 1, &client, &keyring));
    mrkenv_bytes out = {0};
    /* A code of the callback's own (not an mrkenv status): said so, not "Unknown". */
    code_to_return = 42;
    message_to_set = "ThrottlingException";
    CHECK_STATUS(mrkenv_encrypt(keyring, (const uint8_t *)"x", 1, NULL, 0, &out), MRKENV_STATUS_KMS_CALLBACK_FAILED);
    CHECK(last_error_contains("callback returned status 42 (the callback's own failure code): ThrottlingException"));
    CHECK(last_error_lacks("Unknown"));
    code_to_return = -1;
    message_to_set = NULL;
    CHECK_STATUS(mrkenv_encrypt(keyring, (const uint8_t *)"x", 1, NULL, 0, &out), MRKENV_STATUS_KMS_CALLBACK_FAILED);
    CHECK(last_error_contains("callback returned status -1 (the callback's own failure code), without a message"));
    CHECK(last_error_lacks("Unknown"));
    /* An mrkenv status returned by the callback: named. */
    code_to_return = MRKENV_STATUS_KMS_CALLBACK_FAILED;
    message_to_set = "no network";
    CHECK_STATUS(mrkenv_encrypt(keyring, (const uint8_t *)"x", 1, NULL, 0, &out), MRKENV_STATUS_KMS_CALLBACK_FAILED);
    CHECK(last_error_contains("callback returned status 203 (KmsCallbackFailed): no network"));
    CHECK(out.data == NULL && out.len == 0);
    /* Decrypt: each failed attempt names the code the same way. */
    xor_kms kms = {0};
    mrkenv_kms_client good = xor_kms_client(&kms);
    mrkenv_keyring *writer = NULL;
    mrkenv_bytes message = {0};
    CHECK_OK(mrkenv_kms_mrk_keyring_new(ids, 1, &good, &writer));
    CHECK_OK(mrkenv_encrypt(writer, (const uint8_t *)"x", 1, NULL, 0, &message));
    code_to_return = 7;
    message_to_set = NULL;
    CHECK_STATUS(mrkenv_decrypt(keyring, message.data, message.len, &out), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(last_error_contains(KMS_KEY ": KMS Decrypt failed: callback returned status 7 (the callback's own failure code)"));
    CHECK(last_error_lacks("Unknown"));
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(writer);
    mrkenv_keyring_free(keyring);
}

const test_case output_tests[] = {
    {"non_empty_bytes_are_refused", non_empty_bytes_are_refused},
    {"reuse_without_free_keeps_the_first_result", reuse_without_free_keeps_the_first_result},
    {"non_null_strings_are_refused", non_null_strings_are_refused},
    {"output_not_empty_status", output_not_empty_status},
    {"callback_codes_are_named", callback_codes_are_named},
};
const size_t output_tests_count = sizeof output_tests / sizeof output_tests[0];
