/* The API of issue 5, copied verbatim: code outside the repository is written
 * against these declarations, so they must compile against the committed
 * header. C accepts a redeclaration only when it is compatible (same return
 * and parameter types), so any drift in a signature breaks this file. The
 * struct definitions cannot be repeated in C; their layout and member types
 * are pinned with static assertions instead. */
#include "support.h"

#include <stddef.h>

/* ---- the declarations of the issue, as written there ------------------- */

typedef struct mrkenv_keyring mrkenv_keyring;                      /* opaque */
mrkenv_status mrkenv_raw_aes_keyring_new(const char *key_namespace, const char *key_name,
    const uint8_t *wrapping_key, size_t wrapping_key_len, mrkenv_keyring **out);
void mrkenv_keyring_free(mrkenv_keyring *keyring);                  /* NULL is fine */
mrkenv_status mrkenv_encrypt(const mrkenv_keyring *keyring, const uint8_t *plaintext, size_t plaintext_len,
    const mrkenv_context_entry *context, size_t context_len, mrkenv_bytes *out);
mrkenv_status mrkenv_decrypt(const mrkenv_keyring *keyring, const uint8_t *ciphertext, size_t ciphertext_len,
    mrkenv_bytes *out);
void mrkenv_bytes_free(mrkenv_bytes *bytes);                         /* zeroes and frees; NULL is fine */
size_t mrkenv_last_error_message(char *buf, size_t buf_len);         /* this thread's last error, NUL-terminated,
                                                                        returns the length needed */
mrkenv_status mrkenv_mrk_match(const char *a, const char *b, bool *out);

/* ---- the types ----------------------------------------------------------- */

/* typedef struct mrkenv_bytes { uint8_t *data; size_t len; } mrkenv_bytes; */
_Static_assert(_Generic(((mrkenv_bytes *)0)->data, uint8_t *: 1, default: 0), "mrkenv_bytes.data is uint8_t *");
_Static_assert(_Generic(((mrkenv_bytes *)0)->len, size_t: 1, default: 0), "mrkenv_bytes.len is size_t");
_Static_assert(offsetof(mrkenv_bytes, data) == 0, "mrkenv_bytes.data comes first");
_Static_assert(offsetof(mrkenv_bytes, len) == sizeof(uint8_t *), "mrkenv_bytes.len follows data");
_Static_assert(sizeof(mrkenv_bytes) == sizeof(uint8_t *) + sizeof(size_t), "mrkenv_bytes has two members");
_Static_assert(sizeof(struct mrkenv_bytes) == sizeof(mrkenv_bytes), "struct mrkenv_bytes is the tag");

/* typedef struct mrkenv_context_entry { const char *key; const char *value; } mrkenv_context_entry; */
_Static_assert(_Generic(((mrkenv_context_entry *)0)->key, const char *: 1, default: 0), "key is const char *");
_Static_assert(_Generic(((mrkenv_context_entry *)0)->value, const char *: 1, default: 0), "value is const char *");
_Static_assert(offsetof(mrkenv_context_entry, key) == 0, "key comes first");
_Static_assert(offsetof(mrkenv_context_entry, value) == sizeof(const char *), "value follows key");
_Static_assert(sizeof(mrkenv_context_entry) == 2 * sizeof(const char *), "two members");
_Static_assert(sizeof(struct mrkenv_context_entry) == sizeof(mrkenv_context_entry), "the tag");

/* mrkenv_status: a C enum, MRKENV_STATUS_OK == 0, grouped codes that are never renumbered. */
_Static_assert(MRKENV_STATUS_OK == 0, "MRKENV_STATUS_OK is 0");
_Static_assert(sizeof(mrkenv_status) == sizeof(enum mrkenv_status), "mrkenv_status is the enum");
_Static_assert(MRKENV_STATUS_NULL_ARGUMENT == 100 && MRKENV_STATUS_INVALID_ARGUMENT == 101,
               "1xx: the caller's arguments");
_Static_assert(MRKENV_STATUS_INVALID_ARN == 200 && MRKENV_STATUS_KEYRING == 201 &&
                   MRKENV_STATUS_NO_DECRYPTABLE_KEY == 202 && MRKENV_STATUS_KMS_CALLBACK_FAILED == 203,
               "2xx: keys, keyrings and KMS");
_Static_assert(MRKENV_STATUS_MALFORMED_MESSAGE == 300 && MRKENV_STATUS_AUTHENTICATION == 301 &&
                   MRKENV_STATUS_CONTEXT_MISMATCH == 302 && MRKENV_STATUS_LIMIT_EXCEEDED == 303,
               "3xx: the message");
_Static_assert(MRKENV_STATUS_PANIC == 900, "9xx: the library");

/* The KMS client: typed callbacks with a `void *user` first argument. */
_Static_assert(offsetof(mrkenv_kms_client, user) == 0, "user comes first");
_Static_assert(_Generic(((mrkenv_kms_client *)0)->user, void *: 1, default: 0), "user is void *");
_Static_assert(_Generic(((mrkenv_kms_client *)0)->generate_data_key, mrkenv_kms_generate_data_key_fn: 1,
                        default: 0), "generate_data_key is typed");
_Static_assert(_Generic(((mrkenv_kms_client *)0)->encrypt, mrkenv_kms_encrypt_fn: 1, default: 0),
               "encrypt is typed");
_Static_assert(_Generic(((mrkenv_kms_client *)0)->decrypt, mrkenv_kms_decrypt_fn: 1, default: 0),
               "decrypt is typed");
