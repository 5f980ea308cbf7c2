/* Key material in memory the library frees is zeroed first.
 *
 * Linked with -Wl,--wrap=free, so every free() in the program (the Rust
 * library's included) goes through __wrap_free, which scans the block about
 * to be released for two 32-byte patterns: a data key (handed over by the KMS
 * callbacks, and also used as a plaintext so that mrkenv_bytes_free is
 * covered) and a raw AES wrapping key. A block that still holds either one
 * is a failure. A control block freed by the test itself shows the scan
 * works. Not run under valgrind/ASan (they have their own free). */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrkenv.h"

static uint8_t DATA_KEY[32], WRAPPING_KEY[32];
static int data_key_seen, wrapping_key_seen, frees;
static bool scanning;

void __real_free(void *ptr);

static bool holds(const uint8_t *block, size_t len, const uint8_t *pattern) {
    for (size_t i = 0; i + 32 <= len; i++)
        if (block[i] == pattern[0] && memcmp(block + i, pattern, 32) == 0) return true;
    return false;
}

void __wrap_free(void *ptr) {
    if (ptr && scanning) {
        frees++;
        size_t len = malloc_usable_size(ptr);
        if (holds(ptr, len, DATA_KEY)) data_key_seen++;
        if (holds(ptr, len, WRAPPING_KEY)) wrapping_key_seen++;
    }
    __real_free(ptr);
}

static int generate(void *user, const char *key_id, size_t n, const mrkenv_context_entry *ctx,
                    size_t ctx_len, mrkenv_kms_response *response) {
    (void)user; (void)n; (void)ctx; (void)ctx_len;
    mrkenv_kms_response_set_key_id(response, key_id);
    mrkenv_kms_response_set_plaintext(response, DATA_KEY, 32);
    mrkenv_kms_response_set_plaintext(response, DATA_KEY, 32); /* the replaced copy too */
    mrkenv_kms_response_set_ciphertext_blob(response, (const uint8_t *)"blob-1", 6);
    return 0;
}

static int encrypt(void *user, const char *key_id, const uint8_t *pt, size_t pt_len,
                   const mrkenv_context_entry *ctx, size_t ctx_len, mrkenv_kms_response *response) {
    (void)user; (void)pt; (void)pt_len; (void)ctx; (void)ctx_len;
    mrkenv_kms_response_set_key_id(response, key_id);
    mrkenv_kms_response_set_ciphertext_blob(response, (const uint8_t *)"blob-2", 6);
    return 0;
}

static int decrypt(void *user, const char *key_id, const uint8_t *blob, size_t blob_len,
                   const mrkenv_context_entry *ctx, size_t ctx_len, mrkenv_kms_response *response) {
    (void)user; (void)blob; (void)blob_len; (void)ctx; (void)ctx_len;
    mrkenv_kms_response_set_key_id(response, key_id);
    mrkenv_kms_response_set_plaintext(response, DATA_KEY, 32);
    return *(int *)user;
}

#define OK(expr)                                                                    \
    do {                                                                            \
        mrkenv_status st_ = (expr);                                                 \
        if (st_ != MRKENV_STATUS_OK) {                                              \
            printf("FAIL %s returned %s\n", #expr, mrkenv_status_name((int)st_));   \
            return 1;                                                               \
        }                                                                           \
    } while (0)

int main(void) {
    for (int i = 0; i < 32; i++) {
        DATA_KEY[i] = (uint8_t)(0xa0 + i);
        WRAPPING_KEY[i] = (uint8_t)(0x30 + i);
    }
    scanning = true;
    int decrypt_status = 0;
    mrkenv_kms_client client = {&decrypt_status, generate, encrypt, decrypt};
    const char *ids[] = {"arn:aws:kms:us-east-1:111122223333:key/mrk-1",
                         "arn:aws:kms:us-east-1:111122223333:key/k2"};
    mrkenv_keyring *kms = NULL, *raw = NULL;
    mrkenv_bytes message = {0}, out = {0};
    mrkenv_encryptor *enc = NULL;
    mrkenv_decryptor *dec = NULL;

    /* KMS keyring: one shot, streaming, and a Decrypt callback that fails after setting the key. */
    OK(mrkenv_kms_mrk_keyring_new(ids, 2, &client, &kms));
    OK(mrkenv_encrypt(kms, (const uint8_t *)"hello", 5, NULL, 0, &message));
    OK(mrkenv_decrypt(kms, message.data, message.len, &out));
    mrkenv_bytes_free(&out);
    OK(mrkenv_decryptor_new(kms, NULL, 0, &dec));
    OK(mrkenv_decryptor_update(dec, message.data, message.len, &out));
    mrkenv_bytes_free(&out);
    OK(mrkenv_decryptor_finish(dec));
    mrkenv_decryptor_free(dec);
    /* Re-keying (whole and header-only) finds and drops the data key too. */
    const char *remove[] = {ids[1]};
    mrkenv_rekey_options rekey = {.add = NULL, .remove = remove, .remove_len = 1};
    size_t body_offset = 0;
    OK(mrkenv_rekey(kms, message.data, message.len, &rekey, &out));
    mrkenv_bytes_free(&out);
    OK(mrkenv_rekey_header(kms, message.data, message.len, &rekey, &out, &body_offset));
    mrkenv_bytes_free(&out);
    decrypt_status = 1;
    if (mrkenv_decrypt(kms, message.data, message.len, &out) != MRKENV_STATUS_NO_DECRYPTABLE_KEY) {
        printf("FAIL a failing Decrypt callback did not give NO_DECRYPTABLE_KEY\n");
        return 1;
    }
    mrkenv_bytes_free(&message);
    OK(mrkenv_encryptor_new(kms, NULL, 0, 0, &enc));
    OK(mrkenv_encryptor_update(enc, (const uint8_t *)"x", 1, &out));
    mrkenv_bytes_free(&out);
    mrkenv_encryptor_free(enc); /* freed before finishing */
    mrkenv_keyring_free(kms);

    /* Raw AES keyring (wrapping key), with the data key pattern as the plaintext. */
    OK(mrkenv_raw_aes_keyring_new("ns", "name", WRAPPING_KEY, 32, &raw));
    OK(mrkenv_encrypt(raw, DATA_KEY, 32, NULL, 0, &message));
    OK(mrkenv_decrypt(raw, message.data, message.len, &out));
    mrkenv_bytes_free(&out);
    OK(mrkenv_decryptor_new(raw, NULL, 0, &dec));
    OK(mrkenv_decryptor_update(dec, message.data, message.len, &out));
    mrkenv_bytes_free(&out);
    mrkenv_decryptor_free(dec);
    mrkenv_rekey_options nothing = {0};
    OK(mrkenv_rekey(raw, message.data, message.len, &nothing, &out));
    mrkenv_bytes_free(&out);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(raw);

    /* Control: a block freed with the key in it is seen (through a volatile
     * pointer, so that the compiler cannot drop the malloc/free pair). */
    int before = data_key_seen, library_frees = frees;
    void (*volatile release)(void *) = free;
    uint8_t *control = malloc(64);
    memcpy(control + 8, DATA_KEY, 32);
    release(control);
    bool control_seen = data_key_seen == before + 1;
    data_key_seen = before;
    scanning = false;

    if (library_frees < 10) {
        printf("FAIL free() of the library is not wrapped (%d calls seen)\n", library_frees);
        return 1;
    }
    if (!control_seen) {
        printf("FAIL the free() scan does not work (control block not seen)\n");
        return 1;
    }
    if (data_key_seen || wrapping_key_seen) {
        printf("FAIL %d freed block(s) still held the data key, %d the wrapping key\n", data_key_seen,
               wrapping_key_seen);
        return 1;
    }
    printf("zeroize: none of %d freed blocks held key material\n", library_frees);
    return 0;
}
