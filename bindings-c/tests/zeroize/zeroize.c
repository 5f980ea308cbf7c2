/* Key material in memory the library frees is zeroed first.
 *
 * Linked with -Wl,--wrap=free, so every free() in the program (the Rust
 * library's included) goes through __wrap_free, which scans the block about
 * to be released for two 32-byte patterns: a data key (handed over by the KMS
 * callbacks, and also used as a plaintext so that mrkenv_bytes_free is
 * covered) and a raw AES wrapping key. A block that still holds either one
 * is a failure. realloc() is wrapped too (-Wl,--wrap=realloc): a block that
 * holds either pattern when it is reallocated is a failure, since the C
 * library may move it and free the old copy without zeroing it (growing a
 * plaintext buffer must not happen: outputs are reserved at their final
 * size). A 1 MiB-frame message read by the stream decryptor in 64 KiB pieces
 * covers the decryptor's output capacity; a record with the data key pattern
 * as a binary attribute covers record encrypt and decrypt. Control blocks freed and
 * reallocated by the test itself show the scans work. Not run under
 * valgrind/ASan (they have their own free). */
#define _DEFAULT_SOURCE /* explicit_bzero */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrkenv.h"

static uint8_t DATA_KEY[32], WRAPPING_KEY[32];
static int data_key_seen, wrapping_key_seen, frees, reallocs_with_key;
static bool scanning;

void __real_free(void *ptr);
void *__real_realloc(void *ptr, size_t size);

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

void *__wrap_realloc(void *ptr, size_t size) {
    if (ptr && scanning) {
        size_t len = malloc_usable_size(ptr);
        if (holds(ptr, len, DATA_KEY) || holds(ptr, len, WRAPPING_KEY)) reallocs_with_key++;
    }
    return __real_realloc(ptr, size);
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

    /* 1 MiB frames, read in 64 KiB pieces: each call's plaintext output is
     * reserved at its final size (a frame is released at once, 16 times the
     * piece given), so it is never grown. The plaintext repeats the key pattern. */
    size_t big_len = 3 * 1024 * 1024 + 100;
    uint8_t *big = malloc(big_len);
    for (size_t i = 0; i < big_len; i++) big[i] = DATA_KEY[i % 32];
    OK(mrkenv_encrypt_with_frame_length(raw, big, big_len, NULL, 0, 1024 * 1024, &message));
    OK(mrkenv_decryptor_new(raw, NULL, 0, &dec));
    size_t got = 0;
    for (size_t at = 0; at < message.len; at += 64 * 1024) {
        size_t n = message.len - at < 64 * 1024 ? message.len - at : 64 * 1024;
        OK(mrkenv_decryptor_update(dec, message.data + at, n, &out));
        if (out.len && memcmp(out.data, big + got, out.len) != 0) {
            printf("FAIL the 1 MiB-frame stream decrypted to the wrong plaintext\n");
            return 1;
        }
        got += out.len;
        mrkenv_bytes_free(&out);
    }
    OK(mrkenv_decryptor_finish(dec));
    mrkenv_decryptor_free(dec);
    if (got != big_len) {
        printf("FAIL the 1 MiB-frame stream gave %zu bytes, not %zu\n", got, big_len);
        return 1;
    }
    mrkenv_bytes_free(&message);
    explicit_bzero(big, big_len); /* a plain memset before free() may be optimised away */
    free(big);

    /* Records: the data key pattern as a B attribute, alone and in a list,
     * encrypted and decrypted. The JSON carries it in base64, so only the
     * library's decoded copies hold the raw pattern: the encrypt must wipe
     * the plaintext values it replaces, the decrypt the item it wrote out. */
    const char *item =
        "{\"pk\":{\"S\":\"k\"},\"b\":{\"B\":\"oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8=\"},"
        "\"l\":{\"L\":[{\"B\":\"oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8=\"}]}}";
    mrkenv_record_action pk_signed = {.attribute = "pk", .action = "SIGN_ONLY"};
    mrkenv_record_encrypt_options record_enc = {.table_name = "t", .partition_key = "pk",
                                                .actions = &pk_signed, .actions_len = 1,
                                                .default_action = "ENCRYPT_AND_SIGN"};
    mrkenv_record_decrypt_options record_dec = {.table_name = "t", .partition_key = "pk"};
    char *encrypted = NULL, *decrypted = NULL;
    OK(mrkenv_encrypt_record_json(raw, item, &record_enc, &encrypted));
    OK(mrkenv_decrypt_record_json(raw, encrypted, &record_dec, &decrypted));
    if (!strstr(decrypted, "oKGio6SlpqeoqaqrrK2ur7CxsrO0tba3uLm6u7y9vr8=")) {
        printf("FAIL the record did not decrypt to its item: %s\n", decrypted);
        return 1;
    }
    mrkenv_string_free(decrypted);
    mrkenv_string_free(encrypted);
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
    int reallocs_before = reallocs_with_key;
    void *(*volatile grow)(void *, size_t) = realloc;
    control = malloc(64);
    memcpy(control + 8, DATA_KEY, 32);
    control = grow(control, 4096);
    bool realloc_control_seen = reallocs_with_key == reallocs_before + 1;
    reallocs_with_key = reallocs_before;
    memset(control, 0, 4096);
    release(control);
    scanning = false;

    if (library_frees < 10) {
        printf("FAIL free() of the library is not wrapped (%d calls seen)\n", library_frees);
        return 1;
    }
    if (!control_seen) {
        printf("FAIL the free() scan does not work (control block not seen)\n");
        return 1;
    }
    if (!realloc_control_seen) {
        printf("FAIL the realloc() scan does not work (control block not seen)\n");
        return 1;
    }
    if (reallocs_with_key) {
        printf("FAIL %d block(s) holding key material or plaintext were reallocated\n", reallocs_with_key);
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
