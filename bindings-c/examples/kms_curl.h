/* A KMS client for mrkenv's C callbacks, over libcurl: the AWS KMS JSON 1.1
 * protocol (GenerateDataKey, Encrypt, Decrypt), signed by curl's own SigV4
 * (CURLOPT_AWS_SIGV4), for AWS itself or any KMS-compatible endpoint (moto).
 * An example, not part of libmrkenv: copy it into your program and adapt it.
 *
 *   mrkenv_curl_kms kms;
 *   if (mrkenv_curl_kms_init(&kms, "us-west-2", NULL) != 0) {
 *       fprintf(stderr, "%s\n", kms.error);
 *       return 1;
 *   }
 *   mrkenv_kms_client client = mrkenv_curl_kms_client(&kms);
 *   const char *keys[] = {"arn:aws:kms:us-west-2:111122223333:key/mrk-..."};
 *   mrkenv_keyring *keyring = NULL;
 *   mrkenv_kms_mrk_keyring_new(keys, 1, &client, &keyring);
 *   // ... mrkenv_decrypt(keyring, ...) ...
 *   mrkenv_keyring_free(keyring);
 *   mrkenv_curl_kms_cleanup(&kms);          // after the keyring is gone
 *
 * Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (for
 * temporary credentials) AWS_SESSION_TOKEN, read once by init. The endpoint
 * is, in this order: the `endpoint` argument, AWS_ENDPOINT_URL_KMS,
 * AWS_ENDPOINT_URL, else https://kms.<region>.amazonaws.com/.
 *
 * Every call makes its own curl handle, so one client may serve several
 * threads at once (the log hook then must be thread-safe too, and `calls`
 * is only a hint). */
#ifndef MRKENV_KMS_CURL_H
#define MRKENV_KMS_CURL_H

#include <stddef.h>

#include <mrkenv.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Called once per KMS request that got an HTTP answer or failed to get one.
 * `operation` is "GenerateDataKey", "Encrypt" or "Decrypt"; `region` the
 * client's Region (whose KMS answered); `key_id` the KeyId KMS answered with
 * on success, else the KeyId asked for; `error` NULL on success, else the
 * message also given to mrkenv. All strings are borrowed for the call. */
typedef void (*mrkenv_curl_kms_log_fn)(void *log_user, const char *operation, const char *region,
                                       const char *key_id, const char *error);

typedef struct mrkenv_curl_kms {
    char region[64];
    char endpoint[512];          /* the URL every request is POSTed to */
    char *access_key_id;         /* copies of the credentials, wiped by cleanup */
    char *secret_access_key;
    char *session_token_header;  /* "X-Amz-Security-Token: ..." or NULL */
    long connect_timeout_ms;     /* default 5000 */
    long timeout_ms;             /* whole request, default 30000 */
    mrkenv_curl_kms_log_fn log;  /* NULL: no log */
    void *log_user;
    unsigned long calls;         /* requests made (successful or not) */
    char error[256];             /* why init failed */
} mrkenv_curl_kms;

/* Fills `kms` for `region` (e.g. "us-west-2") and `endpoint` (NULL: see
 * above; e.g. "http://127.0.0.1:5000/"). Returns 0, or -1 with the reason in
 * kms->error (missing credentials, bad Region, curl init failure); after -1
 * there is nothing to clean up. Calls curl_global_init. */
int mrkenv_curl_kms_init(mrkenv_curl_kms *kms, const char *region, const char *endpoint);

/* The callbacks, with `user` = kms: it must outlive every keyring made with
 * this client. */
mrkenv_kms_client mrkenv_curl_kms_client(mrkenv_curl_kms *kms);

/* Wipes and frees the credentials; calls curl_global_cleanup. */
void mrkenv_curl_kms_cleanup(mrkenv_curl_kms *kms);

#ifdef __cplusplus
}
#endif

#endif
