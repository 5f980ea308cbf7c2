/* An LD_PRELOAD free() interposer: scans every block the process frees for
 * known 32-byte key patterns, so that a test can prove a copy of key
 * material was wiped before it was freed (as bindings-c/tests/zeroize does
 * with --wrap=free, here for a Python process and its extension module).
 *
 * FREESCAN_KEYS holds up to 4 patterns as 64 hex digits each, comma
 * separated. realloc() is rerouted through malloc + copy + free so that the
 * old block of a grown buffer is scanned too. freescan_hits(i) returns how
 * many freed blocks held pattern i since the last freescan_reset(); a test
 * calls them through ctypes. Python's small-object allocator (pymalloc) does
 * not use free(): Python `bytes` of the caller are not scanned, only the
 * extension's (and the interpreter's large) allocations are. */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern void __libc_free(void *ptr);
extern void *__libc_malloc(size_t size);

#define MAX_PATTERNS 4
static uint8_t patterns[MAX_PATTERNS][32];
static int npatterns;
static long hits[MAX_PATTERNS];
static long frees;

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

__attribute__((constructor)) static void freescan_init(void) {
    const char *s = getenv("FREESCAN_KEYS");
    while (s && npatterns < MAX_PATTERNS) {
        for (int i = 0; i < 32; i++) {
            int hi = hexval(s[2 * i]), lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);
            if (hi < 0 || lo < 0) return;
            patterns[npatterns][i] = (uint8_t)(hi * 16 + lo);
        }
        npatterns++;
        s += 64;
        if (*s != ',') break;
        s++;
    }
}

static void scan(const uint8_t *block, size_t len) {
    frees++;
    for (int p = 0; p < npatterns; p++)
        for (size_t i = 0; i + 32 <= len; i++)
            if (block[i] == patterns[p][0] && memcmp(block + i, patterns[p], 32) == 0) {
                hits[p]++;
                break;
            }
}

void free(void *ptr) {
    if (ptr) scan(ptr, malloc_usable_size(ptr));
    __libc_free(ptr);
}

void *realloc(void *ptr, size_t size) {
    if (!ptr) return __libc_malloc(size);
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    void *fresh = __libc_malloc(size);
    if (!fresh) return NULL;
    size_t old = malloc_usable_size(ptr);
    memcpy(fresh, ptr, old < size ? old : size);
    free(ptr);
    return fresh;
}

long freescan_hits(int pattern) { return pattern >= 0 && pattern < npatterns ? hits[pattern] : -1; }
long freescan_frees(void) { return frees; }
void freescan_reset(void) {
    for (int p = 0; p < MAX_PATTERNS; p++) hits[p] = 0;
    frees = 0;
}
