/* mrkenv_limits: the defaults are the core's, a limit set lower is enforced
 * by decrypt, the stream decryptor, inspect, record decrypt and re-key
 * (before any KMS call where the limit guards one), and struct_size lets an
 * older, smaller struct work. */
#include "support.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define KEY_A "arn:aws:kms:us-east-1:111122223333:key/mrk-a"
#define KEY_B "arn:aws:kms:us-east-1:111122223333:key/mrk-b"
#define PLAIN_LEN 10000

static const mrkenv_context_entry CONTEXT[] = {{"app", "limits"}, {"tenant", "acme"}, {"zone", "z1"}};

/* A message under two KMS keys (2 EDKs), 3 context pairs, 4096-byte frames. */
typedef struct {
    xor_kms kms;
    mrkenv_kms_client client;
    mrkenv_keyring *keyring;
    mrkenv_bytes message;
    uint8_t plain[PLAIN_LEN];
} fixture;

static bool fixture_new(fixture *f) {
    memset(f, 0, sizeof *f);
    f->client = xor_kms_client(&f->kms);
    const char *ids[] = {KEY_A, KEY_B};
    fill_pattern(f->plain, PLAIN_LEN, 7);
    return mrkenv_kms_mrk_keyring_new(ids, 2, &f->client, &f->keyring) == MRKENV_STATUS_OK &&
           mrkenv_encrypt_with_frame_length(f->keyring, f->plain, PLAIN_LEN, CONTEXT, 3, 4096, &f->message) ==
               MRKENV_STATUS_OK;
}

static void fixture_free(fixture *f) {
    mrkenv_bytes_free(&f->message);
    mrkenv_keyring_free(f->keyring);
}

static void defaults_match_the_core(void) {
    mrkenv_limits d = mrkenv_limits_default();
    CHECK(d.struct_size == sizeof(mrkenv_limits));
    /* The documented defaults (core/src/limits.rs, docs/FORMAT.md section 8). */
    CHECK(d.max_encrypted_data_keys == 16);
    CHECK(d.max_header_bytes == 256 * 1024);
    CHECK(d.max_context_entries == 128);
    CHECK(d.max_context_bytes == 64 * 1024);
    CHECK(d.max_frame_length == 16 * 1024 * 1024);
    CHECK(d.max_record_attributes == 4096);
    CHECK(d.max_record_depth == 32);
    /* At the default edge: 128 context pairs decrypt with the defaults (given
     * or NULL) and fail with one fewer allowed. */
    mrkenv_keyring *keyring = NULL;
    uint8_t key[32] = {1};
    CHECK_OK(mrkenv_raw_aes_keyring_new("ns", "k", key, 32, &keyring));
    mrkenv_context_entry context[128];
    char names[128][16];
    for (int i = 0; i < 128; i++) {
        snprintf(names[i], sizeof names[i], "k%03d", i);
        context[i].key = names[i];
        context[i].value = "v";
    }
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(mrkenv_encrypt(keyring, (const uint8_t *)"x", 1, context, 128, &message));
    CHECK_OK(mrkenv_decrypt_with_limits(keyring, message.data, message.len, NULL, 0, &d, &plain));
    mrkenv_bytes_free(&plain);
    CHECK_OK(mrkenv_decrypt_with_limits(keyring, message.data, message.len, NULL, 0, NULL, &plain));
    mrkenv_bytes_free(&plain);
    mrkenv_limits lower = d;
    lower.max_context_entries = 127;
    CHECK_STATUS(mrkenv_decrypt_with_limits(keyring, message.data, message.len, NULL, 0, &lower, &plain),
                 MRKENV_STATUS_LIMIT_EXCEEDED);
    CHECK(last_error_contains("128"));
    /* 0 means "the default": a zeroed struct with its size is the defaults. */
    mrkenv_limits zeroed = {0};
    zeroed.struct_size = sizeof zeroed;
    CHECK_OK(mrkenv_decrypt_with_limits(keyring, message.data, message.len, NULL, 0, &zeroed, &plain));
    mrkenv_bytes_free(&plain);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(keyring);
}

/* Every reader refuses the fixture's message under `limits`, with `needle`
 * in the message; no KMS Decrypt call is made first. */
static bool every_reader_refuses(fixture *f, const mrkenv_limits *limits, const char *needle) {
    int calls = f->kms.decrypt_calls;
    mrkenv_bytes out = {0};
    size_t offset = 0;
    char *json = NULL;
    mrkenv_rekey_options rekey = {0};
    const char *remove[] = {KEY_B};
    rekey.remove = remove;
    rekey.remove_len = 1;
    mrkenv_status st;
#define REFUSES(expr)                                                                                  \
    do {                                                                                               \
        st = (expr);                                                                                   \
        if (st != MRKENV_STATUS_LIMIT_EXCEEDED) {                                                      \
            printf("    %s returned %s, expected LimitExceeded\n", #expr, mrkenv_status_name((int)st)); \
            return false;                                                                              \
        }                                                                                              \
        if (!last_error_contains(needle)) return false;                                                \
        if (out.data != NULL || json != NULL) return false;                                            \
    } while (0)
    REFUSES(mrkenv_decrypt_with_limits(f->keyring, f->message.data, f->message.len, NULL, 0, limits, &out));
    REFUSES(mrkenv_inspect_json_with_limits(f->message.data, f->message.len, limits, &json));
    REFUSES(mrkenv_rekey_with_limits(f->keyring, f->message.data, f->message.len, &rekey, limits, &out));
    REFUSES(mrkenv_rekey_header_with_limits(f->keyring, f->message.data, f->message.len, &rekey, limits, &out,
                                            &offset));
    mrkenv_decryptor *dec = NULL;
    if (mrkenv_decryptor_new_with_limits(f->keyring, NULL, 0, limits, &dec) != MRKENV_STATUS_OK) return false;
    st = mrkenv_decryptor_update(dec, f->message.data, f->message.len, &out);
    mrkenv_decryptor_free(dec);
    if (st != MRKENV_STATUS_LIMIT_EXCEEDED) {
        printf("    decryptor_update returned %s\n", mrkenv_status_name((int)st));
        return false;
    }
    if (!last_error_contains(needle)) return false;
    if (f->kms.decrypt_calls != calls) {
        printf("    %d KMS Decrypt calls before the limit was checked\n", f->kms.decrypt_calls - calls);
        return false;
    }
    return true;
#undef REFUSES
}

static void lower_limits_are_enforced(void) {
    fixture *f = malloc(sizeof *f);
    CHECK(f != NULL);
    CHECK(fixture_new(f));
    mrkenv_limits limits = mrkenv_limits_default();
    /* The defaults read it. */
    mrkenv_bytes plain = {0};
    CHECK_OK(mrkenv_decrypt_with_limits(f->keyring, f->message.data, f->message.len, NULL, 0, &limits, &plain));
    CHECK(plain.len == PLAIN_LEN && memcmp(plain.data, f->plain, PLAIN_LEN) == 0);
    mrkenv_bytes_free(&plain);
    limits.max_encrypted_data_keys = 1;
    CHECK(every_reader_refuses(f, &limits, "encrypted data keys"));
    limits = mrkenv_limits_default();
    limits.max_header_bytes = 100;
    CHECK(every_reader_refuses(f, &limits, "header bytes"));
    limits = mrkenv_limits_default();
    limits.max_context_entries = 2;
    CHECK(every_reader_refuses(f, &limits, "context"));
    limits = mrkenv_limits_default();
    limits.max_context_bytes = 10;
    CHECK(every_reader_refuses(f, &limits, "context"));
    limits = mrkenv_limits_default();
    limits.max_frame_length = 2048; /* the message has 4096-byte frames */
    CHECK(every_reader_refuses(f, &limits, "frame length"));
    /* The plain functions keep the defaults. */
    CHECK_OK(mrkenv_decrypt(f->keyring, f->message.data, f->message.len, &plain));
    mrkenv_bytes_free(&plain);
    fixture_free(f);
    free(f);
}

static void record_limits_are_enforced(void) {
    uint8_t key[32] = {3};
    mrkenv_keyring *keyring = NULL;
    CHECK_OK(mrkenv_raw_aes_keyring_new("ns", "k", key, 32, &keyring));
    const char *item = "{\"pk\":{\"S\":\"1\"},\"a\":{\"S\":\"x\"},\"b\":{\"L\":[{\"L\":[{\"S\":\"deep\"}]}]}}";
    mrkenv_record_encrypt_options eo = {.table_name = "t", .partition_key = "pk",
                                        .default_action = "ENCRYPT_AND_SIGN"};
    mrkenv_record_action actions[] = {{"pk", "SIGN_ONLY"}, {"b", "SIGN_ONLY"}};
    eo.actions = actions;
    eo.actions_len = 2;
    mrkenv_record_decrypt_options dopt = {.table_name = "t", .partition_key = "pk"};
    char *encrypted = NULL, *out = NULL;
    CHECK_OK(mrkenv_encrypt_record_json(keyring, item, &eo, &encrypted));
    mrkenv_limits limits = mrkenv_limits_default();
    CHECK_OK(mrkenv_decrypt_record_json_with_limits(keyring, encrypted, &dopt, &limits, &out));
    mrkenv_string_free(out);
    out = NULL;
    limits.max_record_attributes = 2; /* the item has 3 */
    CHECK_STATUS(mrkenv_decrypt_record_json_with_limits(keyring, encrypted, &dopt, &limits, &out),
                 MRKENV_STATUS_LIMIT_EXCEEDED);
    CHECK(out == NULL && last_error_contains("record attributes"));
    limits = mrkenv_limits_default();
    limits.max_record_depth = 1; /* "b" nests two lists */
    CHECK_STATUS(mrkenv_decrypt_record_json_with_limits(keyring, encrypted, &dopt, &limits, &out),
                 MRKENV_STATUS_LIMIT_EXCEEDED);
    CHECK(out == NULL && last_error_contains("depth"));
    limits = mrkenv_limits_default();
    limits.max_header_bytes = 16;
    CHECK_STATUS(mrkenv_decrypt_record_json_with_limits(keyring, encrypted, &dopt, &limits, &out),
                 MRKENV_STATUS_LIMIT_EXCEEDED);
    CHECK(out == NULL && last_error_contains("header bytes"));
    limits = mrkenv_limits_default();
    limits.max_context_entries = 1;
    CHECK_STATUS(mrkenv_decrypt_record_json_with_limits(keyring, encrypted, &dopt, &limits, &out),
                 MRKENV_STATUS_LIMIT_EXCEEDED);
    CHECK(out == NULL);
    CHECK_OK(mrkenv_decrypt_record_json(keyring, encrypted, &dopt, &out));
    mrkenv_string_free(out);
    mrkenv_string_free(encrypted);
    mrkenv_keyring_free(keyring);
}

static void struct_size_rules(void) {
    uint8_t key[32] = {5};
    mrkenv_keyring *keyring = NULL;
    CHECK_OK(mrkenv_raw_aes_keyring_new("ns", "k", key, 32, &keyring));
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(mrkenv_encrypt(keyring, (const uint8_t *)"x", 1, CONTEXT, 3, &message));
    mrkenv_limits limits = mrkenv_limits_default();
    limits.struct_size = 0;
    CHECK_STATUS(mrkenv_decrypt_with_limits(keyring, message.data, message.len, NULL, 0, &limits, &plain),
                 MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("struct_size"));
    limits.struct_size = sizeof limits + 8; /* a newer header than the library */
    CHECK_STATUS(mrkenv_decrypt_with_limits(keyring, message.data, message.len, NULL, 0, &limits, &plain),
                 MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("newer mrkenv.h"));
    /* An older, smaller struct: the fields beyond its size are not read. */
    limits = mrkenv_limits_default();
    limits.max_header_bytes = 10;   /* beyond the old size: ignored */
    limits.max_context_entries = 1; /* beyond the old size: ignored */
    limits.struct_size = offsetof(mrkenv_limits, max_header_bytes);
    CHECK_OK(mrkenv_decrypt_with_limits(keyring, message.data, message.len, NULL, 0, &limits, &plain));
    mrkenv_bytes_free(&plain);
    limits.struct_size = offsetof(mrkenv_limits, max_context_bytes);
    CHECK_STATUS(mrkenv_decrypt_with_limits(keyring, message.data, message.len, NULL, 0, &limits, &plain),
                 MRKENV_STATUS_LIMIT_EXCEEDED);
    CHECK(last_error_contains("header bytes"));
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(keyring);
}

const test_case limit_tests[] = {
    {"defaults_match_the_core", defaults_match_the_core},
    {"lower_limits_are_enforced", lower_limits_are_enforced},
    {"record_limits_are_enforced", record_limits_are_enforced},
    {"struct_size_rules", struct_size_rules},
};
const size_t limit_tests_count = sizeof limit_tests / sizeof limit_tests[0];
