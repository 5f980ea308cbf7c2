/* Test support: harness, JSON reader, hex, files. */
#define _DEFAULT_SOURCE /* strdup, dirent */
#include "support.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

void test_fail(const char *file, int line, const char *what) {
    char message[2048];
    mrkenv_last_error_message(message, sizeof message);
    failures++;
    fprintf(stdout, "    check failed at %s:%d: %s\n    (mrkenv last error: %s)\n", file, line,
            what, message[0] ? message : "none");
}

int test_failures(void) { return failures; }

bool last_error_contains(const char *needle) {
    size_t needed = mrkenv_last_error_message(NULL, 0);
    char *message = malloc(needed);
    if (!message) return false;
    mrkenv_last_error_message(message, needed);
    bool found = strstr(message, needle) != NULL;
    if (!found) fprintf(stdout, "    last error %s\n    does not contain %s\n", message, needle);
    free(message);
    return found;
}

/* ---- JSON -------------------------------------------------------------- */

typedef struct {
    const char *p;
    const char *error;
} parser;

static void skip_ws(parser *ps) {
    while (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t') ps->p++;
}

static bool parse_value(parser *ps, json *out, int depth);

static void put_utf8(char **w, unsigned long cp) {
    char *o = *w;
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    *w = o;
}

static bool parse_hex4(const char *p, unsigned long *out) {
    unsigned long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned long)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned long)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned long)(c - 'A' + 10);
        else return false;
    }
    *out = v;
    return true;
}

static char *parse_string(parser *ps) {
    if (*ps->p != '"') { ps->error = "expected a string"; return NULL; }
    ps->p++;
    const char *start = ps->p;
    size_t max = 0;
    while (start[max] && start[max] != '"') {
        if (start[max] == '\\' && start[max + 1]) max++;
        max++;
    }
    char *buf = malloc(max * 2 + 1); /* \uXXXX never grows; be generous */
    if (!buf) { ps->error = "out of memory"; return NULL; }
    char *w = buf;
    while (*ps->p != '"') {
        char c = *ps->p;
        if (!c) { ps->error = "unterminated string"; free(buf); return NULL; }
        if (c != '\\') { *w++ = c; ps->p++; continue; }
        ps->p++;
        char e = *ps->p++;
        switch (e) {
        case '"': *w++ = '"'; break;
        case '\\': *w++ = '\\'; break;
        case '/': *w++ = '/'; break;
        case 'b': *w++ = '\b'; break;
        case 'f': *w++ = '\f'; break;
        case 'n': *w++ = '\n'; break;
        case 'r': *w++ = '\r'; break;
        case 't': *w++ = '\t'; break;
        case 'u': {
            unsigned long cp;
            if (!parse_hex4(ps->p, &cp)) { ps->error = "bad \\u escape"; free(buf); return NULL; }
            ps->p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && ps->p[0] == '\\' && ps->p[1] == 'u') {
                unsigned long lo;
                if (parse_hex4(ps->p + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    ps->p += 6;
                }
            }
            put_utf8(&w, cp);
            break;
        }
        default: ps->error = "bad escape"; free(buf); return NULL;
        }
    }
    ps->p++;
    *w = '\0';
    return buf;
}

static bool parse_container(parser *ps, json *out, int depth, bool object) {
    char close = object ? '}' : ']';
    ps->p++;
    size_t cap = 4;
    out->type = object ? JSON_OBJECT : JSON_ARRAY;
    out->items = calloc(cap, sizeof(json));
    if (object) out->keys = calloc(cap, sizeof(char *));
    skip_ws(ps);
    if (*ps->p == close) { ps->p++; return true; }
    for (;;) {
        if (out->count == cap) {
            cap *= 2;
            out->items = realloc(out->items, cap * sizeof(json));
            if (object) out->keys = realloc(out->keys, cap * sizeof(char *));
        }
        json *item = &out->items[out->count];
        memset(item, 0, sizeof *item);
        skip_ws(ps);
        if (object) {
            char *key = parse_string(ps);
            if (!key) return false;
            out->keys[out->count] = key;
            skip_ws(ps);
            if (*ps->p != ':') { out->count++; ps->error = "expected ':'"; return false; }
            ps->p++;
        }
        out->count++;
        if (!parse_value(ps, item, depth + 1)) return false;
        skip_ws(ps);
        if (*ps->p == ',') { ps->p++; continue; }
        if (*ps->p == close) { ps->p++; return true; }
        ps->error = object ? "expected ',' or '}'" : "expected ',' or ']'";
        return false;
    }
}

static bool parse_value(parser *ps, json *out, int depth) {
    if (depth > 64) { ps->error = "nested too deeply"; return false; }
    skip_ws(ps);
    char c = *ps->p;
    if (c == '{' || c == '[') return parse_container(ps, out, depth, c == '{');
    if (c == '"') {
        out->type = JSON_STRING;
        out->string = parse_string(ps);
        return out->string != NULL;
    }
    if (strncmp(ps->p, "true", 4) == 0) { out->type = JSON_BOOL; out->boolean = true; ps->p += 4; return true; }
    if (strncmp(ps->p, "false", 5) == 0) { out->type = JSON_BOOL; ps->p += 5; return true; }
    if (strncmp(ps->p, "null", 4) == 0) { out->type = JSON_NULL; ps->p += 4; return true; }
    if (c == '-' || (c >= '0' && c <= '9')) {
        char *end;
        out->type = JSON_NUMBER;
        out->number = strtod(ps->p, &end);
        ps->p = end;
        return true;
    }
    ps->error = "unexpected character";
    return false;
}

static void json_free_inner(json *v) {
    free(v->string);
    for (size_t i = 0; i < v->count; i++) {
        json_free_inner(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

void json_free(json *value) {
    if (!value) return;
    json_free_inner(value);
    free(value);
}

json *json_parse(const char *text) {
    parser ps = {text, NULL};
    json *root = calloc(1, sizeof(json));
    if (!parse_value(&ps, root, 0)) {
        fprintf(stdout, "    JSON error: %s at offset %ld\n", ps.error, (long)(ps.p - text));
        json_free(root);
        return NULL;
    }
    skip_ws(&ps);
    if (*ps.p) {
        fprintf(stdout, "    JSON error: trailing characters\n");
        json_free(root);
        return NULL;
    }
    return root;
}

const json *json_get(const json *object, const char *key) {
    if (!object || object->type != JSON_OBJECT) return NULL;
    for (size_t i = 0; i < object->count; i++)
        if (strcmp(object->keys[i], key) == 0) return &object->items[i];
    return NULL;
}

const char *json_get_string(const json *object, const char *key) {
    const json *v = json_get(object, key);
    return v && v->type == JSON_STRING ? v->string : NULL;
}

typedef struct {
    char *buf;
    size_t len, cap;
} text;

static void text_put(text *t, const char *s, size_t n) {
    if (t->len + n + 1 > t->cap) {
        while (t->len + n + 1 > t->cap) t->cap = t->cap ? t->cap * 2 : 256;
        t->buf = realloc(t->buf, t->cap);
    }
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void write_string(text *t, const char *s) {
    text_put(t, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\'; esc[1] = (char)c;
            text_put(t, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            text_put(t, esc, 6);
        } else {
            text_put(t, s, 1);
        }
    }
    text_put(t, "\"", 1);
}

static void write_value(text *t, const json *v) {
    char number[64];
    switch (v->type) {
    case JSON_NULL: text_put(t, "null", 4); break;
    case JSON_BOOL: text_put(t, v->boolean ? "true" : "false", v->boolean ? 4 : 5); break;
    case JSON_NUMBER:
        snprintf(number, sizeof number, "%.17g", v->number);
        text_put(t, number, strlen(number));
        break;
    case JSON_STRING: write_string(t, v->string); break;
    case JSON_ARRAY:
    case JSON_OBJECT:
        text_put(t, v->type == JSON_OBJECT ? "{" : "[", 1);
        for (size_t i = 0; i < v->count; i++) {
            if (i) text_put(t, ",", 1);
            if (v->type == JSON_OBJECT) {
                write_string(t, v->keys[i]);
                text_put(t, ":", 1);
            }
            write_value(t, &v->items[i]);
        }
        text_put(t, v->type == JSON_OBJECT ? "}" : "]", 1);
        break;
    }
}

char *json_write(const json *value) {
    text t = {0};
    text_put(&t, "", 0);
    write_value(&t, value);
    return t.buf;
}

static bool json_equal_as(const json *a, const json *b, bool as_set) {
    if (a->type != b->type) return false;
    switch (a->type) {
    case JSON_NULL: return true;
    case JSON_BOOL: return a->boolean == b->boolean;
    case JSON_NUMBER: return a->number == b->number;
    case JSON_STRING: return strcmp(a->string, b->string) == 0;
    case JSON_OBJECT:
        if (a->count != b->count) return false;
        for (size_t i = 0; i < a->count; i++) {
            const json *other = json_get(b, a->keys[i]);
            bool set = strcmp(a->keys[i], "SS") == 0 || strcmp(a->keys[i], "NS") == 0 ||
                       strcmp(a->keys[i], "BS") == 0;
            if (!other || !json_equal_as(&a->items[i], other, set)) return false;
        }
        return true;
    case JSON_ARRAY:
        if (a->count != b->count) return false;
        if (!as_set) {
            for (size_t i = 0; i < a->count; i++)
                if (!json_equal_as(&a->items[i], &b->items[i], false)) return false;
            return true;
        }
        /* Sets hold no duplicates: every element of a is somewhere in b. */
        for (size_t i = 0; i < a->count; i++) {
            bool found = false;
            for (size_t j = 0; j < b->count && !found; j++)
                found = json_equal_as(&a->items[i], &b->items[j], false);
            if (!found) return false;
        }
        return true;
    }
    return false;
}

bool json_equal_item(const json *a, const json *b) {
    return a && b && json_equal_as(a, b, false);
}

/* ---- helpers ----------------------------------------------------------- */

char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 1 >= cap) { cap *= 2; buf = realloc(buf, cap); }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        if (got == 0) break;
        n += got;
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

uint8_t *hex_decode(const char *hex, size_t *len) {
    size_t n = strlen(hex) / 2;
    uint8_t *out = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) { free(out); return NULL; }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    *len = n;
    return out;
}

mrkenv_context_entry *context_from_json(const json *object, size_t *len) {
    *len = 0;
    if (!object || object->type != JSON_OBJECT || object->count == 0) return NULL;
    mrkenv_context_entry *entries = calloc(object->count, sizeof *entries);
    for (size_t i = 0; i < object->count; i++) {
        entries[i].key = object->keys[i];
        entries[i].value = object->items[i].string;
    }
    *len = object->count;
    return entries;
}

void fill_pattern(uint8_t *buf, size_t len, uint32_t seed) {
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

long list_json(const char *dir_path, char **names, size_t max) {
    DIR *dir = opendir(dir_path);
    if (!dir) return -1;
    size_t n = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && n < max) {
        size_t len = strlen(entry->d_name);
        if (len > 5 && strcmp(entry->d_name + len - 5, ".json") == 0) names[n++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof names[0], compare_names);
    return (long)n;
}

/* ---- the XOR KMS -------------------------------------------------------- */

static int xor_generate(void *user, const char *key_id, size_t n, const mrkenv_context_entry *ctx,
                        size_t ctx_len, mrkenv_kms_response *response) {
    (void)ctx; (void)ctx_len;
    xor_kms *kms = user;
    kms->generate_calls++;
    if (n != 32) return 1;
    unsigned seed = kms->next_key++;
    uint8_t key[32], blob[32];
    for (int i = 0; i < 32; i++) {
        key[i] = (uint8_t)(seed * 31u + (unsigned)i * 7u + (seed >> 8));
        blob[i] = key[i] ^ 0x5a;
    }
    mrkenv_kms_response_set_key_id(response, key_id);
    mrkenv_kms_response_set_plaintext(response, key, 32);
    mrkenv_kms_response_set_ciphertext_blob(response, blob, 32);
    return 0;
}

static int xor_encrypt(void *user, const char *key_id, const uint8_t *pt, size_t pt_len,
                       const mrkenv_context_entry *ctx, size_t ctx_len, mrkenv_kms_response *response) {
    (void)ctx; (void)ctx_len;
    xor_kms *kms = user;
    kms->encrypt_calls++;
    if (pt_len != 32) return 1;
    uint8_t blob[32];
    for (int i = 0; i < 32; i++) blob[i] = pt[i] ^ 0x5a;
    mrkenv_kms_response_set_key_id(response, key_id);
    mrkenv_kms_response_set_ciphertext_blob(response, blob, 32);
    return 0;
}

static int xor_decrypt(void *user, const char *key_id, const uint8_t *blob, size_t blob_len,
                       const mrkenv_context_entry *ctx, size_t ctx_len, mrkenv_kms_response *response) {
    (void)ctx; (void)ctx_len;
    xor_kms *kms = user;
    kms->decrypt_calls++;
    if (blob_len != 32) return 1;
    uint8_t key[32];
    for (int i = 0; i < 32; i++) key[i] = blob[i] ^ 0x5a;
    mrkenv_kms_response_set_key_id(response, key_id);
    mrkenv_kms_response_set_plaintext(response, key, 32);
    return 0;
}

mrkenv_kms_client xor_kms_client(xor_kms *kms) {
    mrkenv_kms_client client = {kms, xor_generate, xor_encrypt, xor_decrypt};
    return client;
}
