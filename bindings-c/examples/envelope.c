/* mrkenv C example: a KMS keyring over callbacks, one-shot and streaming.
 *
 * The "KMS" here is a toy that keeps its master key in memory, standing in
 * for a real client (the AWS SDK for C++, or an HTTP call to KMS). It shows
 * the shape of the callbacks: read the request, fill the library-owned
 * response with the mrkenv_kms_response_set_* functions, return 0.
 *
 * Build: make            Run: make run */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrkenv.h"

#define KEY_ARN "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"
#define REPLICA_ARN "arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"

typedef struct {
    uint8_t master[32]; /* the toy KMS key, shared by both Regions (an MRK) */
    unsigned calls;
} toy_kms;

static void toy_wrap(const toy_kms *kms, const uint8_t *in, uint8_t *out) {
    for (int i = 0; i < 32; i++) out[i] = in[i] ^ kms->master[i];
}

static int toy_generate_data_key(void *user, const char *key_id, size_t number_of_bytes,
                                 const mrkenv_context_entry *context, size_t context_len,
                                 mrkenv_kms_response *response) {
    toy_kms *kms = user;
    (void)context; (void)context_len;
    kms->calls++;
    if (number_of_bytes != 32) return MRKENV_STATUS_KMS_CALLBACK_FAILED;
    uint8_t key[32], blob[32];
    for (int i = 0; i < 32; i++) key[i] = (uint8_t)rand(); /* toy only: use KMS for real keys */
    toy_wrap(kms, key, blob);
    mrkenv_kms_response_set_key_id(response, key_id);
    mrkenv_kms_response_set_plaintext(response, key, sizeof key);
    mrkenv_kms_response_set_ciphertext_blob(response, blob, sizeof blob);
    memset(key, 0, sizeof key);
    return MRKENV_STATUS_OK;
}

static int toy_decrypt(void *user, const char *key_id, const uint8_t *blob, size_t blob_len,
                       const mrkenv_context_entry *context, size_t context_len,
                       mrkenv_kms_response *response) {
    toy_kms *kms = user;
    (void)context; (void)context_len;
    kms->calls++;
    if (blob_len != 32) {
        mrkenv_kms_response_set_error(response, "toy KMS: InvalidCiphertextException");
        return MRKENV_STATUS_KMS_CALLBACK_FAILED;
    }
    uint8_t key[32];
    toy_wrap(kms, blob, key);
    mrkenv_kms_response_set_key_id(response, key_id); /* the ARN that was asked */
    mrkenv_kms_response_set_plaintext(response, key, sizeof key);
    memset(key, 0, sizeof key);
    return MRKENV_STATUS_OK;
}

static int fail(const char *what, mrkenv_status status) {
    char message[1024];
    mrkenv_last_error_message(message, sizeof message);
    fprintf(stderr, "%s failed: %s: %s\n", what, mrkenv_status_name((int)status), message);
    return 1;
}

int main(void) {
    toy_kms kms;
    memset(kms.master, 0x5c, sizeof kms.master);
    kms.calls = 0;
    mrkenv_kms_client client = {&kms, toy_generate_data_key, NULL, toy_decrypt};
    mrkenv_status st;

    /* Writer in us-east-1. */
    const char *writer_keys[] = {KEY_ARN};
    mrkenv_keyring *writer = NULL;
    if ((st = mrkenv_kms_mrk_keyring_new(writer_keys, 1, &client, &writer))) return fail("keyring", st);
    mrkenv_context_entry context[] = {{"tenant", "acme"}, {"table", "orders"}};
    const char *text = "order 42: 3 widgets";
    mrkenv_bytes message = {0};
    st = mrkenv_encrypt(writer, (const uint8_t *)text, strlen(text), context, 2, &message);
    if (st) return fail("encrypt", st);
    printf("encrypted %zu bytes into a %zu-byte message\n", strlen(text), message.len);

    char *json = NULL;
    if ((st = mrkenv_inspect_json(message.data, message.len, &json))) return fail("inspect", st);
    printf("header: %s\n", json);
    mrkenv_string_free(json);

    /* Reader in eu-west-1: its replica of the same MRK, no cross-Region call. */
    const char *reader_keys[] = {REPLICA_ARN};
    mrkenv_keyring *reader = NULL;
    if ((st = mrkenv_kms_mrk_keyring_new(reader_keys, 1, &client, &reader))) return fail("keyring", st);
    mrkenv_context_entry required[] = {{"tenant", "acme"}};
    mrkenv_bytes plain = {0};
    st = mrkenv_decrypt_with_required_context(reader, message.data, message.len, required, 1, &plain);
    if (st) return fail("decrypt", st);
    printf("decrypted in eu-west-1: %.*s\n", (int)plain.len, (const char *)plain.data);
    mrkenv_bytes_free(&plain);

    /* The same message through a decryptor, 10 bytes at a time. */
    mrkenv_decryptor *dec = NULL;
    if ((st = mrkenv_decryptor_new(reader, required, 1, &dec))) return fail("decryptor", st);
    size_t total = 0;
    for (size_t at = 0; at < message.len; at += 10) {
        size_t n = message.len - at < 10 ? message.len - at : 10;
        mrkenv_bytes chunk = {0};
        if ((st = mrkenv_decryptor_update(dec, message.data + at, n, &chunk))) return fail("update", st);
        total += chunk.len;
        mrkenv_bytes_free(&chunk);
    }
    if ((st = mrkenv_decryptor_finish(dec))) return fail("finish", st);
    mrkenv_decryptor_free(dec);
    printf("streamed %zu plaintext bytes; %u KMS calls in all\n", total, kms.calls);

    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(reader);
    mrkenv_keyring_free(writer);
    return total == strlen(text) ? 0 : 1;
}
