/* KMS keyrings over C callbacks, against a fake KMS (declared in support.h,
 * also used by records.c) that simulates two Regions: MRK replica decrypt (strict keyring), discovery Region rewrite,
 * a callback that fails, a callback that answers with the wrong key id. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

/* Splits "arn:aws:kms:REGION:ACCOUNT:key/ID". */
static bool split_arn(const char *arn, char *region, char *account, char *id) {
    const char *p = arn;
    if (strncmp(p, "arn:aws:kms:", 12) != 0) return false;
    p += 12;
    const char *colon = strchr(p, ':');
    if (!colon || colon - p >= 64) return false;
    memcpy(region, p, (size_t)(colon - p));
    region[colon - p] = '\0';
    p = colon + 1;
    colon = strchr(p, ':');
    if (!colon || colon - p >= 64) return false;
    memcpy(account, p, (size_t)(colon - p));
    account[colon - p] = '\0';
    p = colon + 1;
    if (strncmp(p, "key/", 4) != 0 || strlen(p + 4) >= 128) return false;
    strcpy(id, p + 4);
    return true;
}

/* The key must live in this client's Region. */
static bool in_region(fake_kms *kms, const char *key_id, char *account, char *id,
                      mrkenv_kms_response *response) {
    char region[64];
    if (!split_arn(key_id, region, account, id)) {
        mrkenv_kms_response_set_error(response, "fake KMS: NotFoundException (not a key ARN)");
        return false;
    }
    if (strcmp(region, kms->region) != 0) {
        char message[256];
        snprintf(message, sizeof message, "fake KMS in %s: key is in %s", kms->region, region);
        mrkenv_kms_response_set_error(response, message);
        return false;
    }
    return true;
}

static size_t context_string(const mrkenv_context_entry *ctx, size_t n, char *out, size_t cap) {
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s=%s;", ctx[i].key, ctx[i].value);
    return len;
}

/* Blob: "FAKE|account|key id|home region|context|" + 32 masked key bytes. */
static int wrap(fake_kms *kms, const char *account, const char *id, const uint8_t *key,
                const mrkenv_context_entry *ctx, size_t ctx_len, mrkenv_kms_response *response) {
    char blob[1024], context[512];
    context_string(ctx, ctx_len, context, sizeof context);
    int n = snprintf(blob, sizeof blob, "FAKE|%s|%s|%s|%s|", account, id,
                     strncmp(id, "mrk-", 4) == 0 ? "*" : kms->region, context);
    for (int i = 0; i < 32; i++) blob[n + i] = (char)(key[i] ^ 0xA5);
    return mrkenv_kms_response_set_ciphertext_blob(response, (const uint8_t *)blob, (size_t)n + 32);
}

static int fake_generate(void *user, const char *key_id, size_t n, const mrkenv_context_entry *ctx,
                         size_t ctx_len, mrkenv_kms_response *response) {
    fake_kms *kms = user;
    kms->generate_calls++;
    char account[64], id[128];
    if (kms->fail_generate) {
        mrkenv_kms_response_set_error(response, "fake KMS: throttled");
        return MRKENV_STATUS_KMS_CALLBACK_FAILED;
    }
    if (n != 32 || !in_region(kms, key_id, account, id, response)) return MRKENV_STATUS_KMS_CALLBACK_FAILED;
    uint8_t key[32];
    fill_pattern(key, sizeof key, 1000u + kms->next_key++);
    int st = wrap(kms, account, id, key, ctx, ctx_len, response);
    if (!st) st = mrkenv_kms_response_set_plaintext(response, key, sizeof key);
    if (!st) st = mrkenv_kms_response_set_key_id(response, key_id);
    memset(key, 0, sizeof key);
    return st;
}

static int fake_encrypt(void *user, const char *key_id, const uint8_t *pt, size_t pt_len,
                        const mrkenv_context_entry *ctx, size_t ctx_len, mrkenv_kms_response *response) {
    fake_kms *kms = user;
    kms->encrypt_calls++;
    char account[64], id[128];
    if (pt_len != 32 || !in_region(kms, key_id, account, id, response)) return MRKENV_STATUS_KMS_CALLBACK_FAILED;
    int st = wrap(kms, account, id, pt, ctx, ctx_len, response);
    if (st) return st;
    return mrkenv_kms_response_set_key_id(response, key_id);
}

static int fake_decrypt(void *user, const char *key_id, const uint8_t *blob, size_t blob_len,
                        const mrkenv_context_entry *ctx, size_t ctx_len, mrkenv_kms_response *response) {
    fake_kms *kms = user;
    if (kms->decrypt_calls < 8) snprintf(kms->asked[kms->decrypt_calls], 256, "%s", key_id);
    kms->decrypt_calls++;
    if (kms->fail_decrypt_calls > 0) {
        kms->fail_decrypt_calls--;
        mrkenv_kms_response_set_error(response, "fake KMS: AccessDeniedException");
        return 77;
    }
    char account[64], id[128], expected[1024], context[512];
    if (!in_region(kms, key_id, account, id, response)) return MRKENV_STATUS_KMS_CALLBACK_FAILED;
    context_string(ctx, ctx_len, context, sizeof context);
    int n = snprintf(expected, sizeof expected, "FAKE|%s|%s|%s|%s|", account, id,
                     strncmp(id, "mrk-", 4) == 0 ? "*" : kms->region, context);
    if (blob_len != (size_t)n + 32 || memcmp(blob, expected, (size_t)n) != 0) {
        mrkenv_kms_response_set_error(response, "fake KMS: InvalidCiphertextException");
        return MRKENV_STATUS_KMS_CALLBACK_FAILED;
    }
    uint8_t key[32];
    for (int i = 0; i < 32; i++) key[i] = blob[n + i] ^ 0xA5;
    mrkenv_kms_response_set_plaintext(response, key, sizeof key);
    memset(key, 0, sizeof key);
    mrkenv_kms_response_set_key_id(response, kms->wrong_key_id ? MRK2_EAST : key_id);
    return 0;
}

mrkenv_kms_client fake_kms_client(fake_kms *kms) {
    mrkenv_kms_client client = {kms, fake_generate, fake_encrypt, fake_decrypt};
    return client;
}

static const mrkenv_context_entry CONTEXT[] = {{"table", "orders"}, {"tenant", "acme"}};
static const char TEXT[] = "replicated row: order 42";

/* Encrypts TEXT in us-east-1 under the given keys. */
static mrkenv_status encrypt_east(fake_kms *east, const char *const *ids, size_t n, mrkenv_bytes *out) {
    mrkenv_kms_client client = fake_kms_client(east);
    mrkenv_keyring *keyring = NULL;
    mrkenv_status st = mrkenv_kms_mrk_keyring_new(ids, n, &client, &keyring);
    if (st == MRKENV_STATUS_OK)
        st = mrkenv_encrypt(keyring, (const uint8_t *)TEXT, strlen(TEXT), CONTEXT, 2, out);
    mrkenv_keyring_free(keyring);
    return st;
}

static bool is_text(const mrkenv_bytes *b) {
    return b->len == strlen(TEXT) && memcmp(b->data, TEXT, b->len) == 0;
}

static void strict_mrk_replica_decrypt(void) {
    fake_kms east = {.region = "us-east-1"}, west = {.region = "us-west-2"};
    const char *ids[] = {MRK_EAST};
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(encrypt_east(&east, ids, 1, &message));
    CHECK(east.generate_calls == 1 && east.encrypt_calls == 0);
    /* A reader in us-west-2 configured with its replica. */
    const char *west_ids[] = {MRK_WEST};
    mrkenv_kms_client client = fake_kms_client(&west);
    mrkenv_keyring *reader = NULL;
    CHECK_OK(mrkenv_kms_mrk_keyring_new(west_ids, 1, &client, &reader));
    CHECK_OK(mrkenv_decrypt_with_required_context(reader, message.data, message.len, CONTEXT, 1, &plain));
    CHECK(is_text(&plain));
    CHECK(west.decrypt_calls == 1 && strcmp(west.asked[0], MRK_WEST) == 0);
    mrkenv_bytes_free(&plain);
    /* The header records the ARN that generated the key. */
    char *json = NULL;
    CHECK_OK(mrkenv_inspect_json(message.data, message.len, &json));
    CHECK(strstr(json, "\"key_arn\":\"" MRK_EAST "\"") && strstr(json, "\"is_mrk\":true") &&
          strstr(json, "\"region\":\"us-east-1\""));
    mrkenv_string_free(json);
    mrkenv_keyring_free(reader);
    mrkenv_bytes_free(&message);
}

static void discovery_region_rewrite(void) {
    fake_kms east = {.region = "us-east-1"}, west = {.region = "us-west-2"};
    const char *ids[] = {MRK_EAST};
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(encrypt_east(&east, ids, 1, &message));
    mrkenv_kms_client client = fake_kms_client(&west);
    mrkenv_keyring *discovery = NULL;
    const char *accounts[] = {ACCOUNT};
    CHECK_OK(mrkenv_kms_mrk_discovery_keyring_new("us-west-2", "aws", accounts, 1, &client, &discovery));
    CHECK_OK(mrkenv_decrypt(discovery, message.data, message.len, &plain));
    CHECK(is_text(&plain));
    CHECK(west.decrypt_calls == 1 && strcmp(west.asked[0], MRK_WEST) == 0);
    mrkenv_bytes_free(&plain);
    /* Streaming decrypt through the discovery keyring too. */
    mrkenv_decryptor *dec = NULL;
    CHECK_OK(mrkenv_decryptor_new(discovery, NULL, 0, &dec));
    CHECK_OK(mrkenv_decryptor_update(dec, message.data, message.len, &plain));
    CHECK_OK(mrkenv_decryptor_finish(dec));
    CHECK(is_text(&plain));
    mrkenv_bytes_free(&plain);
    mrkenv_decryptor_free(dec);
    /* A discovery keyring cannot encrypt. */
    CHECK_STATUS(mrkenv_encrypt(discovery, (const uint8_t *)"x", 1, NULL, 0, &plain), MRKENV_STATUS_KEYRING);
    CHECK(last_error_contains("discovery keyring cannot encrypt"));
    CHECK(plain.data == NULL);
    mrkenv_keyring_free(discovery);
    /* Another account in the filter: skipped, never called. */
    const char *others[] = {"444455556666"};
    west.decrypt_calls = 0;
    CHECK_OK(mrkenv_kms_mrk_discovery_keyring_new("us-west-2", "aws", others, 1, &client, &discovery));
    CHECK_STATUS(mrkenv_decrypt(discovery, message.data, message.len, &plain), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(last_error_contains("not in the discovery filter"));
    CHECK(west.decrypt_calls == 0);
    mrkenv_keyring_free(discovery);
    /* No filter: fine as well. */
    CHECK_OK(mrkenv_kms_mrk_discovery_keyring_new("us-west-2", NULL, NULL, 0, &client, &discovery));
    CHECK_OK(mrkenv_decrypt(discovery, message.data, message.len, &plain));
    mrkenv_bytes_free(&plain);
    mrkenv_keyring_free(discovery);
    /* Bad configurations. */
    CHECK_STATUS(mrkenv_kms_mrk_discovery_keyring_new("", NULL, NULL, 0, &client, &discovery), MRKENV_STATUS_KEYRING);
    CHECK_STATUS(mrkenv_kms_mrk_discovery_keyring_new("us-west-2", NULL, accounts, 1, &client, &discovery),
                 MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK_STATUS(mrkenv_kms_mrk_discovery_keyring_new("us-west-2", "aws", NULL, 0, &client, &discovery),
                 MRKENV_STATUS_KEYRING);
    CHECK(discovery == NULL);
    mrkenv_bytes_free(&message);
}

static void single_region_key_other_region_is_skipped(void) {
    fake_kms east = {.region = "us-east-1"}, west = {.region = "us-west-2"};
    const char *ids[] = {SRK_EAST};
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(encrypt_east(&east, ids, 1, &message));
    mrkenv_kms_client client = fake_kms_client(&west);
    mrkenv_keyring *discovery = NULL;
    CHECK_OK(mrkenv_kms_mrk_discovery_keyring_new("us-west-2", NULL, NULL, 0, &client, &discovery));
    CHECK_STATUS(mrkenv_decrypt(discovery, message.data, message.len, &plain), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(last_error_contains("single-Region key in us-east-1"));
    CHECK(west.decrypt_calls == 0);
    mrkenv_keyring_free(discovery);
    mrkenv_bytes_free(&message);
}

static void failing_callback_then_next_key(void) {
    fake_kms east = {.region = "us-east-1"};
    const char *ids[] = {MRK_EAST, SRK_EAST, MRK2_EAST};
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(encrypt_east(&east, ids, 3, &message));
    CHECK(east.generate_calls == 1 && east.encrypt_calls == 2);
    /* First Decrypt fails; the second key succeeds. */
    east.fail_decrypt_calls = 1;
    mrkenv_kms_client client = fake_kms_client(&east);
    mrkenv_keyring *discovery = NULL;
    CHECK_OK(mrkenv_kms_mrk_discovery_keyring_new("us-east-1", NULL, NULL, 0, &client, &discovery));
    CHECK_OK(mrkenv_decrypt(discovery, message.data, message.len, &plain));
    CHECK(is_text(&plain));
    CHECK(east.decrypt_calls == 2 && strcmp(east.asked[0], MRK_EAST) == 0 && strcmp(east.asked[1], SRK_EAST) == 0);
    mrkenv_bytes_free(&plain);
    /* Every Decrypt fails: NoDecryptableKey lists each attempt with its reason. */
    east.fail_decrypt_calls = 3;
    plain = (mrkenv_bytes){0};
    CHECK_STATUS(mrkenv_decrypt(discovery, message.data, message.len, &plain), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(plain.data == NULL && plain.len == 0);
    CHECK(last_error_contains("3 attempts"));
    CHECK(last_error_contains(MRK_EAST ": KMS Decrypt failed: callback returned status 77"));
    CHECK(last_error_contains(SRK_EAST ": KMS Decrypt failed: callback returned status"));
    CHECK(last_error_contains(MRK2_EAST ": KMS Decrypt failed: callback returned status"));
    CHECK(last_error_contains("AccessDeniedException"));
    mrkenv_keyring_free(discovery);
    mrkenv_bytes_free(&message);
    /* A failing GenerateDataKey fails the encrypt with its message. */
    east.fail_generate = true;
    CHECK_STATUS(encrypt_east(&east, ids, 1, &message), MRKENV_STATUS_KMS_CALLBACK_FAILED);
    CHECK(last_error_contains("KMS GenerateDataKey for " MRK_EAST " failed: callback returned status"));
    CHECK(last_error_contains("throttled"));
    CHECK(message.data == NULL && message.len == 0);
    /* A Region that does not have the key. */
    fake_kms west = {.region = "us-west-2"};
    CHECK_STATUS(encrypt_east(&west, ids, 1, &message), MRKENV_STATUS_KMS_CALLBACK_FAILED);
    CHECK(last_error_contains("fake KMS in us-west-2: key is in us-east-1"));
}

static void wrong_key_id_in_response(void) {
    fake_kms east = {.region = "us-east-1"};
    const char *ids[] = {MRK_EAST};
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(encrypt_east(&east, ids, 1, &message));
    east.wrong_key_id = true;
    mrkenv_kms_client client = fake_kms_client(&east);
    mrkenv_keyring *strict = NULL;
    CHECK_OK(mrkenv_kms_mrk_keyring_new(ids, 1, &client, &strict));
    CHECK_STATUS(mrkenv_decrypt(strict, message.data, message.len, &plain), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(last_error_contains("is not the key that was asked"));
    CHECK(plain.data == NULL);
    mrkenv_keyring_free(strict);
    mrkenv_bytes_free(&message);
}

static void strict_keyring_rules(void) {
    fake_kms east = {.region = "us-east-1"};
    mrkenv_kms_client client = fake_kms_client(&east);
    mrkenv_keyring *k = NULL;
    /* Related MRKs cannot be configured together; the error names both. */
    const char *related[] = {MRK_EAST, MRK_WEST};
    CHECK_STATUS(mrkenv_kms_mrk_keyring_new(related, 2, &client, &k), MRKENV_STATUS_KEYRING);
    CHECK(last_error_contains(MRK_EAST) && last_error_contains(MRK_WEST));
    CHECK(k == NULL);
    const char *bad[] = {"arn:aws:kms:us-east-1:" ACCOUNT};
    CHECK_STATUS(mrkenv_kms_mrk_keyring_new(bad, 1, &client, &k), MRKENV_STATUS_INVALID_ARN);
    CHECK_STATUS(mrkenv_kms_mrk_keyring_new(bad, 0, &client, &k), MRKENV_STATUS_KEYRING);
    const char *with_null[] = {MRK_EAST, NULL};
    CHECK_STATUS(mrkenv_kms_mrk_keyring_new(with_null, 2, &client, &k), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("key_ids[1]"));
    /* A strict keyring in another account does not match: skipped. */
    const char *ids[] = {MRK_EAST};
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(encrypt_east(&east, ids, 1, &message));
    const char *other[] = {"arn:aws:kms:us-east-1:444455556666:key/" MRK_ID};
    CHECK_OK(mrkenv_kms_mrk_keyring_new(other, 1, &client, &k));
    east.decrypt_calls = 0;
    CHECK_STATUS(mrkenv_decrypt(k, message.data, message.len, &plain), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(last_error_contains("no MRK match"));
    CHECK(east.decrypt_calls == 0);
    mrkenv_keyring_free(k);
    /* Missing callbacks are a keyring error, not a crash. */
    mrkenv_kms_client empty = {NULL, NULL, NULL, NULL};
    CHECK_OK(mrkenv_kms_mrk_keyring_new(ids, 1, &empty, &k));
    CHECK_STATUS(mrkenv_encrypt(k, (const uint8_t *)"x", 1, NULL, 0, &plain), MRKENV_STATUS_KEYRING);
    CHECK(last_error_contains("generate_data_key"));
    CHECK_STATUS(mrkenv_decrypt(k, message.data, message.len, &plain), MRKENV_STATUS_KEYRING);
    CHECK(last_error_contains("decrypt callback"));
    mrkenv_keyring_free(k);
    /* Required context is checked before any KMS call. */
    CHECK_OK(mrkenv_kms_mrk_keyring_new(ids, 1, &client, &k));
    mrkenv_context_entry wrong[] = {{"tenant", "globex"}};
    east.decrypt_calls = 0;
    CHECK_STATUS(mrkenv_decrypt_with_required_context(k, message.data, message.len, wrong, 1, &plain),
                 MRKENV_STATUS_CONTEXT_MISMATCH);
    CHECK(east.decrypt_calls == 0);
    mrkenv_keyring_free(k);
    mrkenv_bytes_free(&message);
}

/* A callback whose response is malformed: empty blob, short plaintext. */
static int short_generate(void *user, const char *key_id, size_t n, const mrkenv_context_entry *ctx,
                          size_t ctx_len, mrkenv_kms_response *response) {
    (void)user; (void)n; (void)ctx; (void)ctx_len;
    uint8_t key[16] = {0};
    mrkenv_kms_response_set_key_id(response, key_id);
    mrkenv_kms_response_set_plaintext(response, key, sizeof key);
    mrkenv_kms_response_set_ciphertext_blob(response, key, sizeof key);
    return 0;
}

static void malformed_generate_response(void) {
    mrkenv_kms_client client = {NULL, short_generate, NULL, NULL};
    const char *ids[] = {MRK_EAST};
    mrkenv_keyring *k = NULL;
    mrkenv_bytes out = {0};
    CHECK_OK(mrkenv_kms_mrk_keyring_new(ids, 1, &client, &k));
    CHECK_STATUS(mrkenv_encrypt(k, (const uint8_t *)"x", 1, NULL, 0, &out), MRKENV_STATUS_KEYRING);
    CHECK(last_error_contains("16 bytes"));
    CHECK(out.data == NULL);
    mrkenv_keyring_free(k);
}

/* Callbacks that misuse the response: set nothing, set a huge key, or call
 * the setters twice (the last call wins, the first values are dropped). */
typedef enum { SETS_NOTHING, HUGE_KEY, SETS_TWICE } response_mode;

static uint8_t huge_key[1 << 20];

static int odd_generate(void *user, const char *key_id, size_t n, const mrkenv_context_entry *ctx,
                        size_t ctx_len, mrkenv_kms_response *response) {
    (void)ctx; (void)ctx_len;
    response_mode mode = *(response_mode *)user;
    uint8_t key[32];
    memset(key, 0x5a, sizeof key);
    if (mode == SETS_NOTHING) return 0;
    if (mode == HUGE_KEY) {
        mrkenv_kms_response_set_key_id(response, key_id);
        mrkenv_kms_response_set_plaintext(response, huge_key, sizeof huge_key);
        mrkenv_kms_response_set_ciphertext_blob(response, huge_key, 64);
        return 0;
    }
    if (n != sizeof key) return 1;
    mrkenv_kms_response_set_key_id(response, MRK2_EAST);
    mrkenv_kms_response_set_plaintext(response, huge_key, sizeof huge_key);
    mrkenv_kms_response_set_ciphertext_blob(response, huge_key, 3);
    mrkenv_kms_response_set_error(response, "first");
    mrkenv_kms_response_set_key_id(response, key_id);
    mrkenv_kms_response_set_plaintext(response, key, sizeof key);
    mrkenv_kms_response_set_ciphertext_blob(response, (const uint8_t *)"wrapped", 7);
    mrkenv_kms_response_set_error(response, "second");
    return 0;
}

static int odd_decrypt(void *user, const char *key_id, const uint8_t *blob, size_t blob_len,
                       const mrkenv_context_entry *ctx, size_t ctx_len, mrkenv_kms_response *response) {
    (void)ctx; (void)ctx_len;
    response_mode mode = *(response_mode *)user;
    uint8_t key[32];
    memset(key, 0x5a, sizeof key);
    if (mode == SETS_NOTHING) return 0;
    if (mode == HUGE_KEY) {
        mrkenv_kms_response_set_key_id(response, key_id);
        mrkenv_kms_response_set_plaintext(response, huge_key, sizeof huge_key);
        return 0;
    }
    if (blob_len != 7 || memcmp(blob, "wrapped", 7) != 0) return 1;
    mrkenv_kms_response_set_key_id(response, MRK2_EAST);
    mrkenv_kms_response_set_plaintext(response, huge_key, 5);
    mrkenv_kms_response_set_key_id(response, key_id);
    mrkenv_kms_response_set_plaintext(response, key, sizeof key);
    return 0;
}

static void odd_callback_responses(void) {
    response_mode mode = SETS_TWICE;
    mrkenv_kms_client client = {&mode, odd_generate, NULL, odd_decrypt};
    const char *ids[] = {MRK_EAST};
    mrkenv_keyring *k = NULL;
    mrkenv_bytes message = {0}, plain = {0}, out = {0};
    CHECK_OK(mrkenv_kms_mrk_keyring_new(ids, 1, &client, &k));
    /* Setters called twice: the second values are used (and the message decrypts). */
    CHECK_OK(mrkenv_encrypt(k, (const uint8_t *)TEXT, strlen(TEXT), CONTEXT, 2, &message));
    CHECK_OK(mrkenv_decrypt(k, message.data, message.len, &plain));
    CHECK(is_text(&plain));
    mrkenv_bytes_free(&plain);
    char *json = NULL;
    CHECK_OK(mrkenv_inspect_json(message.data, message.len, &json));
    CHECK(strstr(json, "\"provider_info\":\"" MRK_EAST "\"") != NULL && strstr(json, MRK2_EAST) == NULL);
    CHECK(strstr(json, "\"ciphertext_len\":7") != NULL);
    mrkenv_string_free(json);
    /* A callback that returns 0 and sets nothing: a clear error, nothing out. */
    mode = SETS_NOTHING;
    out = (mrkenv_bytes){0};
    CHECK_STATUS(mrkenv_encrypt(k, (const uint8_t *)"x", 1, NULL, 0, &out), MRKENV_STATUS_KEYRING);
    CHECK(out.data == NULL && out.len == 0);
    CHECK(last_error_contains("KeyId"));
    CHECK_STATUS(mrkenv_decrypt(k, message.data, message.len, &plain), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(plain.data == NULL && plain.len == 0);
    CHECK(last_error_contains("KeyId"));
    /* A huge plaintext key (1 MiB): rejected by length, nothing out, no leak. */
    mode = HUGE_KEY;
    CHECK_STATUS(mrkenv_encrypt(k, (const uint8_t *)"x", 1, NULL, 0, &out), MRKENV_STATUS_KEYRING);
    CHECK(out.data == NULL && out.len == 0);
    CHECK(last_error_contains("1048576 bytes"));
    CHECK_STATUS(mrkenv_decrypt(k, message.data, message.len, &plain), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(plain.data == NULL && plain.len == 0);
    CHECK(last_error_contains("1048576 bytes"));
    /* The same through the streaming decryptor. */
    mrkenv_decryptor *dec = NULL;
    CHECK_OK(mrkenv_decryptor_new(k, NULL, 0, &dec));
    mrkenv_status st = mrkenv_decryptor_update(dec, message.data, message.len, &plain);
    mrkenv_decryptor_free(dec);
    CHECK_STATUS(st, MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(plain.data == NULL && plain.len == 0);
    mrkenv_keyring_free(k);
    mrkenv_bytes_free(&message);
}

const test_case kms_tests[] = {
    {"strict_mrk_replica_decrypt", strict_mrk_replica_decrypt},
    {"discovery_region_rewrite", discovery_region_rewrite},
    {"single_region_key_other_region_is_skipped", single_region_key_other_region_is_skipped},
    {"failing_callback_then_next_key", failing_callback_then_next_key},
    {"wrong_key_id_in_response", wrong_key_id_in_response},
    {"strict_keyring_rules", strict_keyring_rules},
    {"malformed_generate_response", malformed_generate_response},
    {"odd_callback_responses", odd_callback_responses},
};
const size_t kms_tests_count = sizeof kms_tests / sizeof kms_tests[0];
