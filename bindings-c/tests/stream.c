/* Streaming: a multi-frame message written and read in small chunks, with
 * memory bounded by about one frame, and failures of a stream. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

#define FRAME 1024
#define TOTAL (10 * FRAME + 123)

static const uint8_t KEY[32] = {7};
static const mrkenv_context_entry CONTEXT[] = {{"stream", "yes"}};

static mrkenv_keyring *keyring_new(void) {
    mrkenv_keyring *k = NULL;
    return mrkenv_raw_aes_keyring_new("c-tests", "stream", KEY, 32, &k) == MRKENV_STATUS_OK ? k : NULL;
}

/* Appends b to (*buf, *len) and frees b. */
static void append(uint8_t **buf, size_t *len, mrkenv_bytes *b) {
    if (b->len) {
        *buf = realloc(*buf, *len + b->len);
        memcpy(*buf + *len, b->data, b->len);
        *len += b->len;
    }
    mrkenv_bytes_free(b);
}

static void multi_frame_small_chunks(void) {
    mrkenv_keyring *keyring = keyring_new();
    CHECK(keyring != NULL);
    uint8_t *text = malloc(TOTAL);
    fill_pattern(text, TOTAL, 42);
    mrkenv_encryptor *enc = NULL;
    CHECK_OK(mrkenv_encryptor_new(keyring, CONTEXT, 1, FRAME, &enc));
    uint8_t *message = NULL;
    size_t message_len = 0, fed = 0, largest = 0;
    for (size_t chunk = 1; fed < TOTAL; chunk = chunk % 97 + 13) {
        size_t n = TOTAL - fed < chunk ? TOTAL - fed : chunk;
        mrkenv_bytes out = {0};
        CHECK_OK(mrkenv_encryptor_update(enc, text + fed, n, &out));
        if (out.len > largest && message_len > 0) largest = out.len;
        append(&message, &message_len, &out);
        fed += n;
    }
    mrkenv_bytes out = {0};
    CHECK_OK(mrkenv_encryptor_finish(enc, &out));
    append(&message, &message_len, &out);
    /* Finished: no more input. */
    CHECK_STATUS(mrkenv_encryptor_update(enc, text, 1, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(out.data == NULL);
    mrkenv_encryptor_free(enc);
    /* Bounded: past the header, one small update never yields more than one frame. */
    CHECK(largest > 0 && largest < FRAME + 64);
    /* The one-shot decrypt reads it. */
    mrkenv_bytes plain = {0};
    CHECK_OK(mrkenv_decrypt(keyring, message, message_len, &plain));
    CHECK(plain.len == TOTAL && memcmp(plain.data, text, TOTAL) == 0);
    mrkenv_bytes_free(&plain);
    /* 11 frames of 1024 bytes and a final one. */
    char *json = NULL;
    CHECK_OK(mrkenv_inspect_json(message, 200, &json)); /* a prefix is enough */
    CHECK(strstr(json, "\"frame_length\":1024") != NULL);
    mrkenv_string_free(json);
    /* The decryptor in small chunks. */
    mrkenv_decryptor *dec = NULL;
    CHECK_OK(mrkenv_decryptor_new(keyring, CONTEXT, 1, &dec));
    uint8_t *result = NULL;
    size_t result_len = 0, at = 0, most = 0;
    for (size_t chunk = 5; at < message_len; chunk = chunk % 61 + 3) {
        size_t n = message_len - at < chunk ? message_len - at : chunk;
        CHECK_OK(mrkenv_decryptor_update(dec, message + at, n, &out));
        if (out.len > most) most = out.len;
        append(&result, &result_len, &out);
        at += n;
    }
    CHECK_OK(mrkenv_decryptor_finish(dec));
    mrkenv_decryptor_free(dec);
    CHECK(result_len == TOTAL && memcmp(result, text, TOTAL) == 0);
    CHECK(most <= FRAME);
    free(result);
    free(message);
    free(text);
    mrkenv_keyring_free(keyring);
}

static void stream_failures(void) {
    mrkenv_keyring *keyring = keyring_new();
    CHECK(keyring != NULL);
    uint8_t text[3 * FRAME];
    fill_pattern(text, sizeof text, 3);
    mrkenv_bytes message = {0}, out = {0};
    CHECK_OK(mrkenv_encrypt_with_frame_length(keyring, text, sizeof text, NULL, 0, FRAME, &message));
    /* Truncated: finish fails. */
    mrkenv_decryptor *dec = NULL;
    CHECK_OK(mrkenv_decryptor_new(keyring, NULL, 0, &dec));
    CHECK_OK(mrkenv_decryptor_update(dec, message.data, message.len - 20, &out));
    mrkenv_bytes_free(&out);
    CHECK_STATUS(mrkenv_decryptor_finish(dec), MRKENV_STATUS_MALFORMED_MESSAGE);
    CHECK(last_error_contains("truncated"));
    mrkenv_decryptor_free(dec);
    /* Tampered last frame: update fails, output empty, then refuses input. */
    message.data[message.len - 5] ^= 0x80;
    CHECK_OK(mrkenv_decryptor_new(keyring, NULL, 0, &dec));
    out = (mrkenv_bytes){0};
    CHECK_STATUS(mrkenv_decryptor_update(dec, message.data, message.len, &out), MRKENV_STATUS_AUTHENTICATION);
    CHECK(out.data == NULL && out.len == 0);
    CHECK_STATUS(mrkenv_decryptor_update(dec, message.data, 1, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("already failed"));
    CHECK_STATUS(mrkenv_decryptor_finish(dec), MRKENV_STATUS_INVALID_ARGUMENT);
    mrkenv_decryptor_free(dec);
    message.data[message.len - 5] ^= 0x80;
    /* Required context missing: fails when the header arrives. */
    mrkenv_context_entry required[] = {{"tenant", "acme"}};
    CHECK_OK(mrkenv_decryptor_new(keyring, required, 1, &dec));
    CHECK_STATUS(mrkenv_decryptor_update(dec, message.data, message.len, &out), MRKENV_STATUS_CONTEXT_MISMATCH);
    mrkenv_decryptor_free(dec);
    /* Wrong key: NoDecryptableKey at the header. */
    uint8_t other_key[32] = {8};
    mrkenv_keyring *other = NULL;
    CHECK_OK(mrkenv_raw_aes_keyring_new("c-tests", "stream", other_key, 32, &other));
    CHECK_OK(mrkenv_decryptor_new(other, NULL, 0, &dec));
    mrkenv_keyring_free(other); /* the decryptor keeps its own copy */
    CHECK_STATUS(mrkenv_decryptor_update(dec, message.data, message.len, &out), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    mrkenv_decryptor_free(dec);
    /* Trailing bytes after the final frame. */
    uint8_t *longer = malloc(message.len + 1);
    memcpy(longer, message.data, message.len);
    longer[message.len] = 0;
    CHECK_OK(mrkenv_decryptor_new(keyring, NULL, 0, &dec));
    mrkenv_status st = mrkenv_decryptor_update(dec, longer, message.len + 1, &out);
    mrkenv_bytes_free(&out);
    if (st == MRKENV_STATUS_OK) st = mrkenv_decryptor_finish(dec);
    CHECK_STATUS(st, MRKENV_STATUS_MALFORMED_MESSAGE);
    mrkenv_decryptor_free(dec);
    free(longer);
    /* Bad frame length for an encryptor. */
    mrkenv_encryptor *enc = (mrkenv_encryptor *)&enc;
    CHECK(mrkenv_encryptor_new(keyring, NULL, 0, 5, &enc) != MRKENV_STATUS_OK);
    CHECK(enc == NULL);
    /* An encryptor freed before finishing is fine. */
    CHECK_OK(mrkenv_encryptor_new(keyring, NULL, 0, 0, &enc));
    CHECK_OK(mrkenv_encryptor_update(enc, text, 100, &out));
    mrkenv_bytes_free(&out);
    mrkenv_encryptor_free(enc);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(keyring);
}

/* Handles used out of order: finish twice, input after finish, finish with
 * no input, NULL input with a length. */
static void finish_twice_and_use_after_finish(void) {
    mrkenv_keyring *keyring = keyring_new();
    CHECK(keyring != NULL);
    uint8_t text[FRAME + 10];
    fill_pattern(text, sizeof text, 5);
    mrkenv_encryptor *enc = NULL;
    mrkenv_bytes out = {0};
    uint8_t *message = NULL;
    size_t len = 0;
    CHECK_OK(mrkenv_encryptor_new(keyring, NULL, 0, FRAME, &enc));
    CHECK_STATUS(mrkenv_encryptor_update(enc, NULL, 3, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_OK(mrkenv_encryptor_update(enc, NULL, 0, &out)); /* nothing is fine */
    append(&message, &len, &out);
    CHECK_OK(mrkenv_encryptor_update(enc, text, sizeof text, &out));
    append(&message, &len, &out);
    CHECK_OK(mrkenv_encryptor_finish(enc, &out));
    CHECK(out.len > 0);
    append(&message, &len, &out);
    out = (mrkenv_bytes){0};
    CHECK_STATUS(mrkenv_encryptor_finish(enc, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(out.data == NULL && out.len == 0);
    CHECK(last_error_contains("finished"));
    CHECK_STATUS(mrkenv_encryptor_update(enc, NULL, 0, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(out.data == NULL && out.len == 0);
    mrkenv_encryptor_free(enc);
    /* The message made before the misuse is intact. */
    message = realloc(message, len + 1);
    CHECK(message != NULL);
    mrkenv_bytes plain = {0};
    CHECK_OK(mrkenv_decrypt(keyring, message, len, &plain));
    CHECK(plain.len == sizeof text && memcmp(plain.data, text, sizeof text) == 0);
    mrkenv_bytes_free(&plain);
    /* Decryptor: finish is idempotent after success; more input is trailing bytes. */
    mrkenv_decryptor *dec = NULL;
    CHECK_OK(mrkenv_decryptor_new(keyring, NULL, 0, &dec));
    CHECK_STATUS(mrkenv_decryptor_update(dec, NULL, 3, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_OK(mrkenv_decryptor_update(dec, message, len, &out));
    CHECK(out.len == sizeof text);
    mrkenv_bytes_free(&out);
    CHECK_OK(mrkenv_decryptor_finish(dec));
    CHECK_OK(mrkenv_decryptor_finish(dec));
    message[len] = 0;
    CHECK_STATUS(mrkenv_decryptor_update(dec, message + len, 1, &out), MRKENV_STATUS_MALFORMED_MESSAGE);
    CHECK(out.data == NULL && out.len == 0);
    CHECK_STATUS(mrkenv_decryptor_finish(dec), MRKENV_STATUS_INVALID_ARGUMENT);
    mrkenv_decryptor_free(dec);
    /* Finish before any input: the header is missing. */
    CHECK_OK(mrkenv_decryptor_new(keyring, NULL, 0, &dec));
    CHECK_STATUS(mrkenv_decryptor_finish(dec), MRKENV_STATUS_MALFORMED_MESSAGE);
    CHECK(last_error_contains("truncated"));
    mrkenv_decryptor_free(dec);
    free(message);
    mrkenv_keyring_free(keyring);
}

const test_case stream_tests[] = {
    {"multi_frame_small_chunks", multi_frame_small_chunks},
    {"stream_failures", stream_failures},
    {"finish_twice_and_use_after_finish", finish_twice_and_use_after_finish},
};
const size_t stream_tests_count = sizeof stream_tests / sizeof stream_tests[0];
