/* Records (DynamoDB items) through mrkenv_encrypt_record_json and
 * mrkenv_decrypt_record_json: every vector of tests/vectors/records (decrypt
 * to the expected item or the expected status, byte-identical re-encryption
 * with mrkenv_testing_encrypt_record_json_with, encrypt-side errors), the
 * rules of the record API (NULL arguments, bad JSON, bad actions, key
 * attributes, reserved names, allow_plaintext, tampering) and a strict MRK
 * round trip across Regions through the KMS callbacks. */
#define _DEFAULT_SOURCE
#include "support.h"

#include <stdlib.h>
#include <string.h>

/* ---- vectors ------------------------------------------------------------ */

typedef struct {
    json *doc;
    const char *name;
    mrkenv_record_action *actions;
    mrkenv_context_entry *context, *required;
    mrkenv_record_encrypt_options encrypt;
    mrkenv_record_decrypt_options decrypt;
    uint8_t *data_key, *message_id, *iv;
    size_t data_key_len, message_id_len, iv_len;
    bool expect_ok;
    const char *error_kind;
} record_vector;

static void record_vector_free(record_vector *v) {
    free(v->actions); free(v->context); free(v->required);
    free(v->data_key); free(v->message_id); free(v->iv);
    json_free(v->doc);
    memset(v, 0, sizeof *v);
}

static bool record_vector_load(const char *path, record_vector *v) {
    memset(v, 0, sizeof *v);
    char *text = read_file(path, NULL);
    if (!text) { printf("    cannot read %s\n", path); return false; }
    v->doc = json_parse(text);
    free(text);
    if (!v->doc) return false;
    v->name = json_get_string(v->doc, "name");
    const json *actions = json_get(v->doc, "actions");
    if (!v->name || !actions || actions->type != JSON_OBJECT) return false;
    v->actions = calloc(actions->count ? actions->count : 1, sizeof *v->actions);
    for (size_t i = 0; i < actions->count; i++) {
        v->actions[i].attribute = actions->keys[i];
        v->actions[i].action = actions->items[i].string;
    }
    v->encrypt.table_name = json_get_string(v->doc, "table_name");
    v->encrypt.partition_key = json_get_string(v->doc, "partition_key");
    v->encrypt.sort_key = json_get_string(v->doc, "sort_key"); /* null -> NULL */
    v->encrypt.actions = v->actions;
    v->encrypt.actions_len = actions->count;
    v->encrypt.default_action = json_get_string(v->doc, "default_action");
    v->context = context_from_json(json_get(v->doc, "encryption_context"), &v->encrypt.encryption_context_len);
    v->encrypt.encryption_context = v->context;
    const json *d = json_get(v->doc, "decrypt");
    if (d) {
        v->decrypt.table_name = json_get_string(d, "table_name");
        v->decrypt.partition_key = json_get_string(d, "partition_key");
        v->decrypt.sort_key = json_get_string(d, "sort_key");
        v->required = context_from_json(json_get(d, "required_encryption_context"),
                                        &v->decrypt.required_context_len);
        v->decrypt.required_context = v->required;
        const json *allow = json_get(d, "allow_plaintext");
        v->decrypt.allow_plaintext = allow && allow->type == JSON_BOOL && allow->boolean;
    }
    v->data_key = hex_decode(json_get_string(v->doc, "data_key"), &v->data_key_len);
    v->message_id = hex_decode(json_get_string(v->doc, "message_id"), &v->message_id_len);
    v->iv = hex_decode(json_get_string(v->doc, "raw_aes_iv"), &v->iv_len);
    const char *result = json_get_string(v->doc, "result");
    v->expect_ok = result && strcmp(result, "ok") == 0;
    v->error_kind = json_get_string(v->doc, "error_kind");
    return v->data_key && v->data_key_len == 32 && v->message_id && v->message_id_len == 32 &&
           v->iv && v->iv_len == 12 && v->encrypt.table_name && v->encrypt.partition_key;
}

static mrkenv_status raw_aes_keyring(const json *spec, mrkenv_keyring **out) {
    const char *type = json_get_string(spec, "type");
    if (!type || strcmp(type, "raw-aes") != 0) {
        printf("    unknown keyring type %s\n", type ? type : "(none)");
        return MRKENV_STATUS_INVALID_ARGUMENT;
    }
    size_t key_len;
    uint8_t *key = hex_decode(json_get_string(spec, "wrapping_key"), &key_len);
    mrkenv_status st = mrkenv_raw_aes_keyring_new(json_get_string(spec, "key_namespace"),
                                                  json_get_string(spec, "key_name"), key, key_len, out);
    free(key);
    return st;
}

/* Checks a failure against the vector's error kind (output left NULL). */
static bool failed_as_expected(const record_vector *v, const char *how, mrkenv_status st,
                               const char *out) {
    char message[1024];
    mrkenv_last_error_message(message, sizeof message);
    if (st == MRKENV_STATUS_OK) {
        printf("    %s %s: succeeded, expected %s\n", v->name, how, v->error_kind);
        return false;
    }
    if (!v->error_kind || strcmp(mrkenv_status_name((int)st), v->error_kind) != 0) {
        printf("    %s %s: failed with %s (%s), expected %s\n", v->name, how,
               mrkenv_status_name((int)st), message, v->error_kind ? v->error_kind : "?");
        return false;
    }
    if (out != NULL) {
        printf("    %s %s: output not left NULL on failure\n", v->name, how);
        return false;
    }
    return true;
}

/* Whether `out` (library output) is the item `expected` (vector field). */
static bool same_item(const record_vector *v, const char *how, const char *out, const json *expected) {
    json *got = json_parse(out);
    bool same = got && json_equal_item(got, expected);
    if (!same) {
        char *want = json_write(expected);
        printf("    %s %s: item differs\n      got      %s\n      expected %s\n", v->name, how, out, want);
        free(want);
    }
    json_free(got);
    return same;
}

static bool check_record_decrypt(const record_vector *v) {
    const json *d = json_get(v->doc, "decrypt");
    mrkenv_keyring *keyring = NULL;
    if (raw_aes_keyring(json_get(d, "keyring"), &keyring) != MRKENV_STATUS_OK) return false;
    char *item = json_write(json_get(v->doc, "encrypted_item"));
    char *out = NULL;
    mrkenv_status st = mrkenv_decrypt_record_json(keyring, item, &v->decrypt, &out);
    bool ok;
    if (v->expect_ok) {
        ok = st == MRKENV_STATUS_OK;
        if (!ok) {
            char message[1024];
            mrkenv_last_error_message(message, sizeof message);
            printf("    %s decrypt: %s: %s\n", v->name, mrkenv_status_name((int)st), message);
        } else {
            ok = same_item(v, "decrypt", out, json_get(v->doc, "decrypted_item"));
        }
    } else {
        ok = failed_as_expected(v, "decrypt", st, out);
        if (out == item) out = NULL;
    }
    mrkenv_string_free(out);
    free(item);
    mrkenv_keyring_free(keyring);
    return ok;
}

static bool check_record_reencrypt(const record_vector *v) {
    mrkenv_keyring *keyring = NULL;
    if (raw_aes_keyring(json_get(v->doc, "keyring"), &keyring) != MRKENV_STATUS_OK) return false;
    char *item = json_write(json_get(v->doc, "plaintext_item"));
    char *out = NULL;
    mrkenv_status st = mrkenv_testing_encrypt_record_json_with(keyring, item, &v->encrypt, v->message_id,
                                                               v->data_key, v->iv, &out);
    bool ok = st == MRKENV_STATUS_OK;
    if (!ok) {
        char message[1024];
        mrkenv_last_error_message(message, sizeof message);
        printf("    %s re-encrypt: %s: %s\n", v->name, mrkenv_status_name((int)st), message);
    } else {
        ok = same_item(v, "re-encrypt", out, json_get(v->doc, "encrypted_item"));
    }
    mrkenv_string_free(out);
    free(item);
    mrkenv_keyring_free(keyring);
    return ok;
}

/* An encrypt-side error vector: the public function and the hook both fail. */
static bool check_record_encrypt_error(const record_vector *v) {
    mrkenv_keyring *keyring = NULL;
    if (raw_aes_keyring(json_get(v->doc, "keyring"), &keyring) != MRKENV_STATUS_OK) return false;
    char *item = json_write(json_get(v->doc, "plaintext_item"));
    char *out = NULL;
    mrkenv_status st = mrkenv_encrypt_record_json(keyring, item, &v->encrypt, &out);
    bool ok = failed_as_expected(v, "encrypt", st, out);
    mrkenv_string_free(out);
    out = NULL;
    st = mrkenv_testing_encrypt_record_json_with(keyring, item, &v->encrypt, v->message_id, v->data_key,
                                                 v->iv, &out);
    ok = failed_as_expected(v, "encrypt (hook)", st, out) && ok;
    mrkenv_string_free(out);
    free(item);
    mrkenv_keyring_free(keyring);
    return ok;
}

static void count(bool ok, const char *name, const char *aspect, int *passed, int *failed) {
    printf("%s records/vectors/%s/%s\n", ok ? "ok  " : "FAIL", name, aspect);
    if (ok) (*passed)++; else (*failed)++;
}

void run_record_vector_tests(int *passed, int *failed) {
    char dir_path[4096];
    snprintf(dir_path, sizeof dir_path, "%s/records", vectors_dir);
    char *names[256];
    long listed = list_json(dir_path, names, 256);
    if (listed < 0) {
        printf("FAIL records/vectors: cannot open %s\n", dir_path);
        (*failed)++;
        return;
    }
    size_t n = (size_t)listed;
    if (n == 0) {
        printf("FAIL records/vectors: no *.json in %s\n", dir_path);
        (*failed)++;
    }
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir_path, names[i]);
        record_vector v;
        if (!record_vector_load(path, &v)) {
            count(false, names[i], "load", passed, failed);
        } else {
            const char *operation = json_get_string(v.doc, "operation");
            if (operation && strcmp(operation, "decrypt") == 0) {
                count(check_record_decrypt(&v), v.name, "decrypt", passed, failed);
            } else if (operation && strcmp(operation, "encrypt") == 0 && !v.expect_ok) {
                count(check_record_encrypt_error(&v), v.name, "encrypt", passed, failed);
            } else {
                printf("    %s: unknown operation %s\n", v.name, operation ? operation : "(none)");
                count(false, v.name, "operation", passed, failed);
            }
            const json *re = json_get(v.doc, "reencrypt");
            if (re && re->type == JSON_BOOL && re->boolean)
                count(check_record_reencrypt(&v), v.name, "reencrypt", passed, failed);
        }
        record_vector_free(&v);
        free(names[i]);
    }
}

/* ---- the rules ------------------------------------------------------------ */

#define TABLE "global-table-example"
#define SEED "{\"employeeId\":{\"S\":\"1234\"},\"name\":{\"S\":\"Andy\"}}"

static const mrkenv_record_action SEED_ACTIONS[] = {
    {"employeeId", "SIGN_ONLY"},
    {"name", "ENCRYPT_AND_SIGN"},
};

static mrkenv_record_encrypt_options seed_encrypt_options(void) {
    mrkenv_record_encrypt_options o = {0};
    o.table_name = TABLE;
    o.partition_key = "employeeId";
    o.actions = SEED_ACTIONS;
    o.actions_len = 2;
    return o;
}

static mrkenv_record_decrypt_options seed_decrypt_options(void) {
    mrkenv_record_decrypt_options o = {0};
    o.table_name = TABLE;
    o.partition_key = "employeeId";
    return o;
}

static mrkenv_keyring *raw_keyring(void) {
    uint8_t key[32];
    fill_pattern(key, sizeof key, 77);
    mrkenv_keyring *keyring = NULL;
    mrkenv_raw_aes_keyring_new("records", "key-1", key, sizeof key, &keyring);
    return keyring;
}

/* The string value of `attribute`'s `type` in an item's JSON text, or NULL
 * (borrowed from *doc, which the caller frees). */
static const char *attribute_string(const char *item_json, const char *attribute, const char *type,
                                    json **doc) {
    *doc = json_parse(item_json);
    return *doc ? json_get_string(json_get(*doc, attribute), type) : NULL;
}

/* The item's JSON with the string of `attribute`'s first type replaced
 * (added as {"S": value} when absent). Free with free(). */
static char *with_attribute(const char *item_json, const char *attribute, const char *value) {
    json *doc = json_parse(item_json);
    if (!doc) return NULL;
    json *a = (json *)json_get(doc, attribute);
    char *out;
    if (a && a->count == 1 && a->items[0].type == JSON_STRING) {
        free(a->items[0].string);
        a->items[0].string = strdup(value);
        out = json_write(doc);
    } else {
        char *text = json_write(doc);
        size_t len = strlen(text) + strlen(attribute) + strlen(value) + 32;
        out = malloc(len);
        text[strlen(text) - 1] = '\0'; /* drop the closing brace */
        snprintf(out, len, "%s%s\"%s\":{\"S\":\"%s\"}}", text, doc->count ? "," : "", attribute, value);
        free(text);
    }
    json_free(doc);
    return out;
}

static void seed_round_trip(void) {
    mrkenv_keyring *keyring = raw_keyring();
    mrkenv_record_encrypt_options eo = seed_encrypt_options();
    mrkenv_record_decrypt_options dopt = seed_decrypt_options();
    char *encrypted = NULL, *plain = NULL;
    json *doc = NULL;
    CHECK(keyring);
    CHECK_OK(mrkenv_encrypt_record_json(keyring, SEED, &eo, &encrypted));
    /* Same shape: the key in the clear, the name a B value, two reserved attributes. */
    const char *id = attribute_string(encrypted, "employeeId", "S", &doc);
    CHECK(id && strcmp(id, "1234") == 0);
    CHECK(json_get_string(json_get(doc, "name"), "B") != NULL);
    CHECK(json_get_string(json_get(doc, "aws_mrkenv_header"), "B") != NULL);
    CHECK(json_get_string(json_get(doc, "aws_mrkenv_tag"), "B") != NULL);
    CHECK(doc->count == 4);
    CHECK(strstr(encrypted, "Andy") == NULL);
    json_free(doc);
    /* The canonical output of the plaintext: compact, attributes in name order. */
    CHECK_OK(mrkenv_decrypt_record_json(keyring, encrypted, &dopt, &plain));
    CHECK(strcmp(plain, SEED) == 0);
    mrkenv_string_free(plain);
    /* Two encryptions differ (fresh message id and data key). */
    char *again = NULL;
    CHECK_OK(mrkenv_encrypt_record_json(keyring, SEED, &eo, &again));
    CHECK(strcmp(again, encrypted) != 0);
    mrkenv_string_free(again);
    mrkenv_string_free(encrypted);
    mrkenv_keyring_free(keyring);
}

static void options_and_tampering(void) {
    mrkenv_keyring *keyring = raw_keyring();
    const char *item = "{\"pk\":{\"S\":\"p1\"},\"sk\":{\"N\":\"007\"},\"tenant\":{\"S\":\"acme\"},"
                       "\"secret\":{\"M\":{\"a\":{\"L\":[{\"B\":\"AAE=\"},{\"NS\":[\"2\",\"1\"]}]}}},"
                       "\"note\":{\"S\":\"free\"},\"extra\":{\"SS\":[\"b\",\"a\"]}}";
    const mrkenv_record_action actions[] = {
        {"pk", "SIGN_ONLY"},
        {"sk", "SIGN_ONLY"},
        {"tenant", "SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT"},
        {"note", "DO_NOTHING"},
    };
    const mrkenv_context_entry context[] = {{"app", "orders"}};
    mrkenv_record_encrypt_options eo = {0};
    eo.table_name = "orders";
    eo.partition_key = "pk";
    eo.sort_key = "sk";
    eo.actions = actions;
    eo.actions_len = 4;
    eo.default_action = "ENCRYPT_AND_SIGN"; /* secret and extra */
    eo.encryption_context = context;
    eo.encryption_context_len = 1;
    char *encrypted = NULL, *plain = NULL, *changed = NULL;
    CHECK(keyring);
    CHECK_OK(mrkenv_encrypt_record_json(keyring, item, &eo, &encrypted));
    CHECK(strstr(encrypted, "\"extra\":{\"B\"") && strstr(encrypted, "\"secret\":{\"B\"") &&
          strstr(encrypted, "\"sk\":{\"N\":\"7\"}") && strstr(encrypted, "\"note\":{\"S\":\"free\"}"));
    mrkenv_context_entry required[] = {{"app", "orders"}, {"aws-mrkenv:attr:tenant", "acme"}};
    mrkenv_record_decrypt_options dopt = {"orders", "pk", "sk", required, 2, false};
    CHECK_OK(mrkenv_decrypt_record_json(keyring, encrypted, &dopt, &plain));
    /* The number comes back canonical, as DynamoDB stores it. */
    char *canonical = with_attribute(item, "sk", "7");
    json *want = json_parse(canonical), *got = json_parse(plain);
    free(canonical);
    bool same = json_equal_item(want, got);
    json_free(want);
    json_free(got);
    CHECK(same);
    mrkenv_string_free(plain);
    plain = NULL;
    /* A DO_NOTHING attribute may change freely. */
    changed = with_attribute(encrypted, "note", "changed");
    CHECK_OK(mrkenv_decrypt_record_json(keyring, changed, &dopt, &plain));
    CHECK(strstr(plain, "\"note\":{\"S\":\"changed\"}"));
    mrkenv_string_free(plain);
    plain = NULL;
    free(changed);
    /* A signed one may not, nor may one be added without an action. */
    changed = with_attribute(encrypted, "tenant", "globex");
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, changed, &dopt, &plain), MRKENV_STATUS_AUTHENTICATION);
    CHECK(plain == NULL);
    free(changed);
    changed = with_attribute(encrypted, "sk", "8");
    dopt.required_context_len = 0;
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, changed, &dopt, &plain), MRKENV_STATUS_AUTHENTICATION);
    free(changed);
    /* Required context, table and key schema are checked. */
    mrkenv_context_entry wrong[] = {{"app", "billing"}};
    dopt.required_context = wrong;
    dopt.required_context_len = 1;
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, encrypted, &dopt, &plain), MRKENV_STATUS_CONTEXT_MISMATCH);
    dopt.required_context_len = 0;
    dopt.table_name = "other";
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, encrypted, &dopt, &plain), MRKENV_STATUS_CONTEXT_MISMATCH);
    CHECK(last_error_contains("\"orders\"") && last_error_contains("\"other\""));
    dopt.table_name = "orders";
    dopt.sort_key = NULL;
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, encrypted, &dopt, &plain), MRKENV_STATUS_CONTEXT_MISMATCH);
    CHECK(plain == NULL);
    /* Another wrapping key cannot unwrap the data key. */
    uint8_t other_key[32] = {1};
    mrkenv_keyring *other = NULL;
    CHECK_OK(mrkenv_raw_aes_keyring_new("records", "key-1", other_key, sizeof other_key, &other));
    dopt.sort_key = "sk";
    CHECK_STATUS(mrkenv_decrypt_record_json(other, encrypted, &dopt, &plain), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    mrkenv_keyring_free(other);
    mrkenv_string_free(encrypted);
    mrkenv_keyring_free(keyring);
}

static void null_arguments(void) {
    mrkenv_keyring *keyring = raw_keyring();
    mrkenv_record_encrypt_options eo = seed_encrypt_options();
    mrkenv_record_decrypt_options dopt = seed_decrypt_options();
    char *out = NULL;
    uint8_t id[32] = {0};
    CHECK(keyring);
    CHECK_STATUS(mrkenv_encrypt_record_json(NULL, SEED, &eo, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(out == NULL && last_error_contains("keyring is NULL"));
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, NULL, &eo, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("item_json is NULL"));
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, NULL, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("options is NULL"));
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, NULL), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("out_json is NULL"));
    eo.table_name = NULL;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("options.table_name is NULL"));
    eo = seed_encrypt_options();
    eo.partition_key = NULL;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("options.partition_key is NULL"));
    eo = seed_encrypt_options();
    eo.actions = NULL;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("options.actions (with length 2)"));
    mrkenv_record_action holes[] = {{"employeeId", "SIGN_ONLY"}, {"name", NULL}};
    eo.actions = holes;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("options.actions[1].action is NULL"));
    holes[1].attribute = NULL;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("options.actions[1].attribute is NULL"));
    eo = seed_encrypt_options();
    eo.encryption_context_len = 1;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_NULL_ARGUMENT);
    eo = seed_encrypt_options();
    CHECK_STATUS(mrkenv_testing_encrypt_record_json_with(keyring, SEED, &eo, NULL, NULL, NULL, &out),
                 MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("message_id is NULL"));
    CHECK_STATUS(mrkenv_testing_encrypt_record_json_with(keyring, SEED, &eo, id, id, NULL, &out),
                 MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("together or not at all"));
    CHECK(out == NULL);
    /* Decrypt. */
    out = NULL;
    CHECK_STATUS(mrkenv_decrypt_record_json(NULL, SEED, &dopt, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(out == NULL);
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, NULL, &dopt, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, SEED, NULL, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, SEED, &dopt, NULL), MRKENV_STATUS_NULL_ARGUMENT);
    dopt.partition_key = NULL;
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, SEED, &dopt, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("options.partition_key is NULL"));
    dopt = seed_decrypt_options();
    dopt.required_context_len = 2;
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, SEED, &dopt, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("options.required_context (with length 2)"));
    CHECK(out == NULL);
    mrkenv_keyring_free(keyring);
}

static void bad_json_and_values(void) {
    mrkenv_keyring *keyring = raw_keyring();
    mrkenv_record_encrypt_options eo = seed_encrypt_options();
    mrkenv_record_decrypt_options dopt = seed_decrypt_options();
    char *out = NULL;
    CHECK(keyring);
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, "{\"employeeId\":", &eo, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("item_json: DynamoDB JSON: not valid JSON"));
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, "[1]", &dopt, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("item_json") && last_error_contains("must be a JSON object"));
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, "{\"employeeId\":{\"S\":\"1\"},\"name\":{\"X\":\"y\"}}", &eo, &out),
                 MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("\"name\"") && last_error_contains("unknown AttributeValue type \"X\""));
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, "{\"employeeId\":{\"S\":\"1\"},\"name\":{\"L\":[{\"N\":\"x\"}]}}",
                                            &eo, &out),
                 MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("\"name\"[0]") && last_error_contains("number"));
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, "{\"employeeId\":{\"S\":\"1\"},\"name\":{\"B\":\"not base64!\"}}",
                                            &eo, &out),
                 MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("\"name\""));
    /* DynamoDB refuses empty sets; so does mrkenv. */
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, "{\"employeeId\":{\"S\":\"1\"},\"name\":{\"SS\":[]}}", &eo, &out),
                 MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("\"name\""));
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, "{\"employeeId\":{\"S\":\"1\"},\"name\":{\"S\":\"a\",\"N\":\"1\"}}",
                                            &eo, &out),
                 MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("exactly one type key"));
    /* The partition key must be in the item. */
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, "{\"name\":{\"S\":\"Andy\"}}", &eo, &out),
                 MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("partition key attribute \"employeeId\" is not in the item"));
    /* Not UTF-8. */
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, "{\"\xff\":{\"S\":\"1\"}}", &eo, &out),
                 MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("item_json is not valid UTF-8"));
    CHECK(out == NULL);
    mrkenv_keyring_free(keyring);
}

static void bad_actions(void) {
    mrkenv_keyring *keyring = raw_keyring();
    mrkenv_record_encrypt_options eo = seed_encrypt_options();
    char *out = NULL;
    CHECK(keyring);
    mrkenv_record_action lower[] = {{"employeeId", "SIGN_ONLY"}, {"name", "encrypt_and_sign"}};
    eo.actions = lower;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("options.actions[1] (attribute \"name\"): unknown attribute action \"encrypt_and_sign\""));
    mrkenv_record_action twice[] = {{"employeeId", "SIGN_ONLY"}, {"employeeId", "SIGN_ONLY"}};
    eo.actions = twice;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("attribute \"employeeId\" appears more than once"));
    eo = seed_encrypt_options();
    eo.default_action = "SIGN";
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("options.default_action: unknown attribute action \"SIGN\""));
    /* Every attribute needs an action unless there is a default. */
    eo = seed_encrypt_options();
    eo.actions_len = 1;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("attribute \"name\": no action configured and no default action"));
    eo.default_action = "ENCRYPT_AND_SIGN";
    CHECK_OK(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out));
    mrkenv_string_free(out);
    out = NULL;
    mrkenv_context_entry duplicate[] = {{"a", "1"}, {"a", "2"}};
    eo.encryption_context = duplicate;
    eo.encryption_context_len = 2;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("options.encryption_context"));
    CHECK(out == NULL);
    mrkenv_keyring_free(keyring);
}

static void key_attribute_cannot_be_encrypted(void) {
    mrkenv_keyring *keyring = raw_keyring();
    mrkenv_record_encrypt_options eo = seed_encrypt_options();
    char *out = NULL;
    CHECK(keyring);
    mrkenv_record_action actions[] = {{"employeeId", "ENCRYPT_AND_SIGN"}, {"name", "ENCRYPT_AND_SIGN"}};
    eo.actions = actions;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("partition key attribute \"employeeId\" cannot be ENCRYPT_AND_SIGN"));
    /* Through the default action, too. */
    eo.actions_len = 0;
    eo.default_action = "ENCRYPT_AND_SIGN";
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("partition key attribute \"employeeId\""));
    /* The sort key as well, and DO_NOTHING is no better. */
    eo = seed_encrypt_options();
    eo.sort_key = "name";
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("sort key attribute \"name\" cannot be ENCRYPT_AND_SIGN"));
    mrkenv_record_action nothing[] = {{"employeeId", "DO_NOTHING"}, {"name", "ENCRYPT_AND_SIGN"}};
    eo = seed_encrypt_options();
    eo.actions = nothing;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("partition key attribute \"employeeId\" cannot be DO_NOTHING"));
    CHECK(out == NULL);
    mrkenv_keyring_free(keyring);
}

static void reserved_names_refused(void) {
    mrkenv_keyring *keyring = raw_keyring();
    mrkenv_record_encrypt_options eo = seed_encrypt_options();
    eo.default_action = "SIGN_ONLY";
    char *out = NULL;
    CHECK(keyring);
    const char *item = "{\"employeeId\":{\"S\":\"1234\"},\"aws_mrkenv_header\":{\"B\":\"AA==\"}}";
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, item, &eo, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("attribute \"aws_mrkenv_header\" is reserved"));
    mrkenv_record_action actions[] = {{"employeeId", "SIGN_ONLY"}, {"aws_mrkenv_mine", "SIGN_ONLY"}};
    eo.actions = actions;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("attribute \"aws_mrkenv_mine\" is reserved"));
    eo = seed_encrypt_options();
    mrkenv_context_entry reserved[] = {{"aws-mrkenv:table", "x"}};
    eo.encryption_context = reserved;
    eo.encryption_context_len = 1;
    CHECK_STATUS(mrkenv_encrypt_record_json(keyring, SEED, &eo, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("encryption context key \"aws-mrkenv:table\" is reserved"));
    CHECK(out == NULL);
    mrkenv_keyring_free(keyring);
}

static void allow_plaintext(void) {
    mrkenv_keyring *keyring = raw_keyring();
    mrkenv_record_decrypt_options dopt = seed_decrypt_options();
    mrkenv_record_encrypt_options eo = seed_encrypt_options();
    char *out = NULL, *encrypted = NULL;
    CHECK(keyring);
    const char *legacy = "{\"name\":{\"S\":\"Andy\"},\"employeeId\":{\"S\":\"1234\"}}";
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, legacy, &dopt, &out), MRKENV_STATUS_MALFORMED_MESSAGE);
    CHECK(last_error_contains("not an encrypted record") && last_error_contains("allow plaintext items"));
    CHECK(out == NULL);
    dopt.allow_plaintext = true;
    CHECK_OK(mrkenv_decrypt_record_json(keyring, legacy, &dopt, &out));
    CHECK(strcmp(out, SEED) == 0);
    mrkenv_string_free(out);
    out = NULL;
    /* An encrypted item is still verified with the option on. */
    CHECK_OK(mrkenv_encrypt_record_json(keyring, SEED, &eo, &encrypted));
    CHECK_OK(mrkenv_decrypt_record_json(keyring, encrypted, &dopt, &out));
    CHECK(strcmp(out, SEED) == 0);
    mrkenv_string_free(out);
    out = NULL;
    char *tampered = with_attribute(encrypted, "employeeId", "1235");
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, tampered, &dopt, &out), MRKENV_STATUS_AUTHENTICATION);
    free(tampered);
    /* An item with only one of the two reserved attributes is not plaintext. */
    json *doc = json_parse(encrypted);
    char *half = NULL;
    for (size_t i = 0; doc && i < doc->count; i++)
        if (strcmp(doc->keys[i], "aws_mrkenv_tag") == 0) {
            free(doc->keys[i]);
            doc->keys[i] = strdup("tag_moved_away");
        }
    half = json_write(doc);
    json_free(doc);
    CHECK_STATUS(mrkenv_decrypt_record_json(keyring, half, &dopt, &out), MRKENV_STATUS_MALFORMED_MESSAGE);
    CHECK(out == NULL);
    free(half);
    mrkenv_string_free(encrypted);
    mrkenv_keyring_free(keyring);
}

/* The seed's use case: encrypted in us-east-1 with the primary MRK,
 * replicated, decrypted in us-west-2 with the replica, through the callbacks. */
static void strict_mrk_across_regions(void) {
    fake_kms east = {.region = "us-east-1"}, west = {.region = "us-west-2"};
    mrkenv_kms_client east_client = fake_kms_client(&east), west_client = fake_kms_client(&west);
    const char *east_ids[] = {MRK_EAST}, *west_ids[] = {MRK_WEST};
    mrkenv_keyring *writer = NULL, *reader = NULL, *discovery = NULL;
    char *encrypted = NULL, *plain = NULL;
    const mrkenv_record_action actions[] = {
        {"employeeId", "SIGN_ONLY"},
        {"name", "ENCRYPT_AND_SIGN"},
        {"tenant", "SIGN_AND_INCLUDE_IN_ENCRYPTION_CONTEXT"},
    };
    const char *item = "{\"employeeId\":{\"S\":\"1234\"},\"name\":{\"S\":\"Andy\"},\"tenant\":{\"S\":\"acme\"}}";
    mrkenv_record_encrypt_options eo = seed_encrypt_options();
    eo.actions = actions;
    eo.actions_len = 3;
    CHECK_OK(mrkenv_kms_mrk_keyring_new(east_ids, 1, &east_client, &writer));
    CHECK_OK(mrkenv_encrypt_record_json(writer, item, &eo, &encrypted));
    CHECK(east.generate_calls == 1 && east.encrypt_calls == 0);
    /* A reader in us-west-2 configured with its replica. */
    CHECK_OK(mrkenv_kms_mrk_keyring_new(west_ids, 1, &west_client, &reader));
    mrkenv_context_entry required[] = {{"aws-mrkenv:attr:tenant", "acme"}};
    mrkenv_record_decrypt_options dopt = seed_decrypt_options();
    dopt.required_context = required;
    dopt.required_context_len = 1;
    CHECK_OK(mrkenv_decrypt_record_json(reader, encrypted, &dopt, &plain));
    json *want = json_parse(item), *got = json_parse(plain);
    bool same = json_equal_item(want, got);
    json_free(want);
    json_free(got);
    CHECK(same);
    CHECK(west.decrypt_calls == 1 && strcmp(west.asked[0], MRK_WEST) == 0);
    mrkenv_string_free(plain);
    plain = NULL;
    /* A discovery keyring in us-west-2 rewrites the Region too. */
    CHECK_OK(mrkenv_kms_mrk_discovery_keyring_new("us-west-2", "aws", (const char *[]){ACCOUNT}, 1,
                                                   &west_client, &discovery));
    CHECK_OK(mrkenv_decrypt_record_json(discovery, encrypted, &dopt, &plain));
    CHECK(west.decrypt_calls == 2 && strcmp(west.asked[1], MRK_WEST) == 0);
    mrkenv_string_free(plain);
    plain = NULL;
    /* A wrong required pair stops before any KMS call. */
    mrkenv_context_entry wrong[] = {{"aws-mrkenv:attr:tenant", "globex"}};
    dopt.required_context = wrong;
    CHECK_STATUS(mrkenv_decrypt_record_json(reader, encrypted, &dopt, &plain), MRKENV_STATUS_CONTEXT_MISMATCH);
    CHECK(west.decrypt_calls == 2);
    /* Every Decrypt failing: NO_DECRYPTABLE_KEY with the attempt. */
    dopt.required_context_len = 0;
    west.fail_decrypt_calls = 1;
    CHECK_STATUS(mrkenv_decrypt_record_json(reader, encrypted, &dopt, &plain), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(last_error_contains(MRK_WEST ": KMS Decrypt failed: callback returned status 77"));
    CHECK(plain == NULL);
    /* A failing GenerateDataKey ends the encrypt with the callback's status. */
    char *none = NULL;
    east.fail_generate = true;
    CHECK_STATUS(mrkenv_encrypt_record_json(writer, item, &eo, &none), MRKENV_STATUS_KMS_CALLBACK_FAILED);
    CHECK(last_error_contains("KMS GenerateDataKey for " MRK_EAST " failed") && last_error_contains("throttled"));
    CHECK(none == NULL);
    /* A configuration error is found before any KMS call. */
    east.fail_generate = false;
    east.generate_calls = 0;
    eo.actions_len = 1;
    CHECK_STATUS(mrkenv_encrypt_record_json(writer, item, &eo, &none), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(east.generate_calls == 0);
    /* The hook with a KMS keyring: a fixed message id, the key from KMS. */
    uint8_t id[32];
    memset(id, 0x31, sizeof id);
    eo.actions_len = 3;
    CHECK_OK(mrkenv_testing_encrypt_record_json_with(writer, item, &eo, id, NULL, NULL, &none));
    CHECK(east.generate_calls == 1);
    CHECK_OK(mrkenv_decrypt_record_json(reader, none, &dopt, &plain));
    mrkenv_string_free(plain);
    mrkenv_string_free(none);
    mrkenv_keyring_free(discovery);
    mrkenv_keyring_free(reader);
    mrkenv_keyring_free(writer);
    mrkenv_string_free(encrypted);
}

const test_case record_tests[] = {
    {"seed_round_trip", seed_round_trip},
    {"options_and_tampering", options_and_tampering},
    {"null_arguments", null_arguments},
    {"bad_json_and_values", bad_json_and_values},
    {"bad_actions", bad_actions},
    {"key_attribute_cannot_be_encrypted", key_attribute_cannot_be_encrypted},
    {"reserved_names_refused", reserved_names_refused},
    {"allow_plaintext", allow_plaintext},
    {"strict_mrk_across_regions", strict_mrk_across_regions},
};
const size_t record_tests_count = sizeof record_tests / sizeof record_tests[0];
