/* Every shared vector in tests/vectors: one-shot decrypt, streaming decrypt
 * in small chunks, byte-identical re-encryption where the vector says so, and
 * the header summary (mrkenv_inspect_json) against the vector's fields. */
#define _DEFAULT_SOURCE
#include "support.h"

#include <stdlib.h>
#include <string.h>

/* The scripted KMS client of tests/vectors/README.md. */
typedef struct {
    const json *keyring;
    const uint8_t *data_key;
    size_t data_key_len;
} vector_kms;

static const json *response_at(const vector_kms *kms, const char *key_id) {
    const json *ids = json_get(kms->keyring, "key_ids");
    const json *responses = json_get(kms->keyring, "kms_responses");
    for (size_t i = 0; ids && responses && i < ids->count && i < responses->count; i++)
        if (strcmp(ids->items[i].string, key_id) == 0) return &responses->items[i];
    return NULL;
}

static int set_response(mrkenv_kms_response *response, const json *answer, bool with_blob) {
    const char *blob_hex = json_get_string(answer, "ciphertext_blob");
    if (mrkenv_kms_response_set_key_id(response, json_get_string(answer, "key_id"))) return 1;
    if (with_blob) {
        size_t len;
        uint8_t *blob = hex_decode(blob_hex, &len);
        int st = mrkenv_kms_response_set_ciphertext_blob(response, blob, len);
        free(blob);
        if (st) return 1;
    }
    return 0;
}

static int vk_generate(void *user, const char *key_id, size_t n, const mrkenv_context_entry *ctx,
                       size_t ctx_len, mrkenv_kms_response *response) {
    (void)ctx; (void)ctx_len;
    vector_kms *kms = user;
    const json *answer = response_at(kms, key_id);
    if (!answer || n != kms->data_key_len) return MRKENV_STATUS_KMS_CALLBACK_FAILED;
    if (set_response(response, answer, true)) return MRKENV_STATUS_KMS_CALLBACK_FAILED;
    return mrkenv_kms_response_set_plaintext(response, kms->data_key, kms->data_key_len);
}

static int vk_encrypt(void *user, const char *key_id, const uint8_t *pt, size_t pt_len,
                      const mrkenv_context_entry *ctx, size_t ctx_len, mrkenv_kms_response *response) {
    (void)ctx; (void)ctx_len;
    vector_kms *kms = user;
    const json *answer = response_at(kms, key_id);
    if (!answer || pt_len != kms->data_key_len || memcmp(pt, kms->data_key, pt_len) != 0)
        return MRKENV_STATUS_KMS_CALLBACK_FAILED;
    return set_response(response, answer, true) ? MRKENV_STATUS_KMS_CALLBACK_FAILED : 0;
}

static int vk_decrypt(void *user, const char *key_id, const uint8_t *blob, size_t blob_len,
                      const mrkenv_context_entry *ctx, size_t ctx_len, mrkenv_kms_response *response) {
    (void)ctx; (void)ctx_len;
    vector_kms *kms = user;
    const json *responses = json_get(kms->keyring, "kms_responses");
    for (size_t i = 0; responses && i < responses->count; i++) {
        size_t len;
        uint8_t *expected = hex_decode(json_get_string(&responses->items[i], "ciphertext_blob"), &len);
        bool same_blob = len == blob_len && memcmp(expected, blob, len) == 0;
        free(expected);
        bool match = false;
        if (!same_blob ||
            mrkenv_mrk_match(key_id, json_get_string(&responses->items[i], "key_id"), &match) ||
            !match)
            continue;
        mrkenv_kms_response_set_key_id(response, key_id);
        mrkenv_kms_response_set_plaintext(response, kms->data_key, kms->data_key_len);
        return 0;
    }
    mrkenv_kms_response_set_error(response, "scripted KMS: no such ciphertext for this key");
    return MRKENV_STATUS_KMS_CALLBACK_FAILED;
}

/* Makes the keyring a vector describes. */
static mrkenv_status make_keyring(const json *spec, vector_kms *kms, mrkenv_keyring **out) {
    const char *type = json_get_string(spec, "type");
    if (type && strcmp(type, "raw-aes") == 0) {
        size_t key_len;
        uint8_t *key = hex_decode(json_get_string(spec, "wrapping_key"), &key_len);
        mrkenv_status st = mrkenv_raw_aes_keyring_new(json_get_string(spec, "key_namespace"),
                                                      json_get_string(spec, "key_name"), key,
                                                      key_len, out);
        free(key);
        return st;
    }
    if (type && strcmp(type, "aws-kms") == 0) {
        const json *ids = json_get(spec, "key_ids");
        const char *key_ids[16];
        size_t n = ids->count < 16 ? ids->count : 16;
        for (size_t i = 0; i < n; i++) key_ids[i] = ids->items[i].string;
        kms->keyring = spec;
        mrkenv_kms_client client = {kms, vk_generate, vk_encrypt, vk_decrypt};
        return mrkenv_kms_mrk_keyring_new(key_ids, n, &client, out);
    }
    printf("    unknown keyring type %s\n", type ? type : "(none)");
    return MRKENV_STATUS_INVALID_ARGUMENT;
}

typedef struct {
    json *doc;
    const char *name;
    uint8_t *data_key, *plaintext, *ciphertext, *message_id, *iv;
    size_t data_key_len, plaintext_len, ciphertext_len, message_id_len, iv_len;
    mrkenv_context_entry *context, *required;
    size_t context_len, required_len;
    bool expect_ok;
    const char *error_kind;
} vector;

static void vector_free(vector *v) {
    free(v->data_key); free(v->plaintext); free(v->ciphertext); free(v->message_id); free(v->iv);
    free(v->context); free(v->required);
    json_free(v->doc);
    memset(v, 0, sizeof *v);
}

static bool vector_load(const char *path, vector *v) {
    memset(v, 0, sizeof *v);
    char *text = read_file(path, NULL);
    if (!text) { printf("    cannot read %s\n", path); return false; }
    v->doc = json_parse(text);
    free(text);
    if (!v->doc) return false;
    v->name = json_get_string(v->doc, "name");
    v->data_key = hex_decode(json_get_string(v->doc, "data_key"), &v->data_key_len);
    v->plaintext = hex_decode(json_get_string(v->doc, "plaintext"), &v->plaintext_len);
    v->ciphertext = hex_decode(json_get_string(v->doc, "ciphertext"), &v->ciphertext_len);
    v->message_id = hex_decode(json_get_string(v->doc, "message_id"), &v->message_id_len);
    if (json_get_string(v->doc, "raw_aes_iv"))
        v->iv = hex_decode(json_get_string(v->doc, "raw_aes_iv"), &v->iv_len);
    v->context = context_from_json(json_get(v->doc, "encryption_context"), &v->context_len);
    v->required = context_from_json(json_get(v->doc, "required_encryption_context"), &v->required_len);
    const char *result = json_get_string(v->doc, "result");
    v->expect_ok = result && strcmp(result, "ok") == 0;
    v->error_kind = json_get_string(v->doc, "error_kind");
    return v->name && v->data_key && v->plaintext && v->ciphertext && v->message_id;
}

/* Checks a decrypt outcome against the vector; prints why not. */
static bool outcome_matches(const vector *v, const char *how, mrkenv_status st, const uint8_t *pt,
                            size_t pt_len) {
    char message[1024];
    mrkenv_last_error_message(message, sizeof message);
    if (v->expect_ok) {
        if (st != MRKENV_STATUS_OK) {
            printf("    %s %s: failed with %s: %s\n", v->name, how, mrkenv_status_name((int)st), message);
            return false;
        }
        if (pt_len != v->plaintext_len || (pt_len && memcmp(pt, v->plaintext, pt_len) != 0)) {
            printf("    %s %s: plaintext differs (%zu bytes, expected %zu)\n", v->name, how, pt_len,
                   v->plaintext_len);
            return false;
        }
        return true;
    }
    if (st == MRKENV_STATUS_OK) {
        printf("    %s %s: succeeded, expected %s\n", v->name, how, v->error_kind);
        return false;
    }
    if (!v->error_kind || strcmp(mrkenv_status_name((int)st), v->error_kind) != 0) {
        printf("    %s %s: failed with %s (%s), expected %s\n", v->name, how,
               mrkenv_status_name((int)st), message, v->error_kind ? v->error_kind : "?");
        return false;
    }
    if (pt != NULL || pt_len != 0) {
        printf("    %s %s: output not left empty on failure\n", v->name, how);
        return false;
    }
    return true;
}

static bool check_decrypt(const vector *v, const mrkenv_keyring *keyring) {
    mrkenv_bytes out = {0};
    mrkenv_status st = mrkenv_decrypt_with_required_context(
        keyring, v->ciphertext, v->ciphertext_len, v->required, v->required_len, &out);
    bool ok = outcome_matches(v, "decrypt", st, out.data, out.len);
    mrkenv_bytes_free(&out);
    return ok;
}

static bool check_stream(const vector *v, const mrkenv_keyring *keyring, size_t chunk) {
    mrkenv_decryptor *dec = NULL;
    mrkenv_status st = mrkenv_decryptor_new(keyring, v->required, v->required_len, &dec);
    uint8_t *plain = malloc(v->ciphertext_len + 1);
    size_t plain_len = 0;
    for (size_t at = 0; st == MRKENV_STATUS_OK && at < v->ciphertext_len; at += chunk) {
        size_t n = v->ciphertext_len - at < chunk ? v->ciphertext_len - at : chunk;
        mrkenv_bytes out = {0};
        st = mrkenv_decryptor_update(dec, v->ciphertext + at, n, &out);
        if (out.len) memcpy(plain + plain_len, out.data, out.len);
        plain_len += out.len;
        mrkenv_bytes_free(&out);
    }
    if (st == MRKENV_STATUS_OK) st = mrkenv_decryptor_finish(dec);
    mrkenv_decryptor_free(dec);
    char how[64];
    snprintf(how, sizeof how, "stream(%zu-byte chunks)", chunk);
    bool ok = outcome_matches(v, how, st, st == MRKENV_STATUS_OK ? plain : NULL,
                              st == MRKENV_STATUS_OK ? plain_len : 0);
    free(plain);
    return ok;
}

static bool check_reencrypt(const vector *v, const mrkenv_keyring *keyring) {
    const json *fl = json_get(v->doc, "frame_length");
    uint32_t frame_length = fl ? (uint32_t)fl->number : 0;
    mrkenv_bytes out = {0};
    mrkenv_status st = mrkenv_testing_encrypt_with(
        keyring, v->plaintext, v->plaintext_len, v->context, v->context_len, frame_length,
        v->message_id, v->iv ? v->data_key : NULL, v->iv, &out);
    bool ok = st == MRKENV_STATUS_OK && out.len == v->ciphertext_len &&
              memcmp(out.data, v->ciphertext, out.len) == 0;
    if (!ok) {
        char message[1024];
        mrkenv_last_error_message(message, sizeof message);
        printf("    %s re-encrypt: %s, %zu bytes (expected %zu)%s%s\n", v->name,
               mrkenv_status_name((int)st), out.len, v->ciphertext_len,
               st ? ": " : "", st ? message : "");
    }
    mrkenv_bytes_free(&out);
    return ok;
}

/* Why the header summary of a vector is not what the vector says, or NULL.
 * The fields are those of Python's `inspect` (the same core summary). */
static const char *inspect_mismatch(const vector *v, const json *summary) {
    const json *f = json_get(summary, "version");
    if (!f || f->type != JSON_NUMBER || f->number != 1) return "version is not 1";
    f = json_get(summary, "suite");
    if (!f || f->type != JSON_NUMBER || f->number != 1) return "suite is not 1";
    if (!json_get_string(summary, "suite_name")) return "no suite_name";
    const char *id = json_get_string(summary, "message_id");
    if (!id || strcmp(id, json_get_string(v->doc, "message_id")) != 0) return "message_id differs";
    f = json_get(summary, "frame_length");
    const json *want = json_get(v->doc, "frame_length");
    if (!f || !want || f->type != JSON_NUMBER || f->number != want->number) return "frame_length differs";
    const json *ctx = json_get(summary, "encryption_context");
    if (!ctx || ctx->type != JSON_OBJECT || ctx->count != v->context_len) return "encryption_context size differs";
    for (size_t i = 0; i < v->context_len; i++) {
        const char *value = json_get_string(ctx, v->context[i].key);
        if (!value || strcmp(value, v->context[i].value) != 0) return "encryption_context differs";
    }
    const json *edks = json_get(summary, "encrypted_data_keys");
    const json *keyring = json_get(v->doc, "keyring");
    const char *type = json_get_string(keyring, "type");
    if (!edks || edks->type != JSON_ARRAY || edks->count == 0) return "no encrypted_data_keys";
    /* A re-keyed vector (ok-rekeyed-*) keeps its source's encrypted data
     * keys first; `keyring` is the one that was added, so its keys are the
     * last ones. Any other vector holds the keyring's keys and no more. */
    bool rekeyed = strstr(v->name, "-rekeyed-") != NULL;
    if (type && strcmp(type, "raw-aes") == 0) {
        if (rekeyed ? edks->count < 1 : edks->count != 1) return "raw AES: not one encrypted data key";
        const json *edk = &edks->items[edks->count - 1];
        const char *pid = json_get_string(edk, "provider_id"), *info = json_get_string(edk, "provider_info");
        if (!pid || strcmp(pid, json_get_string(keyring, "key_namespace")) != 0) return "raw AES provider_id";
        if (!info || strcmp(info, json_get_string(keyring, "key_name")) != 0) return "raw AES provider_info";
        if (json_get(edk, "key_arn") || json_get(edk, "region") || json_get(edk, "is_mrk"))
            return "raw AES key with KMS fields";
        return json_get(edk, "ciphertext_len") ? NULL : "no ciphertext_len";
    }
    const json *responses = json_get(keyring, "kms_responses");
    if (!responses || (rekeyed ? responses->count > edks->count : responses->count != edks->count))
        return "KMS: encrypted data key count differs";
    size_t first = edks->count - responses->count;
    for (size_t i = 0; i < responses->count; i++) {
        const json *edk = &edks->items[first + i];
        const char *arn = json_get_string(&responses->items[i], "key_id");
        const char *pid = json_get_string(edk, "provider_id"), *info = json_get_string(edk, "provider_info");
        const char *key_arn = json_get_string(edk, "key_arn"), *region = json_get_string(edk, "region");
        const json *is_mrk = json_get(edk, "is_mrk"), *len = json_get(edk, "ciphertext_len");
        if (!pid || strcmp(pid, "aws-kms") != 0) return "KMS provider_id";
        if (!info || strcmp(info, arn) != 0) return "KMS provider_info is not the response KeyId";
        if (!key_arn || strcmp(key_arn, arn) != 0) return "KMS key_arn";
        /* arn:PARTITION:kms:REGION:... */
        const char *r = strchr(strchr(arn, ':') + 1, ':') + 1;
        r = strchr(r, ':') + 1;
        if (!region || strncmp(region, r, strlen(region)) != 0 || r[strlen(region)] != ':') return "KMS region";
        bool mrk = strstr(arn, ":key/mrk-") != NULL;
        if (!is_mrk || is_mrk->type != JSON_BOOL || is_mrk->boolean != mrk) return "KMS is_mrk";
        const char *blob = json_get_string(&responses->items[i], "ciphertext_blob");
        if (!len || len->type != JSON_NUMBER || len->number != (double)(strlen(blob) / 2)) return "KMS ciphertext_len";
    }
    return NULL;
}

static bool check_inspect(const vector *v) {
    char *text = NULL;
    mrkenv_status st = mrkenv_inspect_json(v->ciphertext, v->ciphertext_len, &text);
    if (st != MRKENV_STATUS_OK) {
        printf("    %s inspect: %s\n", v->name, mrkenv_status_name((int)st));
        return false;
    }
    json *summary = json_parse(text);
    const char *why = summary ? inspect_mismatch(v, summary) : "not JSON";
    if (why) printf("    %s inspect: %s\n    %s\n", v->name, why, text);
    json_free(summary);
    mrkenv_string_free(text);
    return why == NULL;
}

static void count(bool ok, const char *name, const char *aspect, int *passed, int *failed) {
    printf("%s vectors/%s/%s\n", ok ? "ok  " : "FAIL", name, aspect);
    if (ok) (*passed)++; else (*failed)++;
}

void run_vector_tests(int *passed, int *failed) {
    char *names[512];
    long listed = list_json(vectors_dir, names, 512);
    if (listed < 0) {
        printf("FAIL vectors: cannot open %s\n", vectors_dir);
        (*failed)++;
        return;
    }
    size_t n = (size_t)listed;
    if (n == 0) {
        printf("FAIL vectors: no *.json in %s\n", vectors_dir);
        (*failed)++;
    }
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", vectors_dir, names[i]);
        vector v;
        vector_kms kms = {0}, decrypt_kms = {0};
        mrkenv_keyring *keyring = NULL, *decrypt_keyring = NULL;
        if (!vector_load(path, &v)) {
            count(false, names[i], "load", passed, failed);
            vector_free(&v);
            free(names[i]);
            continue;
        }
        kms.data_key = decrypt_kms.data_key = v.data_key;
        kms.data_key_len = decrypt_kms.data_key_len = v.data_key_len;
        bool made = make_keyring(json_get(v.doc, "keyring"), &kms, &keyring) == MRKENV_STATUS_OK;
        const json *other = json_get(v.doc, "decrypt_keyring");
        if (made && other)
            made = make_keyring(other, &decrypt_kms, &decrypt_keyring) == MRKENV_STATUS_OK;
        if (!made) {
            count(false, v.name, "keyring", passed, failed);
        } else {
            const mrkenv_keyring *reader = decrypt_keyring ? decrypt_keyring : keyring;
            count(check_decrypt(&v, reader), v.name, "decrypt", passed, failed);
            count(check_stream(&v, reader, 7) && check_stream(&v, reader, 1000), v.name, "stream",
                  passed, failed);
            if (v.expect_ok) count(check_inspect(&v), v.name, "inspect", passed, failed);
            const json *re = json_get(v.doc, "reencrypt");
            if (re && re->type == JSON_BOOL && re->boolean)
                count(check_reencrypt(&v, keyring), v.name, "reencrypt", passed, failed);
        }
        mrkenv_keyring_free(keyring);
        mrkenv_keyring_free(decrypt_keyring);
        vector_free(&v);
        free(names[i]);
    }
}
