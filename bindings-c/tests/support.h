/* Test support for the mrkenv C tests: a tiny test harness, a small JSON
 * reader for tests/vectors, hex decoding and file reading. */
#ifndef MRKENV_TEST_SUPPORT_H
#define MRKENV_TEST_SUPPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mrkenv.h"

/* ---- harness ---------------------------------------------------------- */

/* Records a failed check (prints where, what, and mrkenv's last error). */
void test_fail(const char *file, int line, const char *what);
/* Number of failed checks so far in this process. */
int test_failures(void);

#define CHECK(cond)                                                    \
    do {                                                               \
        if (!(cond)) {                                                 \
            test_fail(__FILE__, __LINE__, #cond);                      \
            return;                                                    \
        }                                                              \
    } while (0)

/* Checks that `expr` returns the status `expected` (printing both names). */
#define CHECK_STATUS(expr, expected)                                   \
    do {                                                               \
        mrkenv_status st_ = (expr);                                    \
        if (st_ != (expected)) {                                       \
            char what_[512];                                           \
            snprintf(what_, sizeof what_, "%s returned %s, expected %s", #expr, \
                     mrkenv_status_name((int)st_), mrkenv_status_name((int)(expected))); \
            test_fail(__FILE__, __LINE__, what_);                      \
            return;                                                    \
        }                                                              \
    } while (0)

#define CHECK_OK(expr) CHECK_STATUS(expr, MRKENV_STATUS_OK)

/* True when mrkenv's last error message contains `needle`. */
bool last_error_contains(const char *needle);

/* ---- JSON -------------------------------------------------------------- */

typedef enum { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT } json_type;

typedef struct json {
    json_type type;
    bool boolean;
    double number;
    char *string;        /* JSON_STRING: NUL-terminated UTF-8 */
    size_t count;        /* JSON_ARRAY / JSON_OBJECT: number of items */
    struct json *items;  /* the items (values) */
    char **keys;         /* JSON_OBJECT: the keys, in file order */
} json;

/* Parses `text`; returns NULL (and prints why) on a syntax error. */
json *json_parse(const char *text);
void json_free(json *value);
/* The member `key` of an object, or NULL. */
const json *json_get(const json *object, const char *key);
/* The string member `key` of an object, or NULL. */
const char *json_get_string(const json *object, const char *key);
/* Writes `value` as compact JSON text (malloc'd; free with free()). */
char *json_write(const json *value);
/* Whether two values are equal as DynamoDB JSON: objects ignore member
 * order, and the arrays of "SS", "NS" and "BS" are compared as sets. */
bool json_equal_item(const json *a, const json *b);

/* ---- helpers ----------------------------------------------------------- */

/* Reads a whole file (NUL-terminated); NULL on error. Free with free(). */
char *read_file(const char *path, size_t *len);
/* Decodes hex into a malloc'd buffer (at least 1 byte allocated). */
uint8_t *hex_decode(const char *hex, size_t *len);
/* Makes a context array from a JSON object (pointers borrow from it). */
mrkenv_context_entry *context_from_json(const json *object, size_t *len);
/* A deterministic pseudo-random byte pattern. */
void fill_pattern(uint8_t *buf, size_t len, uint32_t seed);

/* ---- the fake KMS of kms.c (also used by records.c and rekey.c) ------- */

#define ACCOUNT "111122223333"
#define MRK_ID "mrk-1234abcd12ab34cd56ef1234567890ab"
#define SRK_ID "1234abcd-12ab-34cd-56ef-1234567890ab"
#define MRK_EAST "arn:aws:kms:us-east-1:" ACCOUNT ":key/" MRK_ID
#define MRK_WEST "arn:aws:kms:us-west-2:" ACCOUNT ":key/" MRK_ID
#define SRK_EAST "arn:aws:kms:us-east-1:" ACCOUNT ":key/" SRK_ID
#define SRK_WEST "arn:aws:kms:us-west-2:" ACCOUNT ":key/" SRK_ID
#define MRK2_EAST "arn:aws:kms:us-east-1:" ACCOUNT ":key/mrk-00000000000000000000000000000002"

/* One Region's KMS endpoint. A key's blob is bound to its account, key id,
 * home Region ("*" for an MRK, so any replica unwraps it) and encryption
 * context. */
typedef struct {
    const char *region;
    int fail_decrypt_calls;   /* fail this many Decrypt calls first */
    bool fail_generate;
    bool wrong_key_id;        /* answer Decrypt with another key's ARN */
    int generate_calls, encrypt_calls, decrypt_calls;
    char asked[8][256];       /* the KeyIds Decrypt was called with */
    uint8_t next_key;
} fake_kms;

/* A client whose callbacks are this fake KMS endpoint (`user` = kms). */
mrkenv_kms_client fake_kms_client(fake_kms *kms);

/* ---- a stateless fake KMS (outputs.c, limits.c, threads.c) -------------- */

/* Callbacks safe to call from many threads at once: GenerateDataKey makes a
 * fresh data key from an atomic counter and returns it XORed with 0x5a as
 * the blob; Decrypt undoes that (any blob of 32 bytes). Every KeyId is
 * answered as asked. The counters are atomic. */
typedef struct {
    _Atomic int generate_calls, encrypt_calls, decrypt_calls;
    _Atomic unsigned next_key;
} xor_kms;

/* A client whose callbacks are this XOR KMS (`user` = kms). */
mrkenv_kms_client xor_kms_client(xor_kms *kms);

/* ---- the test groups --------------------------------------------------- */

typedef struct test_case {
    const char *name;
    void (*run)(void);
} test_case;

extern const char *vectors_dir;

#define TEST_GROUP(name) extern const test_case name[]; extern const size_t name##_count;

TEST_GROUP(api_tests)
/* One check per vector and aspect (decrypt, stream, re-encrypt). */
void run_vector_tests(int *passed, int *failed);
TEST_GROUP(kms_tests)
TEST_GROUP(stream_tests)
TEST_GROUP(record_tests)
TEST_GROUP(rekey_tests)
TEST_GROUP(output_tests)
TEST_GROUP(limit_tests)
TEST_GROUP(thread_tests)
/* One check per record vector and aspect (decrypt, re-encrypt, encrypt). */
void run_record_vector_tests(int *passed, int *failed);

/* The *.json file names in dir_path, sorted, at most max (each strdup'ed:
 * free them); -1 when the folder cannot be opened. */
long list_json(const char *dir_path, char **names, size_t max);

#endif
