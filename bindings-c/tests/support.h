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

/* ---- helpers ----------------------------------------------------------- */

/* Reads a whole file (NUL-terminated); NULL on error. Free with free(). */
char *read_file(const char *path, size_t *len);
/* Decodes hex into a malloc'd buffer (at least 1 byte allocated). */
uint8_t *hex_decode(const char *hex, size_t *len);
/* Makes a context array from a JSON object (pointers borrow from it). */
mrkenv_context_entry *context_from_json(const json *object, size_t *len);
/* A deterministic pseudo-random byte pattern. */
void fill_pattern(uint8_t *buf, size_t len, uint32_t seed);

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

#endif
