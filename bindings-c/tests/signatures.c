/* The released API, starting with issue 5's, copied verbatim: code outside the repository is written
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

/* ---- records and re-keying, as released ---------------------------------- */

mrkenv_status mrkenv_encrypt_record_json(const mrkenv_keyring *keyring, const char *item_json,
    const mrkenv_record_encrypt_options *options, char **out_json);
mrkenv_status mrkenv_decrypt_record_json(const mrkenv_keyring *keyring, const char *item_json,
    const mrkenv_record_decrypt_options *options, char **out_json);
void mrkenv_string_free(char *string);                               /* zeroes and frees; NULL is fine */
mrkenv_status mrkenv_rekey(const mrkenv_keyring *keyring, const uint8_t *message, size_t message_len,
    const mrkenv_rekey_options *options, mrkenv_bytes *out);
mrkenv_status mrkenv_rekey_header(const mrkenv_keyring *keyring, const uint8_t *head, size_t head_len,
    const mrkenv_rekey_options *options, mrkenv_bytes *new_head, size_t *body_offset);

/* typedef struct mrkenv_record_action { const char *attribute; const char *action; } mrkenv_record_action; */
_Static_assert(offsetof(mrkenv_record_action, attribute) == 0, "attribute comes first");
_Static_assert(offsetof(mrkenv_record_action, action) == sizeof(const char *), "action follows");
_Static_assert(sizeof(mrkenv_record_action) == 2 * sizeof(const char *), "two members");
_Static_assert(_Generic(((mrkenv_record_action *)0)->action, const char *: 1, default: 0), "action is const char *");

/* mrkenv_record_encrypt_options: table_name, partition_key, sort_key, actions,
 * actions_len, default_action, encryption_context, encryption_context_len. */
#define P sizeof(void *)
_Static_assert(offsetof(mrkenv_record_encrypt_options, table_name) == 0, "table_name");
_Static_assert(offsetof(mrkenv_record_encrypt_options, partition_key) == P, "partition_key");
_Static_assert(offsetof(mrkenv_record_encrypt_options, sort_key) == 2 * P, "sort_key");
_Static_assert(offsetof(mrkenv_record_encrypt_options, actions) == 3 * P, "actions");
_Static_assert(offsetof(mrkenv_record_encrypt_options, actions_len) == 4 * P, "actions_len");
_Static_assert(offsetof(mrkenv_record_encrypt_options, default_action) == 5 * P, "default_action");
_Static_assert(offsetof(mrkenv_record_encrypt_options, encryption_context) == 6 * P, "encryption_context");
_Static_assert(offsetof(mrkenv_record_encrypt_options, encryption_context_len) == 7 * P, "encryption_context_len");
_Static_assert(sizeof(mrkenv_record_encrypt_options) == 8 * P, "eight members");
_Static_assert(_Generic(((mrkenv_record_encrypt_options *)0)->actions, const mrkenv_record_action *: 1, default: 0),
               "actions is const mrkenv_record_action *");
_Static_assert(_Generic(((mrkenv_record_encrypt_options *)0)->encryption_context,
                        const mrkenv_context_entry *: 1, default: 0), "encryption_context is const mrkenv_context_entry *");
_Static_assert(_Generic(((mrkenv_record_encrypt_options *)0)->actions_len, size_t: 1, default: 0), "lengths are size_t");

/* mrkenv_record_decrypt_options: table_name, partition_key, sort_key,
 * required_context, required_context_len, allow_plaintext. */
_Static_assert(offsetof(mrkenv_record_decrypt_options, table_name) == 0, "table_name");
_Static_assert(offsetof(mrkenv_record_decrypt_options, partition_key) == P, "partition_key");
_Static_assert(offsetof(mrkenv_record_decrypt_options, sort_key) == 2 * P, "sort_key");
_Static_assert(offsetof(mrkenv_record_decrypt_options, required_context) == 3 * P, "required_context");
_Static_assert(offsetof(mrkenv_record_decrypt_options, required_context_len) == 4 * P, "required_context_len");
_Static_assert(offsetof(mrkenv_record_decrypt_options, allow_plaintext) == 5 * P, "allow_plaintext");
_Static_assert(sizeof(mrkenv_record_decrypt_options) == 6 * P, "six members (the bool padded)");
_Static_assert(_Generic(((mrkenv_record_decrypt_options *)0)->allow_plaintext, bool: 1, default: 0),
               "allow_plaintext is bool");

/* mrkenv_rekey_options: add, remove, remove_len, required_context,
 * required_context_len, match_replicas. */
_Static_assert(offsetof(mrkenv_rekey_options, add) == 0, "add");
_Static_assert(offsetof(mrkenv_rekey_options, remove) == P, "remove");
_Static_assert(offsetof(mrkenv_rekey_options, remove_len) == 2 * P, "remove_len");
_Static_assert(offsetof(mrkenv_rekey_options, required_context) == 3 * P, "required_context");
_Static_assert(offsetof(mrkenv_rekey_options, required_context_len) == 4 * P, "required_context_len");
_Static_assert(offsetof(mrkenv_rekey_options, match_replicas) == 5 * P, "match_replicas");
_Static_assert(sizeof(mrkenv_rekey_options) == 6 * P, "six members (the bool padded)");
_Static_assert(_Generic(((mrkenv_rekey_options *)0)->add, const mrkenv_keyring *: 1, default: 0),
               "add is const mrkenv_keyring *");
_Static_assert(_Generic(((mrkenv_rekey_options *)0)->remove, const char *const *: 1, default: 0),
               "remove is const char *const *");
_Static_assert(_Generic(((mrkenv_rekey_options *)0)->match_replicas, bool: 1, default: 0), "match_replicas is bool");

/* ---- limits (issue 11) ---------------------------------------------------- */

mrkenv_limits mrkenv_limits_default(void);
mrkenv_status mrkenv_decrypt_with_limits(const mrkenv_keyring *keyring, const uint8_t *ciphertext,
    size_t ciphertext_len, const mrkenv_context_entry *required, size_t required_len,
    const mrkenv_limits *limits, mrkenv_bytes *out);
mrkenv_status mrkenv_decryptor_new_with_limits(const mrkenv_keyring *keyring, const mrkenv_context_entry *required,
    size_t required_len, const mrkenv_limits *limits, mrkenv_decryptor **out);
mrkenv_status mrkenv_inspect_json_with_limits(const uint8_t *message, size_t message_len,
    const mrkenv_limits *limits, char **out_json);
mrkenv_status mrkenv_decrypt_record_json_with_limits(const mrkenv_keyring *keyring, const char *item_json,
    const mrkenv_record_decrypt_options *options, const mrkenv_limits *limits, char **out_json);
mrkenv_status mrkenv_rekey_with_limits(const mrkenv_keyring *keyring, const uint8_t *message, size_t message_len,
    const mrkenv_rekey_options *options, const mrkenv_limits *limits, mrkenv_bytes *out);
mrkenv_status mrkenv_rekey_header_with_limits(const mrkenv_keyring *keyring, const uint8_t *head, size_t head_len,
    const mrkenv_rekey_options *options, const mrkenv_limits *limits, mrkenv_bytes *new_head, size_t *body_offset);

/* struct_size comes first, so that the struct can grow. */
_Static_assert(offsetof(mrkenv_limits, struct_size) == 0, "struct_size comes first");
_Static_assert(_Generic(((mrkenv_limits *)0)->struct_size, size_t: 1, default: 0), "struct_size is size_t");
_Static_assert(_Generic(((mrkenv_limits *)0)->max_frame_length, uint32_t: 1, default: 0), "max_frame_length is uint32_t");
_Static_assert(offsetof(mrkenv_limits, max_encrypted_data_keys) == sizeof(size_t), "max_encrypted_data_keys");
_Static_assert(MRKENV_STATUS_OUTPUT_NOT_EMPTY == 102, "1xx: the caller's arguments");
#undef P
