/* One keyring shared by 8 threads at once (raw AES, and a KMS keyring over
 * thread-safe callbacks): each thread encrypts its own messages, then
 * decrypts (one shot and streaming) the messages of another thread, all
 * started together by a barrier. And a panic injected inside the library
 * (the test build's mrkenv_testing_panic) comes back as a status. */
#define _DEFAULT_SOURCE /* pthread_barrier_t */
#include "support.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define THREADS 8
#define MESSAGES 12
#define KMS_KEY "arn:aws:kms:us-west-2:111122223333:key/mrk-threads"

typedef struct {
    const mrkenv_keyring *keyring;
    pthread_barrier_t *barrier;
    mrkenv_bytes (*messages)[MESSAGES]; /* [THREADS][MESSAGES] */
    int index;
    int failures;
    char first_failure[256];
} worker;

static void plaintext_of(int thread, int i, uint8_t *buf, size_t *len) {
    *len = 100 + (size_t)(thread * MESSAGES + i) * 37;
    fill_pattern(buf, *len, (uint32_t)(thread * 1000 + i));
}

static void fail(worker *w, const char *what, mrkenv_status st) {
    if (w->failures++ == 0)
        snprintf(w->first_failure, sizeof w->first_failure, "thread %d: %s: %s", w->index, what,
                 mrkenv_status_name((int)st));
}

static void *work(void *arg) {
    worker *w = arg;
    uint8_t buf[4096];
    size_t len;
    char tenant[16];
    snprintf(tenant, sizeof tenant, "t%d", w->index);
    mrkenv_context_entry context[] = {{"tenant", tenant}};
    pthread_barrier_wait(w->barrier);
    for (int i = 0; i < MESSAGES; i++) {
        plaintext_of(w->index, i, buf, &len);
        mrkenv_status st = mrkenv_encrypt_with_frame_length(w->keyring, buf, len, context, 1, 1024,
                                                            &w->messages[w->index][i]);
        if (st != MRKENV_STATUS_OK) fail(w, "encrypt", st);
    }
    /* Every thread has written its messages before any reads another's. */
    pthread_barrier_wait(w->barrier);
    int other = (w->index + 1) % THREADS;
    char other_tenant[16];
    snprintf(other_tenant, sizeof other_tenant, "t%d", other);
    mrkenv_context_entry required[] = {{"tenant", other_tenant}};
    for (int i = 0; i < MESSAGES; i++) {
        const mrkenv_bytes *message = &w->messages[other][i];
        plaintext_of(other, i, buf, &len);
        mrkenv_bytes plain = {0};
        mrkenv_status st = mrkenv_decrypt_with_required_context(w->keyring, message->data, message->len,
                                                                required, 1, &plain);
        if (st != MRKENV_STATUS_OK) fail(w, "decrypt", st);
        else if (plain.len != len || memcmp(plain.data, buf, len) != 0) fail(w, "decrypt (wrong plaintext)", st);
        mrkenv_bytes_free(&plain);
        /* Streaming, in 300-byte pieces. */
        mrkenv_decryptor *dec = NULL;
        size_t got = 0;
        bool same = true;
        st = mrkenv_decryptor_new(w->keyring, required, 1, &dec);
        for (size_t at = 0; st == MRKENV_STATUS_OK && at < message->len; at += 300) {
            size_t n = message->len - at < 300 ? message->len - at : 300;
            mrkenv_bytes chunk = {0};
            st = mrkenv_decryptor_update(dec, message->data + at, n, &chunk);
            if (st == MRKENV_STATUS_OK && chunk.len) {
                if (got + chunk.len > len || memcmp(chunk.data, buf + got, chunk.len) != 0) same = false;
                got += chunk.len;
            }
            mrkenv_bytes_free(&chunk);
        }
        if (st == MRKENV_STATUS_OK) st = mrkenv_decryptor_finish(dec);
        mrkenv_decryptor_free(dec);
        if (st != MRKENV_STATUS_OK) fail(w, "stream decrypt", st);
        else if (!same || got != len) fail(w, "stream decrypt (wrong plaintext)", st);
    }
    return NULL;
}

/* Runs the workers over `keyring`; true when every thread succeeded. */
static bool run_threads(const mrkenv_keyring *keyring) {
    static mrkenv_bytes messages[THREADS][MESSAGES];
    memset(messages, 0, sizeof messages);
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, THREADS);
    worker workers[THREADS];
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (worker){keyring, &barrier, messages, t, 0, {0}};
        if (pthread_create(&threads[t], NULL, work, &workers[t]) != 0) return false;
    }
    bool ok = true;
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        if (workers[t].failures) {
            printf("    %d failure(s), first: %s\n", workers[t].failures, workers[t].first_failure);
            ok = false;
        }
    }
    pthread_barrier_destroy(&barrier);
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < MESSAGES; i++) mrkenv_bytes_free(&messages[t][i]);
    return ok;
}

static void shared_raw_aes_keyring(void) {
    uint8_t key[32];
    fill_pattern(key, 32, 99);
    mrkenv_keyring *keyring = NULL;
    CHECK_OK(mrkenv_raw_aes_keyring_new("threads", "key-1", key, 32, &keyring));
    CHECK(run_threads(keyring));
    mrkenv_keyring_free(keyring);
}

static void shared_kms_keyring(void) {
    xor_kms kms = {0};
    mrkenv_kms_client client = xor_kms_client(&kms);
    const char *ids[] = {KMS_KEY};
    mrkenv_keyring *keyring = NULL;
    CHECK_OK(mrkenv_kms_mrk_keyring_new(ids, 1, &client, &keyring));
    CHECK(run_threads(keyring));
    /* One GenerateDataKey per message; one Decrypt per one-shot and per stream. */
    CHECK(kms.generate_calls == THREADS * MESSAGES);
    CHECK(kms.decrypt_calls == 2 * THREADS * MESSAGES);
    mrkenv_keyring_free(keyring);
    /* The discovery keyring (in the key's Region) over the same client. */
    mrkenv_keyring *discovery = NULL;
    CHECK_OK(mrkenv_kms_mrk_discovery_keyring_new("us-west-2", "aws", (const char *[]){"111122223333"}, 1,
                                                  &client, &discovery));
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(mrkenv_kms_mrk_keyring_new(ids, 1, &client, &keyring));
    CHECK_OK(mrkenv_encrypt(keyring, (const uint8_t *)"d", 1, NULL, 0, &message));
    CHECK_OK(mrkenv_decrypt(discovery, message.data, message.len, &plain));
    CHECK(plain.len == 1);
    mrkenv_bytes_free(&plain);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(keyring);
    mrkenv_keyring_free(discovery);
}

static void *panic_in_thread(void *arg) {
    *(mrkenv_status *)arg = mrkenv_testing_panic();
    return NULL;
}

static void injected_panic_is_a_status(void) {
    CHECK_STATUS(mrkenv_testing_panic(), MRKENV_STATUS_PANIC);
    CHECK(last_error_contains("internal error (panic, a bug in mrkenv)"));
    CHECK(last_error_contains("mrkenv_testing_panic"));
    /* On other threads too, at once; the library keeps working afterwards. */
    pthread_t threads[THREADS];
    mrkenv_status results[THREADS];
    for (int t = 0; t < THREADS; t++) CHECK(pthread_create(&threads[t], NULL, panic_in_thread, &results[t]) == 0);
    for (int t = 0; t < THREADS; t++) {
        pthread_join(threads[t], NULL);
        CHECK(results[t] == MRKENV_STATUS_PANIC);
    }
    uint8_t key[32] = {1};
    mrkenv_keyring *keyring = NULL;
    mrkenv_bytes message = {0}, plain = {0};
    CHECK_OK(mrkenv_raw_aes_keyring_new("ns", "k", key, 32, &keyring));
    CHECK_OK(mrkenv_encrypt(keyring, (const uint8_t *)"after", 5, NULL, 0, &message));
    CHECK_OK(mrkenv_decrypt(keyring, message.data, message.len, &plain));
    CHECK(plain.len == 5 && memcmp(plain.data, "after", 5) == 0);
    mrkenv_bytes_free(&plain);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(keyring);
}

const test_case thread_tests[] = {
    {"shared_raw_aes_keyring", shared_raw_aes_keyring},
    {"shared_kms_keyring", shared_kms_keyring},
    {"injected_panic_is_a_status", injected_panic_is_a_status},
};
const size_t thread_tests_count = sizeof thread_tests / sizeof thread_tests[0];
