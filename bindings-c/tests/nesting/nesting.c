/* Hostile headers on small thread stacks, against the library as users get
 * it (dist/c, linked through pkg-config; built by `make test-nesting`).
 *
 * Each message is a valid prefix ("MRKE" 01) and a header whose encryption
 * context value nests arrays and maps (alternating) `depth` levels deep,
 * followed by the rest of a plausible header, a header tag and nothing more;
 * each record is an item whose aws_mrkenv_header does the same. For every
 * depth 1..=300, on threads with 64 KiB and 128 KiB stacks, one-shot
 * decrypt, the stream decryptor, inspect and record decrypt must return
 * MRKENV_STATUS_MALFORMED_MESSAGE, never crash. A crash (stack overflow) is
 * reported by a SIGSEGV handler on an alternate stack with the operation
 * and depth, and the program exits 1. */
#define _DEFAULT_SOURCE
#include <mrkenv.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEPTH 300

typedef struct {
    uint8_t data[4096];
    size_t len;
} buf;

static void put(buf *b, const void *bytes, size_t n) {
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

static void put_byte(buf *b, uint8_t v) { b->data[b->len++] = v; }

/* A CBOR head in its shortest form. */
static void head(buf *b, uint8_t major, size_t n) {
    major <<= 5;
    if (n < 24) {
        put_byte(b, major | (uint8_t)n);
    } else if (n < 256) {
        put_byte(b, major | 24);
        put_byte(b, (uint8_t)n);
    } else {
        put_byte(b, major | 25);
        put_byte(b, (uint8_t)(n >> 8));
        put_byte(b, (uint8_t)n);
    }
}

static void text(buf *b, const char *s) {
    head(b, 3, strlen(s));
    put(b, s, strlen(s));
}

static void bstr(buf *b, uint8_t fill, size_t n) {
    head(b, 2, n);
    for (size_t i = 0; i < n; i++) put_byte(b, fill);
}

/* The context map {"k": <value nested depth levels>}: arrays and maps of
 * one entry, alternating, around an empty text. */
static void nested_context(buf *b, int depth) {
    head(b, 5, 1);
    text(b, "k");
    for (int i = 0; i < depth; i++) {
        if (i % 2 == 0) {
            head(b, 4, 1);
        } else {
            head(b, 5, 1);
            text(b, "m");
        }
    }
    text(b, "");
}

/* The header bytes: fields 1..7, field 4 nested; `record` uses field 6 as
 * the signed attributes map, else the frame length. */
static void header_bytes(buf *b, int depth, int record) {
    head(b, 5, 7);
    put_byte(b, 0x01), put_byte(b, 0x01);
    put_byte(b, 0x02), put_byte(b, 0x01);
    put_byte(b, 0x03), bstr(b, 0x11, 32);
    put_byte(b, 0x04), nested_context(b, depth);
    put_byte(b, 0x05), head(b, 4, 1), head(b, 4, 3), text(b, "ns"), text(b, "key-1"), bstr(b, 0x22, 60);
    put_byte(b, 0x06);
    if (record) {
        head(b, 5, 1), text(b, "pk"), put_byte(b, 0x02);
    } else {
        put_byte(b, 0x19), put_byte(b, 0x10), put_byte(b, 0x00); /* 4096 */
    }
    put_byte(b, 0x07), bstr(b, 0x33, 32);
}

/* Buffers are static (the threads run one after the other), leaving the
 * small stacks to the library. */
static buf scratch;
static char header64[8192];

static void message(buf *m, int depth) {
    buf *h = &scratch;
    h->len = 0;
    header_bytes(h, depth, 0);
    m->len = 0;
    put(m, "MRKE\x01", 5);
    head(m, 2, h->len);
    put(m, h->data, h->len);
    bstr(m, 0x44, 16);
}

static void base64(const uint8_t *in, size_t n, char *out) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = i + 1 < n ? abc[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? abc[v & 63] : '=';
    }
    out[o] = 0;
}

static void record_item(char *item, size_t cap, int depth) {
    buf *h = &scratch;
    h->len = 0;
    header_bytes(h, depth, 1);
    char tag64[32];
    uint8_t tag[16];
    memset(tag, 0x55, sizeof tag);
    base64(h->data, h->len, header64);
    base64(tag, sizeof tag, tag64);
    snprintf(item, cap, "{\"aws_mrkenv_header\":{\"B\":\"%s\"},\"aws_mrkenv_tag\":{\"B\":\"%s\"},\"pk\":{\"S\":\"1\"}}",
             header64, tag64);
}

/* ---- the crash reporter ------------------------------------------------- */

static const char *volatile current_op = "none";
static volatile int current_depth;
static volatile size_t current_stack;

static void on_crash(int sig) {
    char line[160];
    int n = snprintf(line, sizeof line, "FAIL crashed (signal %d) in %s at depth %d on a %zu KiB stack\n", sig,
                     current_op, current_depth, current_stack / 1024);
    if (n > 0) (void)!write(1, line, (size_t)n);
    _exit(1);
}

/* ---- the workers ------------------------------------------------------- */

typedef struct {
    const mrkenv_keyring *keyring;
    size_t stack;
    int failures;
} job;

static void expect_malformed(job *j, const char *op, int depth, mrkenv_status st) {
    if (st == MRKENV_STATUS_MALFORMED_MESSAGE) return;
    if (j->failures++ < 5) {
        char message[512];
        mrkenv_last_error_message(message, sizeof message);
        printf("FAIL %s at depth %d (%zu KiB stack): %s, expected MalformedMessage (%s)\n", op, depth,
               j->stack / 1024, mrkenv_status_name((int)st), message);
    }
}

static void *run(void *arg) {
    job *j = arg;
    static uint8_t alt[64 * 1024];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    current_stack = j->stack;
    static buf m;
    static char item[16384];
    /* Control: a well-formed message decrypts on this stack. */
    mrkenv_bytes ok = {0}, plain = {0};
    current_op = "control round trip";
    if (mrkenv_encrypt(j->keyring, (const uint8_t *)"ok", 2, NULL, 0, &ok) != MRKENV_STATUS_OK ||
        mrkenv_decrypt(j->keyring, ok.data, ok.len, &plain) != MRKENV_STATUS_OK || plain.len != 2) {
        printf("FAIL a well-formed message does not round-trip on a %zu KiB stack\n", j->stack / 1024);
        j->failures++;
    }
    mrkenv_bytes_free(&plain);
    mrkenv_bytes_free(&ok);
    mrkenv_record_decrypt_options options = {.table_name = "t", .partition_key = "pk"};
    for (int depth = 1; depth <= MAX_DEPTH; depth++) {
        current_depth = depth;
        message(&m, depth);
        mrkenv_bytes out = {0};
        current_op = "mrkenv_decrypt";
        expect_malformed(j, current_op, depth, mrkenv_decrypt(j->keyring, m.data, m.len, &out));
        mrkenv_bytes_free(&out);
        current_op = "mrkenv_inspect_json";
        char *json = NULL;
        expect_malformed(j, current_op, depth, mrkenv_inspect_json(m.data, m.len, &json));
        mrkenv_string_free(json);
        current_op = "mrkenv_decryptor_update";
        mrkenv_decryptor *dec = NULL;
        if (mrkenv_decryptor_new(j->keyring, NULL, 0, &dec) == MRKENV_STATUS_OK) {
            expect_malformed(j, current_op, depth, mrkenv_decryptor_update(dec, m.data, m.len, &out));
            mrkenv_bytes_free(&out);
            mrkenv_decryptor_free(dec);
        }
        current_op = "mrkenv_decrypt_record_json";
        record_item(item, sizeof item, depth);
        json = NULL;
        expect_malformed(j, current_op, depth, mrkenv_decrypt_record_json(j->keyring, item, &options, &json));
        mrkenv_string_free(json);
    }
    return NULL;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_crash;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
    uint8_t key[32] = {7};
    mrkenv_keyring *keyring = NULL;
    if (mrkenv_raw_aes_keyring_new("ns", "key-1", key, sizeof key, &keyring) != MRKENV_STATUS_OK) return 1;
    const size_t stacks[] = {64 * 1024, 128 * 1024};
    int failures = 0;
    for (size_t s = 0; s < sizeof stacks / sizeof stacks[0]; s++) {
        job j = {keyring, stacks[s], 0};
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        if (pthread_attr_setstacksize(&attr, stacks[s]) != 0) {
            printf("FAIL cannot set a %zu-byte stack\n", stacks[s]);
            return 1;
        }
        pthread_t thread;
        if (pthread_create(&thread, &attr, run, &j) != 0) {
            printf("FAIL cannot start a thread with a %zu-byte stack\n", stacks[s]);
            return 1;
        }
        pthread_join(thread, NULL);
        pthread_attr_destroy(&attr);
        printf("%s: depths 1..%d on a %zu KiB stack: decrypt, stream, inspect, record decrypt (%d failures)\n",
               j.failures ? "FAIL" : "ok", MAX_DEPTH, stacks[s] / 1024, j.failures);
        failures += j.failures;
    }
    mrkenv_keyring_free(keyring);
    return failures ? 1 : 0;
}
