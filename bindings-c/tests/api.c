/* The plain API: raw AES round trips with context, tampering, NULL and
 * bad-length arguments, error messages, status names, inspect, MRK match. */
#include "support.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t KEY[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const mrkenv_context_entry CONTEXT[] = {{"tenant", "acme"}, {"purpose", "c tests"}};

static mrkenv_keyring *raw_keyring(void) {
    mrkenv_keyring *keyring = NULL;
    if (mrkenv_raw_aes_keyring_new("c-tests", "key-1", KEY, sizeof KEY, &keyring) != MRKENV_STATUS_OK)
        return NULL;
    return keyring;
}

static void round_trip_with_context(void) {
    mrkenv_keyring *keyring = raw_keyring();
    CHECK(keyring != NULL);
    const char *text = "attack at dawn";
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(mrkenv_encrypt(keyring, (const uint8_t *)text, strlen(text), CONTEXT, 2, &message));
    CHECK(message.data != NULL && message.len > strlen(text));
    CHECK_OK(mrkenv_decrypt(keyring, message.data, message.len, &plain));
    CHECK(plain.len == strlen(text) && memcmp(plain.data, text, plain.len) == 0);
    mrkenv_bytes_free(&plain);
    CHECK(plain.data == NULL && plain.len == 0);
    /* Required context: a subset passes; a different value or a missing key fails. */
    mrkenv_context_entry subset[] = {{"tenant", "acme"}};
    CHECK_OK(mrkenv_decrypt_with_required_context(keyring, message.data, message.len, subset, 1, &plain));
    CHECK(plain.len == strlen(text));
    mrkenv_bytes_free(&plain);
    mrkenv_context_entry other[] = {{"tenant", "globex"}};
    /* An output that is not empty on entry is refused and left untouched. */
    plain.data = (uint8_t *)&plain; plain.len = 7;
    CHECK_STATUS(mrkenv_decrypt_with_required_context(keyring, message.data, message.len, other, 1, &plain),
                 MRKENV_STATUS_OUTPUT_NOT_EMPTY);
    CHECK(plain.data == (uint8_t *)&plain && plain.len == 7);
    plain = (mrkenv_bytes){0};
    CHECK_STATUS(mrkenv_decrypt_with_required_context(keyring, message.data, message.len, other, 1, &plain),
                 MRKENV_STATUS_CONTEXT_MISMATCH);
    CHECK(plain.data == NULL && plain.len == 0);
    CHECK(last_error_contains("tenant"));
    mrkenv_context_entry missing[] = {{"region", "eu"}};
    CHECK_STATUS(mrkenv_decrypt_with_required_context(keyring, message.data, message.len, missing, 1, &plain),
                 MRKENV_STATUS_CONTEXT_MISMATCH);
    CHECK(last_error_contains("region"));
    /* The context is in the header, readable without a key. */
    char *json = NULL;
    CHECK_OK(mrkenv_inspect_json(message.data, message.len, &json));
    CHECK(strstr(json, "\"tenant\":\"acme\"") != NULL);
    CHECK(strstr(json, "\"provider_id\":\"c-tests\"") != NULL);
    CHECK(strstr(json, "\"frame_length\":65536") != NULL);
    CHECK(strstr(json, "\"suite_name\"") != NULL && strstr(json, "\"message_id\"") != NULL);
    mrkenv_string_free(json);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(keyring);
}

static void empty_plaintext_and_context(void) {
    mrkenv_keyring *keyring = raw_keyring();
    CHECK(keyring != NULL);
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(mrkenv_encrypt(keyring, NULL, 0, NULL, 0, &message));
    CHECK_OK(mrkenv_decrypt(keyring, message.data, message.len, &plain));
    CHECK(plain.data == NULL && plain.len == 0);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(keyring);
}

static void every_tampered_byte_is_rejected(void) {
    mrkenv_keyring *keyring = raw_keyring();
    CHECK(keyring != NULL);
    uint8_t text[3000];
    fill_pattern(text, sizeof text, 7);
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(mrkenv_encrypt_with_frame_length(keyring, text, sizeof text, CONTEXT, 2, 1024, &message));
    uint8_t *copy = malloc(message.len);
    for (size_t i = 0; i < message.len; i++) {
        memcpy(copy, message.data, message.len);
        copy[i] ^= 0x01;
        mrkenv_status st = mrkenv_decrypt(keyring, copy, message.len, &plain);
        if (st == MRKENV_STATUS_OK || plain.data != NULL || plain.len != 0) {
            printf("    flipping byte %zu of %zu was not rejected (%s)\n", i, message.len,
                   mrkenv_status_name((int)st));
            mrkenv_bytes_free(&plain);
            free(copy);
            CHECK(0);
        }
    }
    /* Every truncation too. */
    for (size_t len = 0; len < message.len; len += 97) {
        CHECK(mrkenv_decrypt(keyring, message.data, len, &plain) != MRKENV_STATUS_OK);
        CHECK(plain.data == NULL);
    }
    CHECK(mrkenv_decrypt(keyring, message.data, message.len - 1, &plain) != MRKENV_STATUS_OK);
    free(copy);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(keyring);
}

static void wrong_wrapping_key(void) {
    mrkenv_keyring *keyring = raw_keyring(), *other = NULL;
    CHECK(keyring != NULL);
    uint8_t key2[32];
    memset(key2, 9, sizeof key2);
    CHECK_OK(mrkenv_raw_aes_keyring_new("c-tests", "key-1", key2, 32, &other));
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(mrkenv_encrypt(keyring, (const uint8_t *)"x", 1, NULL, 0, &message));
    CHECK_STATUS(mrkenv_decrypt(other, message.data, message.len, &plain), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(last_error_contains("c-tests/key-1"));
    CHECK(plain.data == NULL && plain.len == 0);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(keyring);
    mrkenv_keyring_free(other);
}

static void null_arguments(void) {
    mrkenv_keyring *keyring = raw_keyring();
    CHECK(keyring != NULL);
    mrkenv_keyring *k = (mrkenv_keyring *)&k;
    mrkenv_bytes out = {0};
    bool flag = true;
    CHECK_STATUS(mrkenv_raw_aes_keyring_new(NULL, "n", KEY, 32, &k), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(k == NULL);
    CHECK_STATUS(mrkenv_raw_aes_keyring_new("ns", NULL, KEY, 32, &k), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_raw_aes_keyring_new("ns", "n", NULL, 32, &k), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_raw_aes_keyring_new("ns", "n", NULL, 0, &k), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_raw_aes_keyring_new("ns", "n", KEY, 32, NULL), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("out is NULL"));
    CHECK_STATUS(mrkenv_encrypt(NULL, KEY, 1, NULL, 0, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(out.data == NULL && out.len == 0);
    CHECK_STATUS(mrkenv_encrypt(keyring, NULL, 5, NULL, 0, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("plaintext"));
    CHECK_STATUS(mrkenv_encrypt(keyring, KEY, 5, NULL, 1, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_encrypt(keyring, KEY, 5, NULL, 0, NULL), MRKENV_STATUS_NULL_ARGUMENT);
    mrkenv_context_entry bad_key[] = {{NULL, "v"}};
    CHECK_STATUS(mrkenv_encrypt(keyring, KEY, 5, bad_key, 1, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("context[0].key"));
    mrkenv_context_entry bad_value[] = {{"k", NULL}};
    CHECK_STATUS(mrkenv_encrypt(keyring, KEY, 5, bad_value, 1, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_decrypt(NULL, KEY, 5, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_decrypt(keyring, NULL, 5, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_decrypt(keyring, KEY, 5, NULL), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_decrypt_with_required_context(keyring, KEY, 5, NULL, 2, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(out.data == NULL);
    CHECK_STATUS(mrkenv_mrk_match(NULL, "alias/x", &flag), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(flag == false);
    CHECK_STATUS(mrkenv_mrk_match("alias/x", NULL, &flag), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_mrk_match("alias/x", "alias/x", NULL), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_is_mrk(NULL, &flag), MRKENV_STATUS_NULL_ARGUMENT);
    char *json = NULL;
    CHECK_STATUS(mrkenv_inspect_json(NULL, 5, &json), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(json == NULL);
    CHECK_STATUS(mrkenv_inspect_json(KEY, 5, NULL), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_kms_mrk_keyring_new(NULL, 1, NULL, &k), MRKENV_STATUS_NULL_ARGUMENT);
    const char *ids[] = {"arn:aws:kms:us-east-1:111122223333:key/mrk-1"};
    CHECK_STATUS(mrkenv_kms_mrk_keyring_new(ids, 1, NULL, &k), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("client"));
    CHECK_STATUS(mrkenv_kms_mrk_discovery_keyring_new(NULL, NULL, NULL, 0, NULL, &k), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_kms_response_set_key_id(NULL, "x"), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_kms_response_set_plaintext(NULL, KEY, 32), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_kms_response_set_ciphertext_blob(NULL, KEY, 32), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_kms_response_set_error(NULL, "x"), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_encryptor_new(NULL, NULL, 0, 0, (mrkenv_encryptor **)&k), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_encryptor_update(NULL, KEY, 1, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_encryptor_finish(NULL, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_decryptor_new(NULL, NULL, 0, (mrkenv_decryptor **)&k), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_decryptor_update(NULL, KEY, 1, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_decryptor_finish(NULL), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_testing_encrypt_with(keyring, KEY, 1, NULL, 0, 0, NULL, NULL, NULL, &out),
                 MRKENV_STATUS_NULL_ARGUMENT);
    /* Free functions accept NULL and empty buffers; freeing twice is harmless. */
    mrkenv_keyring_free(NULL);
    mrkenv_bytes_free(NULL);
    mrkenv_string_free(NULL);
    mrkenv_encryptor_free(NULL);
    mrkenv_decryptor_free(NULL);
    mrkenv_bytes empty = {0};
    mrkenv_bytes_free(&empty);
    CHECK_OK(mrkenv_encrypt(keyring, KEY, 5, NULL, 0, &out));
    mrkenv_bytes_free(&out);
    mrkenv_bytes_free(&out);
    CHECK(out.data == NULL && out.len == 0);
    mrkenv_keyring_free(keyring);
}

static void bad_lengths_and_values(void) {
    mrkenv_keyring *k = NULL;
    CHECK_STATUS(mrkenv_raw_aes_keyring_new("ns", "n", KEY, 31, &k), MRKENV_STATUS_KEYRING);
    CHECK(last_error_contains("32 bytes"));
    CHECK_STATUS(mrkenv_raw_aes_keyring_new("ns", "n", KEY, 33, &k), MRKENV_STATUS_KEYRING);
    CHECK_STATUS(mrkenv_raw_aes_keyring_new("", "n", KEY, 32, &k), MRKENV_STATUS_KEYRING);
    CHECK_STATUS(mrkenv_raw_aes_keyring_new("aws-kms", "n", KEY, 32, &k), MRKENV_STATUS_KEYRING);
    CHECK_STATUS(mrkenv_raw_aes_keyring_new("ns\xff", "n", KEY, 32, &k), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("UTF-8"));
    CHECK(k == NULL);
    mrkenv_keyring *keyring = raw_keyring();
    CHECK(keyring != NULL);
    mrkenv_bytes out = {0};
    CHECK_STATUS(mrkenv_encrypt(keyring, KEY, SIZE_MAX, NULL, 0, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(out.data == NULL && out.len == 0);
    mrkenv_context_entry dup[] = {{"a", "1"}, {"a", "2"}};
    CHECK_STATUS(mrkenv_encrypt(keyring, KEY, 5, dup, 2, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("more than once"));
    CHECK(mrkenv_encrypt_with_frame_length(keyring, KEY, 5, NULL, 0, 100, &out) != MRKENV_STATUS_OK);
    CHECK(out.data == NULL);
    CHECK_STATUS(mrkenv_decrypt(keyring, (const uint8_t *)"not a message", 13, &out),
                 MRKENV_STATUS_MALFORMED_MESSAGE);
    CHECK(last_error_contains("MRKE"));
    CHECK_STATUS(mrkenv_decrypt(keyring, KEY, 0, &out), MRKENV_STATUS_MALFORMED_MESSAGE);
    char *json = NULL;
    CHECK_STATUS(mrkenv_inspect_json(KEY, 0, &json), MRKENV_STATUS_MALFORMED_MESSAGE);
    /* message id without data key/iv pairing */
    uint8_t id[32] = {0};
    CHECK_STATUS(mrkenv_testing_encrypt_with(keyring, KEY, 1, NULL, 0, 0, id, KEY, NULL, &out),
                 MRKENV_STATUS_INVALID_ARGUMENT);
    mrkenv_keyring_free(keyring);
}

static void last_error_buffer(void) {
    mrkenv_keyring *k = NULL;
    CHECK_STATUS(mrkenv_raw_aes_keyring_new("ns", "n", KEY, 31, &k), MRKENV_STATUS_KEYRING);
    size_t needed = mrkenv_last_error_message(NULL, 0);
    CHECK(needed > 10);
    char *full = malloc(needed);
    CHECK(mrkenv_last_error_message(full, needed) == needed);
    CHECK(strlen(full) == needed - 1);
    char small[8];
    memset(small, 'x', sizeof small);
    CHECK(mrkenv_last_error_message(small, sizeof small) == needed);
    CHECK(small[7] == '\0' && strlen(small) == 7 && strncmp(small, full, 7) == 0);
    char one[1] = {'x'};
    CHECK(mrkenv_last_error_message(one, 1) == needed && one[0] == '\0');
    /* A success does not clear it. */
    bool same;
    CHECK_OK(mrkenv_mrk_match("alias/a", "alias/a", &same));
    char again[512];
    mrkenv_last_error_message(again, sizeof again);
    CHECK(strcmp(again, full) == 0);
    free(full);
}

static void last_error_buffer_edges(void) {
    mrkenv_keyring *k = NULL;
    CHECK_STATUS(mrkenv_raw_aes_keyring_new("ns", "n", KEY, 31, &k), MRKENV_STATUS_KEYRING);
    size_t needed = mrkenv_last_error_message(NULL, 0);
    CHECK(needed > 1);
    /* A NULL buffer with a length, and a buffer with length 0, are not written. */
    CHECK(mrkenv_last_error_message(NULL, 64) == needed);
    char untouched[4] = {'a', 'b', 'c', '\0'};
    CHECK(mrkenv_last_error_message(untouched, 0) == needed);
    CHECK(strcmp(untouched, "abc") == 0);
    /* Every buffer size from 1 to needed + 1: NUL-terminated, a prefix, never overrun. */
    char *full = malloc(needed);
    CHECK(full != NULL);
    mrkenv_last_error_message(full, needed);
    for (size_t size = 1; size <= needed + 1; size++) {
        char *buf = malloc(size + 1);
        memset(buf, 'x', size + 1);
        size_t got = mrkenv_last_error_message(buf, size);
        size_t expect = size - 1 < needed - 1 ? size - 1 : needed - 1;
        bool ok = got == needed && buf[expect] == '\0' && strlen(buf) == expect &&
                  strncmp(buf, full, expect) == 0 && buf[size] == 'x';
        free(buf);
        if (!ok) {
            printf("    buffer of %zu bytes mishandled\n", size);
            free(full);
            CHECK(0);
        }
    }
    free(full);
}

/* The last error belongs to the thread that failed. */
typedef struct {
    size_t fresh_len;     /* what a new thread sees before failing */
    char own[256];        /* its own message after failing */
} thread_report;

static void *other_thread(void *arg) {
    thread_report *report = arg;
    report->fresh_len = mrkenv_last_error_message(NULL, 0);
    bool same;
    mrkenv_mrk_match("key/only", "alias/x", &same); /* InvalidArn in this thread */
    mrkenv_last_error_message(report->own, sizeof report->own);
    return NULL;
}

static void last_error_is_per_thread(void) {
    mrkenv_keyring *k = NULL;
    CHECK_STATUS(mrkenv_raw_aes_keyring_new("ns", "n", KEY, 31, &k), MRKENV_STATUS_KEYRING);
    char mine[256];
    mrkenv_last_error_message(mine, sizeof mine);
    CHECK(strstr(mine, "32 bytes") != NULL);
    thread_report report = {0, {0}};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, other_thread, &report) == 0);
    CHECK(pthread_join(thread, NULL) == 0);
    /* The new thread did not see this thread's error ... */
    CHECK(report.fresh_len == 1);
    CHECK(strstr(report.own, "key/only") != NULL && strstr(report.own, "32 bytes") == NULL);
    /* ... and its failure did not replace this thread's. */
    char after[256];
    mrkenv_last_error_message(after, sizeof after);
    CHECK(strcmp(after, mine) == 0);
}

static void status_names(void) {
    CHECK(strcmp(mrkenv_status_name(MRKENV_STATUS_OK), "Ok") == 0);
    CHECK(MRKENV_STATUS_OK == 0);
    CHECK(strcmp(mrkenv_status_name(MRKENV_STATUS_INVALID_ARN), "InvalidArn") == 0);
    CHECK(strcmp(mrkenv_status_name(MRKENV_STATUS_MALFORMED_MESSAGE), "MalformedMessage") == 0);
    CHECK(strcmp(mrkenv_status_name(MRKENV_STATUS_AUTHENTICATION), "Authentication") == 0);
    CHECK(strcmp(mrkenv_status_name(MRKENV_STATUS_NO_DECRYPTABLE_KEY), "NoDecryptableKey") == 0);
    CHECK(strcmp(mrkenv_status_name(MRKENV_STATUS_KEYRING), "Keyring") == 0);
    CHECK(strcmp(mrkenv_status_name(MRKENV_STATUS_LIMIT_EXCEEDED), "LimitExceeded") == 0);
    CHECK(strcmp(mrkenv_status_name(MRKENV_STATUS_CONTEXT_MISMATCH), "ContextMismatch") == 0);
    CHECK(strcmp(mrkenv_status_name(MRKENV_STATUS_INVALID_ARGUMENT), "InvalidArgument") == 0);
    CHECK(strcmp(mrkenv_status_name(MRKENV_STATUS_NULL_ARGUMENT), "NullArgument") == 0);
    CHECK(strcmp(mrkenv_status_name(MRKENV_STATUS_KMS_CALLBACK_FAILED), "KmsCallbackFailed") == 0);
    CHECK(strcmp(mrkenv_status_name(MRKENV_STATUS_PANIC), "Panic") == 0);
    CHECK(strcmp(mrkenv_status_name(12345), "Unknown") == 0);
    CHECK(strcmp(mrkenv_status_name(-1), "Unknown") == 0);
    /* Pinned numbers: never renumbered. */
    CHECK(MRKENV_STATUS_NULL_ARGUMENT == 100 && MRKENV_STATUS_INVALID_ARN == 200 &&
          MRKENV_STATUS_MALFORMED_MESSAGE == 300 && MRKENV_STATUS_PANIC == 900);
    CHECK(strlen(mrkenv_version()) > 0);
}

static void mrk_match_rules(void) {
    bool same = false;
    const char *east = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
    const char *west = "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab";
    const char *other_acct = "arn:aws:kms:us-west-2:444455556666:key/mrk-1234abcd12ab34cd56ef1234567890ab";
    const char *srk_east = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const char *srk_west = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    CHECK_OK(mrkenv_mrk_match(east, west, &same));
    CHECK(same);
    CHECK_OK(mrkenv_mrk_match(east, east, &same));
    CHECK(same);
    CHECK_OK(mrkenv_mrk_match(east, other_acct, &same));
    CHECK(!same);
    CHECK_OK(mrkenv_mrk_match(srk_east, srk_west, &same));
    CHECK(!same);
    CHECK_OK(mrkenv_mrk_match("alias/a", "alias/b", &same));
    CHECK(!same);
    same = true;
    CHECK_STATUS(mrkenv_mrk_match("arn:aws:kms:us-east-1:111122223333", east, &same), MRKENV_STATUS_INVALID_ARN);
    CHECK(!same);
    CHECK_STATUS(mrkenv_mrk_match("key/abc", east, &same), MRKENV_STATUS_INVALID_ARN);
    CHECK_STATUS(mrkenv_mrk_match("", east, &same), MRKENV_STATUS_INVALID_ARN);
    CHECK_OK(mrkenv_is_mrk(west, &same));
    CHECK(same);
    CHECK_OK(mrkenv_is_mrk("mrk-abc", &same));
    CHECK(same);
    CHECK_OK(mrkenv_is_mrk(srk_east, &same));
    CHECK(!same);
    CHECK_OK(mrkenv_is_mrk("arn:aws:kms:us-east-1:111122223333:alias/mrk-x", &same));
    CHECK(!same);
}

const test_case api_tests[] = {
    {"round_trip_with_context", round_trip_with_context},
    {"empty_plaintext_and_context", empty_plaintext_and_context},
    {"every_tampered_byte_is_rejected", every_tampered_byte_is_rejected},
    {"wrong_wrapping_key", wrong_wrapping_key},
    {"null_arguments", null_arguments},
    {"bad_lengths_and_values", bad_lengths_and_values},
    {"last_error_buffer", last_error_buffer},
    {"last_error_buffer_edges", last_error_buffer_edges},
    {"last_error_is_per_thread", last_error_is_per_thread},
    {"status_names", status_names},
    {"mrk_match_rules", mrk_match_rules},
};
const size_t api_tests_count = sizeof api_tests / sizeof api_tests[0];
