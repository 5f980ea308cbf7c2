/* A KMS client for mrkenv's C callbacks over libcurl: see kms_curl.h.
 *
 * Wire format (AWS KMS JSON 1.1): POST / with
 *   Content-Type: application/x-amz-json-1.1
 *   X-Amz-Target: TrentService.<Operation>
 * and a flat JSON body; blobs are padded standard base64. Errors come back as
 * a non-200 status with {"__type": "...Exception", "message": "..."}.
 *
 * Key material: the request of Encrypt holds the data key (base64) and the
 * answers of GenerateDataKey and Decrypt hold it too: every buffer of this
 * file is wiped before it is freed or grown. Copies libcurl makes in its own
 * send and receive buffers (and the TLS library's) are out of our reach. */
#include "kms_curl.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RESPONSE (1u << 20)

/* ---- wiped buffers ---- */

typedef struct {
    char *data;
    size_t len, cap;
    bool failed; /* out of memory or over MAX_RESPONSE */
} buf;

static void wipe(void *p, size_t n) {
    volatile unsigned char *v = p;
    while (n--) *v++ = 0;
}

static void buf_free(buf *b) {
    if (b->data) {
        wipe(b->data, b->cap);
        free(b->data);
    }
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Makes room for n more bytes (and a NUL) by copying, never realloc: the
 * old block is wiped before it is freed. */
static bool buf_reserve(buf *b, size_t n) {
    if (b->failed) return false;
    if (b->len + n + 1 <= b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *data = malloc(cap);
    if (!data) {
        b->failed = true;
        return false;
    }
    size_t len = b->len;
    if (len) memcpy(data, b->data, len);
    buf_free(b);
    b->data = data;
    b->cap = cap;
    b->len = len;
    return true;
}

static bool buf_append(buf *b, const void *p, size_t n) {
    if (!buf_reserve(b, n)) return false;
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

static bool buf_str(buf *b, const char *s) { return buf_append(b, s, strlen(s)); }

/* ---- base64 (padded, standard alphabet) ---- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static bool b64_encode(buf *b, const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n) v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n) v |= p[i + 2];
        char out[4] = {B64[v >> 18], B64[(v >> 12) & 63], i + 1 < n ? B64[(v >> 6) & 63] : '=',
                       i + 2 < n ? B64[v & 63] : '='};
        bool ok = buf_append(b, out, 4);
        wipe(out, sizeof out);
        if (!ok) return false;
    }
    return true;
}

static int b64_value(char c) {
    const char *p = c ? strchr(B64, c) : NULL;
    return p ? (int)(p - B64) : -1;
}

/* Decodes padded base64 into a new malloc'd block (wipe and free it). */
static bool b64_decode(const char *s, size_t n, uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    if (n % 4) return false;
    uint8_t *bytes = malloc(n / 4 * 3 + 1);
    if (!bytes) return false;
    size_t len = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int j = 0; j < 4; j++) {
            v[j] = s[i + j] == '=' && i + 4 == n && j >= 2 ? -2 : b64_value(s[i + j]);
            if (v[j] == -1 || (j == 3 && v[2] == -2 && v[3] != -2)) {
                wipe(bytes, n / 4 * 3 + 1);
                free(bytes);
                return false;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)(v[2] < 0 ? 0 : v[2]) << 6 |
                     (uint32_t)(v[3] < 0 ? 0 : v[3]);
        bytes[len++] = (uint8_t)(w >> 16);
        if (v[2] >= 0) bytes[len++] = (uint8_t)(w >> 8);
        if (v[3] >= 0) bytes[len++] = (uint8_t)w;
        wipe(&w, sizeof w);
        wipe(v, sizeof v);
    }
    *out = bytes;
    *out_len = len;
    return true;
}

/* ---- JSON: write strings, read one flat object ---- */

static bool json_string(buf *b, const char *s) {
    bool ok = buf_str(b, "\"");
    for (; ok && *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            ok = buf_append(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            ok = buf_str(b, esc);
        } else {
            ok = buf_append(b, s, 1);
        }
    }
    return ok && buf_str(b, "\"");
}

static bool json_context(buf *b, const mrkenv_context_entry *context, size_t len) {
    bool ok = buf_str(b, ",\"EncryptionContext\":{");
    for (size_t i = 0; ok && i < len; i++)
        ok = (i == 0 || buf_str(b, ",")) && json_string(b, context[i].key) && buf_str(b, ":") &&
             json_string(b, context[i].value);
    return ok && buf_str(b, "}");
}

static const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

static int hex4(const char *p, const char *end) {
    if (end - p < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

static bool put_utf8(buf *out, uint32_t cp) {
    char u[4];
    size_t n;
    if (cp < 0x80) u[0] = (char)cp, n = 1;
    else if (cp < 0x800) u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 63)), n = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 63)), u[2] = (char)(0x80 | (cp & 63)), n = 3;
    else
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 63)),
        u[2] = (char)(0x80 | ((cp >> 6) & 63)), u[3] = (char)(0x80 | (cp & 63)), n = 4;
    return buf_append(out, u, n);
}

/* Reads a JSON string at *pp (at the opening quote) into `out` (NULL: skip). */
static bool read_string(const char **pp, const char *end, buf *out) {
    const char *p = *pp;
    if (p >= end || *p != '"') return false;
    for (p++; p < end && *p != '"'; p++) {
        if ((unsigned char)*p < 0x20) return false;
        if (*p != '\\') {
            if (out && !buf_append(out, p, 1)) return false;
            continue;
        }
        if (++p >= end) return false;
        char c = *p;
        const char *simple = strchr("\"\\/bfnrt", c);
        if (c && simple) {
            static const char plain[] = "\"\\/\b\f\n\r\t";
            if (out && !buf_append(out, &plain[simple - "\"\\/bfnrt"], 1)) return false;
        } else if (c == 'u') {
            int hi = hex4(p + 1, end);
            if (hi < 0) return false;
            p += 4;
            uint32_t cp = (uint32_t)hi;
            if (hi >= 0xD800 && hi < 0xDC00 && end - p > 6 && p[1] == '\\' && p[2] == 'u') {
                int lo = hex4(p + 3, end);
                if (lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + (((uint32_t)hi - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                    p += 6;
                }
            }
            if (cp >= 0xD800 && cp < 0xE000) cp = 0xFFFD; /* lone surrogate */
            if (out && !put_utf8(out, cp)) return false;
        } else {
            return false;
        }
    }
    if (p >= end) return false;
    *pp = p + 1;
    return true;
}

static bool skip_value(const char **pp, const char *end, int depth) {
    const char *p = skip_ws(*pp, end);
    if (p >= end || depth > 32) return false;
    if (*p == '"') {
        if (!read_string(&p, end, NULL)) return false;
    } else if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = skip_ws(p + 1, end);
        if (p < end && *p == close) {
            *pp = p + 1;
            return true;
        }
        for (;;) {
            if (close == '}') {
                p = skip_ws(p, end);
                if (!read_string(&p, end, NULL)) return false;
                p = skip_ws(p, end);
                if (p >= end || *p++ != ':') return false;
            }
            if (!skip_value(&p, end, depth + 1)) return false;
            p = skip_ws(p, end);
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            if (p < end && *p == close) {
                p++;
                break;
            }
            return false;
        }
    } else {
        const char *start = p;
        while (p < end && strchr("0123456789+-.eEtruefalsn", *p)) p++;
        if (p == start) return false;
    }
    *pp = p;
    return true;
}

/* Finds the string member `name` of the object in body[0..len): 1 found (in
 * `out`), 0 absent (or not a string), -1 not a JSON object. */
static int json_get(const char *body, size_t len, const char *name, buf *out) {
    const char *p = skip_ws(body, body + len), *end = body + len;
    int found = 0;
    buf key = {0};
    if (p >= end || *p++ != '{') return -1;
    p = skip_ws(p, end);
    if (p < end && *p == '}') return 0;
    for (;;) {
        key.len = 0;
        p = skip_ws(p, end);
        if (!read_string(&p, end, &key)) goto bad;
        p = skip_ws(p, end);
        if (p >= end || *p++ != ':') goto bad;
        p = skip_ws(p, end);
        bool match = key.data && strcmp(key.data, name) == 0;
        if (match && found == 0 && p < end && *p == '"') {
            if (!read_string(&p, end, out)) goto bad;
            if (!out->data && !buf_append(out, "", 0)) goto bad;
            found = 1;
        } else if (!skip_value(&p, end, 0)) {
            goto bad;
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}') break;
        goto bad;
    }
    buf_free(&key);
    return found;
bad:
    buf_free(&key);
    return -1;
}

/* ---- HTTP ---- */

static size_t on_body(char *data, size_t size, size_t n, void *user) {
    buf *b = user;
    size_t total = size * n;
    if (b->len + total > MAX_RESPONSE || !buf_append(b, data, total)) {
        b->failed = true;
        return 0;
    }
    return total;
}

static void finish(mrkenv_curl_kms *kms, mrkenv_kms_response *response, const char *operation,
                   const char *key_id, const char *error) {
    if (error) mrkenv_kms_response_set_error(response, error);
    if (kms->log) kms->log(kms->log_user, operation, kms->region, key_id, error);
}

/* "KMS Decrypt in us-west-2: <what>" */
static void failure(mrkenv_curl_kms *kms, mrkenv_kms_response *response, const char *operation,
                    const char *key_id, const char *what) {
    char message[768];
    snprintf(message, sizeof message, "KMS %s in %s: %s", operation, kms->region, what);
    finish(kms, response, operation, key_id, message);
}

/* POSTs `request` (wiped by the caller) and leaves a 200 answer in `body`.
 * On any failure reports it (response error + log) and returns false. */
static bool post(mrkenv_curl_kms *kms, const char *operation, const char *key_id, const buf *request,
                 buf *body, mrkenv_kms_response *response) {
    char target[64], sigv4[96], curl_error[CURL_ERROR_SIZE] = "", what[640];
    long status = 0;
    snprintf(target, sizeof target, "X-Amz-Target: TrentService.%s", operation);
    snprintf(sigv4, sizeof sigv4, "aws:amz:%s:kms", kms->region);
    kms->calls++;

    CURL *curl = curl_easy_init();
    struct curl_slist *headers = NULL, *h;
    bool ok = curl != NULL;
#define ADD(x) (ok = ok && (h = curl_slist_append(headers, (x))) != NULL && (headers = h) != NULL)
    ADD("Content-Type: application/x-amz-json-1.1");
    ADD(target);
    ADD("Accept: application/json");
    if (kms->session_token_header) ADD(kms->session_token_header);
#undef ADD
    if (!ok) {
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
        failure(kms, response, operation, key_id, "out of memory");
        return false;
    }
    curl_easy_setopt(curl, CURLOPT_URL, kms->endpoint);
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4);
    curl_easy_setopt(curl, CURLOPT_USERNAME, kms->access_key_id);
    curl_easy_setopt(curl, CURLOPT_PASSWORD, kms->secret_access_key);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request->data); /* not copied by curl */
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)request->len);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, kms->connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, kms->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    if (rc != CURLE_OK) {
        snprintf(what, sizeof what, "%s (%s)", body->failed ? "answer too large or out of memory" : curl_easy_strerror(rc),
                 curl_error[0] ? curl_error : kms->endpoint);
        failure(kms, response, operation, key_id, what);
        return false;
    }
    if (status == 200) return true;

    /* A KMS error: {"__type": "NotFoundException", "message": "..."}; the
     * type may carry a namespace ("com.amazonaws.kms#NotFoundException"). */
    buf type = {0}, message = {0};
    const char *body_text = body->data ? body->data : "";
    if (json_get(body_text, body->len, "__type", &type) == 1) {
        if (json_get(body_text, body->len, "message", &message) != 1) {
            buf_free(&message);
            json_get(body_text, body->len, "Message", &message);
        }
        const char *t = strrchr(type.data, '#') ? strrchr(type.data, '#') + 1 : type.data;
        snprintf(what, sizeof what, "%s: %s (HTTP %ld)", t, message.data ? message.data : "(no message)", status);
    } else {
        /* Not KMS's JSON (a proxy, a wrong endpoint): its start, printable only. */
        char start[121];
        size_t n = 0;
        for (size_t i = 0; i < body->len && n < sizeof start - 1; i++)
            start[n++] = body_text[i] >= 0x20 && body_text[i] < 0x7f ? body_text[i] : ' ';
        start[n] = '\0';
        snprintf(what, sizeof what, "HTTP %ld from %s%s%s", status, kms->endpoint, n ? ": " : "", start);
    }
    buf_free(&type);
    buf_free(&message);
    failure(kms, response, operation, key_id, what);
    return false;
}

/* Reads the answer's string `name` (base64 when `blob`) and hands it to the
 * response. Returns false after reporting what is missing. */
static bool take(mrkenv_curl_kms *kms, mrkenv_kms_response *response, const char *operation,
                 const char *key_id, const buf *body, const char *name, bool plaintext) {
    buf value = {0};
    uint8_t *bytes = NULL;
    size_t len = 0;
    char what[160];
    bool ok = json_get(body->data, body->len, name, &value) == 1 && value.data &&
              b64_decode(value.data, value.len, &bytes, &len) && len > 0;
    if (ok)
        ok = (plaintext ? mrkenv_kms_response_set_plaintext(response, bytes, len)
                        : mrkenv_kms_response_set_ciphertext_blob(response, bytes, len)) == MRKENV_STATUS_OK;
    if (bytes) {
        wipe(bytes, len);
        free(bytes);
    }
    buf_free(&value);
    if (!ok) {
        snprintf(what, sizeof what, "the answer has no valid %s", name);
        failure(kms, response, operation, key_id, what);
    }
    return ok;
}

/* Sets the answer's KeyId; `*answered` points to it (owned by `holder`). */
static bool take_key_id(mrkenv_curl_kms *kms, mrkenv_kms_response *response, const char *operation,
                        const char *key_id, const buf *body, buf *holder) {
    if (json_get(body->data, body->len, "KeyId", holder) != 1 || !holder->data ||
        mrkenv_kms_response_set_key_id(response, holder->data) != MRKENV_STATUS_OK) {
        failure(kms, response, operation, key_id, "the answer has no KeyId");
        return false;
    }
    return true;
}

static int call(mrkenv_curl_kms *kms, const char *operation, const char *key_id, buf *request,
                mrkenv_kms_response *response, bool want_plaintext, bool want_blob) {
    buf body = {0}, answered = {0};
    bool ok = !request->failed;
    if (!ok) failure(kms, response, operation, key_id, "out of memory");
    ok = ok && post(kms, operation, key_id, request, &body, response);
    buf_free(request);
    if (ok && !body.data) {
        failure(kms, response, operation, key_id, "empty answer");
        ok = false;
    }
    ok = ok && take_key_id(kms, response, operation, key_id, &body, &answered);
    ok = ok && (!want_plaintext || take(kms, response, operation, key_id, &body, "Plaintext", true));
    ok = ok && (!want_blob || take(kms, response, operation, key_id, &body, "CiphertextBlob", false));
    if (ok) finish(kms, response, operation, answered.data, NULL);
    buf_free(&answered);
    buf_free(&body);
    return ok ? MRKENV_STATUS_OK : MRKENV_STATUS_KMS_CALLBACK_FAILED;
}

static int generate_data_key(void *user, const char *key_id, size_t number_of_bytes,
                             const mrkenv_context_entry *context, size_t context_len,
                             mrkenv_kms_response *response) {
    buf request = {0};
    char n[32];
    snprintf(n, sizeof n, "%zu", number_of_bytes);
    (void)(buf_str(&request, "{\"KeyId\":") && json_string(&request, key_id) &&
           buf_str(&request, ",\"NumberOfBytes\":") && buf_str(&request, n) &&
           (context_len == 0 || json_context(&request, context, context_len)) && buf_str(&request, "}"));
    return call(user, "GenerateDataKey", key_id, &request, response, true, true);
}

static int encrypt(void *user, const char *key_id, const uint8_t *plaintext, size_t plaintext_len,
                   const mrkenv_context_entry *context, size_t context_len, mrkenv_kms_response *response) {
    buf request = {0};
    (void)(buf_str(&request, "{\"KeyId\":") && json_string(&request, key_id) &&
           buf_str(&request, ",\"Plaintext\":\"") && b64_encode(&request, plaintext, plaintext_len) &&
           buf_str(&request, "\"") && (context_len == 0 || json_context(&request, context, context_len)) &&
           buf_str(&request, "}"));
    return call(user, "Encrypt", key_id, &request, response, false, true);
}

static int decrypt(void *user, const char *key_id, const uint8_t *blob, size_t blob_len,
                   const mrkenv_context_entry *context, size_t context_len, mrkenv_kms_response *response) {
    buf request = {0};
    (void)(buf_str(&request, "{\"KeyId\":") && json_string(&request, key_id) &&
           buf_str(&request, ",\"CiphertextBlob\":\"") && b64_encode(&request, blob, blob_len) &&
           buf_str(&request, "\"") && (context_len == 0 || json_context(&request, context, context_len)) &&
           buf_str(&request, "}"));
    return call(user, "Decrypt", key_id, &request, response, true, false);
}

/* ---- setup ---- */

static char *copy(const char *s) {
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) memcpy(c, s, n);
    return c;
}

static void free_secret(char **s) {
    if (*s) {
        wipe(*s, strlen(*s));
        free(*s);
        *s = NULL;
    }
}

static void release(mrkenv_curl_kms *kms) {
    free_secret(&kms->access_key_id);
    free_secret(&kms->secret_access_key);
    free_secret(&kms->session_token_header);
}

int mrkenv_curl_kms_init(mrkenv_curl_kms *kms, const char *region, const char *endpoint) {
    memset(kms, 0, sizeof *kms);
    kms->connect_timeout_ms = 5000;
    kms->timeout_ms = 30000;
    size_t n = region ? strlen(region) : 0;
    if (n == 0 || n >= sizeof kms->region || strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != n) {
        snprintf(kms->error, sizeof kms->error, "not a Region name: \"%.64s\"", region ? region : "");
        return -1;
    }
    memcpy(kms->region, region, n + 1);

    if (!endpoint || !*endpoint) endpoint = getenv("AWS_ENDPOINT_URL_KMS");
    if (!endpoint || !*endpoint) endpoint = getenv("AWS_ENDPOINT_URL");
    int w = endpoint && *endpoint ? snprintf(kms->endpoint, sizeof kms->endpoint, "%s", endpoint)
                                  : snprintf(kms->endpoint, sizeof kms->endpoint, "https://kms.%s.amazonaws.com/", region);
    if (w < 0 || (size_t)w >= sizeof kms->endpoint) {
        snprintf(kms->error, sizeof kms->error, "endpoint URL too long");
        return -1;
    }

    const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
    const char *token = getenv("AWS_SESSION_TOKEN");
    if (!id || !*id || !secret || !*secret) {
        snprintf(kms->error, sizeof kms->error, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials)");
        return -1;
    }
    kms->access_key_id = copy(id);
    kms->secret_access_key = copy(secret);
    bool ok = kms->access_key_id && kms->secret_access_key;
    if (ok && token && *token) {
        static const char name[] = "X-Amz-Security-Token: ";
        size_t len = sizeof name - 1 + strlen(token) + 1;
        kms->session_token_header = malloc(len);
        ok = kms->session_token_header != NULL;
        if (ok) snprintf(kms->session_token_header, len, "%s%s", name, token);
    }
    if (!ok) {
        release(kms);
        snprintf(kms->error, sizeof kms->error, "out of memory");
        return -1;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        release(kms);
        snprintf(kms->error, sizeof kms->error, "curl_global_init failed");
        return -1;
    }
    return 0;
}

mrkenv_kms_client mrkenv_curl_kms_client(mrkenv_curl_kms *kms) {
    mrkenv_kms_client client = {kms, generate_data_key, encrypt, decrypt};
    return client;
}

void mrkenv_curl_kms_cleanup(mrkenv_curl_kms *kms) {
    release(kms);
    curl_global_cleanup();
}
