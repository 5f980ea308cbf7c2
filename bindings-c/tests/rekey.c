/* Re-keying messages (mrkenv_rekey, mrkenv_rekey_header): frames stay byte
 * for byte, the header-only form spliced onto the old body equals the whole
 * form, every refusal leaves the output empty, and the issue's scenario
 * (a us-east-1 single-Region key replaced by a us-west-2 one) with the fake
 * KMS of kms.c: each keyring's KMS calls go through its own client. */
#include "support.h"

#include <stdlib.h>
#include <string.h>

static const mrkenv_context_entry CONTEXT[] = {{"purpose", "rekey tests"}, {"tenant", "acme"}};
#define PLAIN_LEN 5000 /* five frames of 1024 bytes, the last one short */

static uint8_t plain[PLAIN_LEN];

static mrkenv_keyring *raw(const char *name, uint8_t byte) {
    uint8_t key[32];
    memset(key, byte, sizeof key);
    mrkenv_keyring *keyring = NULL;
    if (mrkenv_raw_aes_keyring_new("c-tests", name, key, sizeof key, &keyring) != MRKENV_STATUS_OK) abort();
    return keyring;
}

static mrkenv_keyring *kms(const char *key_id, const mrkenv_kms_client *client) {
    mrkenv_keyring *keyring = NULL;
    if (mrkenv_kms_mrk_keyring_new(&key_id, 1, client, &keyring) != MRKENV_STATUS_OK) abort();
    return keyring;
}

static mrkenv_status encrypt_plain(const mrkenv_keyring *keyring, mrkenv_bytes *out) {
    fill_pattern(plain, sizeof plain, 14);
    return mrkenv_encrypt_with_frame_length(keyring, plain, sizeof plain, CONTEXT, 2, 1024, out);
}

/* Whether `keyring` decrypts `message` to the plaintext. */
static bool opens(const mrkenv_keyring *keyring, const mrkenv_bytes *message) {
    mrkenv_bytes out = {0};
    bool ok = mrkenv_decrypt(keyring, message->data, message->len, &out) == MRKENV_STATUS_OK &&
              out.len == sizeof plain && memcmp(out.data, plain, out.len) == 0;
    mrkenv_bytes_free(&out);
    return ok;
}

/* Where the body of `message` starts (a no-op header-only re-key says). */
static size_t body_offset_of(const mrkenv_keyring *keyring, const mrkenv_bytes *message) {
    mrkenv_rekey_options none = {0};
    mrkenv_bytes head = {0};
    size_t offset = 0;
    if (mrkenv_rekey_header(keyring, message->data, message->len, &none, &head, &offset) != MRKENV_STATUS_OK)
        return 0;
    mrkenv_bytes_free(&head);
    return offset;
}

/* Whether `rekeyed` is a new head followed by the body of `old` byte for
 * byte: the body starts at `rekeyed_offset` and `old_offset`. */
static bool same_frames(const mrkenv_bytes *old, size_t old_offset, const mrkenv_bytes *rekeyed,
                        size_t rekeyed_offset) {
    return old_offset > 0 && rekeyed_offset > 0 && old->len - old_offset == rekeyed->len - rekeyed_offset &&
           memcmp(old->data + old_offset, rekeyed->data + rekeyed_offset, old->len - old_offset) == 0;
}

/* Whether the header of `message` names `needle` (in its inspect JSON). */
static bool header_mentions(const mrkenv_bytes *message, const char *needle) {
    char *json = NULL;
    if (mrkenv_inspect_json(message->data, message->len, &json) != MRKENV_STATUS_OK) return false;
    bool found = strstr(json, needle) != NULL;
    mrkenv_string_free(json);
    return found;
}

static void replace_raw_key_frames_identical(void) {
    mrkenv_keyring *a = raw("key-a", 1), *b = raw("key-b", 2);
    mrkenv_bytes message = {0}, rekeyed = {0};
    CHECK_OK(encrypt_plain(a, &message));
    const char *remove[] = {"key-a"};
    mrkenv_rekey_options options = {.add = b, .remove = remove, .remove_len = 1};
    CHECK_OK(mrkenv_rekey(a, message.data, message.len, &options, &rekeyed));
    CHECK(opens(b, &rekeyed));
    CHECK(!opens(a, &rekeyed));
    CHECK(opens(a, &message)); /* re-keying is not revocation: the old copy still opens */
    CHECK(header_mentions(&rekeyed, "\"provider_info\":\"key-b\"") &&
          !header_mentions(&rekeyed, "\"provider_info\":\"key-a\""));
    CHECK(header_mentions(&rekeyed, "\"tenant\":\"acme\"")); /* the context is kept */
    CHECK(same_frames(&message, body_offset_of(a, &message), &rekeyed, body_offset_of(b, &rekeyed)));
    mrkenv_bytes_free(&rekeyed);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(a);
    mrkenv_keyring_free(b);
}

static void header_only_spliced_equals_whole(void) {
    mrkenv_keyring *a = raw("key-a", 1), *b = raw("key-b", 2);
    mrkenv_bytes first = {0}, message = {0}, whole = {0}, head = {0};
    CHECK_OK(encrypt_plain(a, &first));
    /* A message under key-a and key-b; then key-a removed, which is
     * deterministic (a raw AES key added wraps under a fresh random IV). */
    mrkenv_rekey_options add_b = {.add = b};
    CHECK_OK(mrkenv_rekey(a, first.data, first.len, &add_b, &message));
    const char *remove[] = {"key-a"};
    mrkenv_rekey_options options = {.remove = remove, .remove_len = 1};
    CHECK_OK(mrkenv_rekey(b, message.data, message.len, &options, &whole));
    size_t offset = 0;
    /* Given the whole message: the bytes after the header tag are ignored. */
    CHECK_OK(mrkenv_rekey_header(b, message.data, message.len, &options, &head, &offset));
    CHECK(offset > 0 && offset < message.len);
    CHECK(head.len + (message.len - offset) == whole.len);
    CHECK(memcmp(whole.data, head.data, head.len) == 0);
    CHECK(memcmp(whole.data + head.len, message.data + offset, message.len - offset) == 0);
    mrkenv_bytes_free(&head);
    /* Given exactly the old head: the same new head. */
    size_t again = 0;
    CHECK_OK(mrkenv_rekey_header(b, message.data, offset, &options, &head, &again));
    CHECK(again == offset && head.len + (message.len - offset) == whole.len &&
          memcmp(whole.data, head.data, head.len) == 0);
    mrkenv_bytes_free(&head);
    /* Adding a raw AES key: the same layout (new head + old body). */
    CHECK_OK(mrkenv_rekey_header(a, first.data, first.len, &add_b, &head, &again));
    CHECK(head.len + (first.len - again) == message.len);
    CHECK(memcmp(message.data + head.len, first.data + again, first.len - again) == 0);
    mrkenv_bytes_free(&head);
    /* One byte short of the header tag: malformed, nothing out. */
    again = 7;
    CHECK_STATUS(mrkenv_rekey_header(b, message.data, offset - 1, &options, &head, &again),
                 MRKENV_STATUS_MALFORMED_MESSAGE);
    CHECK(head.data == NULL && head.len == 0 && again == 0);
    CHECK(opens(b, &whole) && !opens(a, &whole));
    mrkenv_bytes_free(&whole);
    mrkenv_bytes_free(&message);
    mrkenv_bytes_free(&first);
    mrkenv_keyring_free(a);
    mrkenv_keyring_free(b);
}

static void wrong_keyring_writes_nothing(void) {
    mrkenv_keyring *a = raw("key-a", 1), *b = raw("key-b", 2), *other = raw("key-a", 3);
    mrkenv_bytes message = {0}, out = {0};
    CHECK_OK(encrypt_plain(a, &message));
    mrkenv_rekey_options options = {.add = b};
    out = (mrkenv_bytes){0};
    CHECK_STATUS(mrkenv_rekey(other, message.data, message.len, &options, &out), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(out.data == NULL && out.len == 0);
    size_t offset = 99;
    out = (mrkenv_bytes){0};
    CHECK_STATUS(mrkenv_rekey_header(b, message.data, message.len, &options, &out, &offset),
                 MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(out.data == NULL && out.len == 0 && offset == 0);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(a);
    mrkenv_keyring_free(b);
    mrkenv_keyring_free(other);
}

static void bad_removals(void) {
    mrkenv_keyring *a = raw("key-a", 1);
    mrkenv_bytes message = {0}, out = {0};
    CHECK_OK(encrypt_plain(a, &message));
    /* Removing every key, adding none: nothing could open the result. */
    const char *remove[] = {"key-a"};
    mrkenv_rekey_options options = {.remove = remove, .remove_len = 1};
    CHECK_STATUS(mrkenv_rekey(a, message.data, message.len, &options, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("no encrypted data key"));
    CHECK(out.data == NULL && out.len == 0);
    /* A key the message does not have. */
    const char *absent[] = {SRK_EAST};
    options.remove = absent;
    CHECK_STATUS(mrkenv_rekey(a, message.data, message.len, &options, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("cannot remove"));
    CHECK(out.data == NULL);
    /* A malformed ARN. */
    const char *bad[] = {"arn:aws:kms:us-east-1"};
    options.remove = bad;
    CHECK_STATUS(mrkenv_rekey(a, message.data, message.len, &options, &out), MRKENV_STATUS_INVALID_ARN);
    CHECK(out.data == NULL);
    /* A discovery keyring cannot add keys. */
    fake_kms east = {.region = "us-east-1"};
    mrkenv_kms_client client = fake_kms_client(&east);
    mrkenv_keyring *discovery = NULL;
    CHECK_OK(mrkenv_kms_mrk_discovery_keyring_new("us-east-1", NULL, NULL, 0, &client, &discovery));
    mrkenv_rekey_options add_discovery = {.add = discovery};
    CHECK_STATUS(mrkenv_rekey(a, message.data, message.len, &add_discovery, &out), MRKENV_STATUS_KEYRING);
    CHECK(out.data == NULL);
    CHECK(east.decrypt_calls == 0 && east.encrypt_calls == 0);
    mrkenv_keyring_free(discovery);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(a);
}

static void context_mismatch(void) {
    mrkenv_keyring *a = raw("key-a", 1), *b = raw("key-b", 2);
    mrkenv_bytes message = {0}, out = {0};
    CHECK_OK(encrypt_plain(a, &message));
    mrkenv_context_entry wrong[] = {{"tenant", "globex"}};
    mrkenv_rekey_options options = {.add = b, .required_context = wrong, .required_context_len = 1};
    CHECK_STATUS(mrkenv_rekey(a, message.data, message.len, &options, &out), MRKENV_STATUS_CONTEXT_MISMATCH);
    CHECK(out.data == NULL && out.len == 0);
    size_t offset = 5;
    CHECK_STATUS(mrkenv_rekey_header(a, message.data, message.len, &options, &out, &offset),
                 MRKENV_STATUS_CONTEXT_MISMATCH);
    CHECK(out.data == NULL && offset == 0);
    /* The right pair passes. */
    mrkenv_context_entry right[] = {{"tenant", "acme"}};
    options.required_context = right;
    CHECK_OK(mrkenv_rekey(a, message.data, message.len, &options, &out));
    CHECK(opens(b, &out));
    mrkenv_bytes_free(&out);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(a);
    mrkenv_keyring_free(b);
}

static void tampered_header_is_refused(void) {
    mrkenv_keyring *a = raw("key-a", 1), *b = raw("key-b", 2);
    mrkenv_bytes message = {0}, out = {0};
    CHECK_OK(encrypt_plain(a, &message));
    size_t offset = body_offset_of(a, &message);
    CHECK(offset > 16);
    mrkenv_rekey_options options = {.add = b};
    /* A flipped bit in the header tag (the 16 bytes before the body) is
     * caught when the old tag is verified, before anything is written. */
    for (size_t i = offset - 16; i < offset; i += 5) {
        message.data[i] ^= 0x01;
        CHECK_STATUS(mrkenv_rekey(a, message.data, message.len, &options, &out), MRKENV_STATUS_AUTHENTICATION);
        CHECK(out.data == NULL && out.len == 0);
        size_t got = 1;
        CHECK_STATUS(mrkenv_rekey_header(a, message.data, offset, &options, &out, &got),
                     MRKENV_STATUS_AUTHENTICATION);
        CHECK(out.data == NULL && got == 0);
        message.data[i] ^= 0x01;
    }
    CHECK_OK(mrkenv_rekey(a, message.data, message.len, &options, &out));
    mrkenv_bytes_free(&out);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(a);
    mrkenv_keyring_free(b);
}

static void raw_aes_added_kms_removed(void) {
    fake_kms east = {.region = "us-east-1"};
    mrkenv_kms_client client = fake_kms_client(&east);
    mrkenv_keyring *strict = kms(SRK_EAST, &client), *local = raw("local", 4);
    mrkenv_bytes message = {0}, rekeyed = {0};
    CHECK_OK(encrypt_plain(strict, &message));
    east.generate_calls = 0;
    const char *remove[] = {SRK_EAST};
    mrkenv_rekey_options options = {.add = local, .remove = remove, .remove_len = 1};
    CHECK_OK(mrkenv_rekey(strict, message.data, message.len, &options, &rekeyed));
    /* One Decrypt to find the data key; the raw AES key wraps it locally. */
    CHECK(east.decrypt_calls == 1 && east.encrypt_calls == 0 && east.generate_calls == 0);
    CHECK(opens(local, &rekeyed));
    CHECK(!header_mentions(&rekeyed, "aws-kms"));
    east.decrypt_calls = 0;
    CHECK(!opens(strict, &rekeyed));
    CHECK(east.decrypt_calls == 0); /* no encrypted data key left for it to try */
    CHECK(same_frames(&message, body_offset_of(strict, &message), &rekeyed, body_offset_of(local, &rekeyed)));
    mrkenv_bytes_free(&rekeyed);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(strict);
    mrkenv_keyring_free(local);
}

/* The issue's scenario: a message encrypted in us-east-1 under a
 * single-Region key gets a us-west-2 single-Region key, then loses the
 * us-east-1 one. The fake KMS of each Region knows only its own keys, so
 * the add keyring's Encrypt must go through the us-west-2 client. */
static void issue_scenario_east_to_west(void) {
    fake_kms east = {.region = "us-east-1"}, west = {.region = "us-west-2"};
    mrkenv_kms_client east_client = fake_kms_client(&east), west_client = fake_kms_client(&west);
    mrkenv_keyring *east_ring = kms(SRK_EAST, &east_client), *west_ring = kms(SRK_WEST, &west_client);
    mrkenv_bytes message = {0}, added = {0}, moved = {0};
    CHECK_OK(encrypt_plain(east_ring, &message));
    CHECK(!opens(west_ring, &message));
    /* Step 1: add the us-west-2 key (the data key found in us-east-1). */
    east.decrypt_calls = 0;
    mrkenv_rekey_options add = {.add = west_ring};
    CHECK_OK(mrkenv_rekey(east_ring, message.data, message.len, &add, &added));
    CHECK(east.decrypt_calls == 1 && east.encrypt_calls == 0);
    CHECK(west.encrypt_calls == 1 && west.decrypt_calls == 0);
    CHECK(header_mentions(&added, SRK_EAST) && header_mentions(&added, SRK_WEST));
    /* Step 2: remove the us-east-1 key (the data key found in us-west-2). */
    const char *remove[] = {SRK_EAST};
    mrkenv_rekey_options drop = {.remove = remove, .remove_len = 1};
    CHECK_OK(mrkenv_rekey(west_ring, added.data, added.len, &drop, &moved));
    CHECK(west.decrypt_calls == 1 && strcmp(west.asked[0], SRK_WEST) == 0);
    CHECK(!header_mentions(&moved, SRK_EAST) && header_mentions(&moved, SRK_WEST));
    /* It decrypts in us-west-2 (strict and discovery), not with the removed key alone. */
    CHECK(opens(west_ring, &moved));
    mrkenv_keyring *discovery = NULL;
    CHECK_OK(mrkenv_kms_mrk_discovery_keyring_new("us-west-2", NULL, NULL, 0, &west_client, &discovery));
    CHECK(opens(discovery, &moved));
    mrkenv_keyring_free(discovery);
    mrkenv_bytes out = {0};
    east.decrypt_calls = 0;
    CHECK_STATUS(mrkenv_decrypt(east_ring, moved.data, moved.len, &out), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    CHECK(out.data == NULL && east.decrypt_calls == 0);
    /* Nor can the removed key re-key it back. */
    mrkenv_rekey_options none = {0};
    CHECK_STATUS(mrkenv_rekey(east_ring, moved.data, moved.len, &none, &out), MRKENV_STATUS_NO_DECRYPTABLE_KEY);
    /* The frames are the original's, byte for byte. */
    size_t old_offset = body_offset_of(east_ring, &message);
    CHECK(same_frames(&message, old_offset, &added, body_offset_of(west_ring, &added)));
    CHECK(same_frames(&message, old_offset, &moved, body_offset_of(west_ring, &moved)));
    /* Header-only, spliced onto the old body, gives the same message. */
    mrkenv_bytes head = {0};
    size_t offset = 0;
    CHECK_OK(mrkenv_rekey_header(west_ring, added.data, added.len, &drop, &head, &offset));
    CHECK(head.len + added.len - offset == moved.len && memcmp(head.data, moved.data, head.len) == 0 &&
          memcmp(moved.data + head.len, added.data + offset, added.len - offset) == 0);
    mrkenv_bytes_free(&head);
    mrkenv_bytes_free(&moved);
    mrkenv_bytes_free(&added);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(east_ring);
    mrkenv_keyring_free(west_ring);
}

/* The add keyring's client, not the decrypting keyring's, answers Encrypt;
 * its failure is the callback's status, with nothing out. */
static void add_keyring_uses_its_own_client(void) {
    fake_kms east = {.region = "us-east-1"}, west = {.region = "us-west-2"};
    mrkenv_kms_client east_client = fake_kms_client(&east), west_client = fake_kms_client(&west);
    mrkenv_keyring *east_ring = kms(SRK_EAST, &east_client);
    mrkenv_keyring *misplaced = kms(MRK_EAST, &west_client); /* a us-east-1 key through us-west-2 */
    mrkenv_bytes message = {0}, out = {0};
    CHECK_OK(encrypt_plain(east_ring, &message));
    mrkenv_rekey_options options = {.add = misplaced};
    CHECK_STATUS(mrkenv_rekey(east_ring, message.data, message.len, &options, &out),
                 MRKENV_STATUS_KMS_CALLBACK_FAILED);
    CHECK(last_error_contains("fake KMS in us-west-2: key is in us-east-1"));
    CHECK(out.data == NULL && out.len == 0);
    CHECK(west.encrypt_calls == 1 && east.encrypt_calls == 0);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(east_ring);
    mrkenv_keyring_free(misplaced);
}

/* Removing an MRK: only the exact ARN, unless match_replicas. */
static void match_replicas(void) {
    fake_kms east = {.region = "us-east-1"};
    mrkenv_kms_client client = fake_kms_client(&east);
    mrkenv_keyring *strict = kms(MRK_EAST, &client), *local = raw("local", 4);
    mrkenv_bytes message = {0}, out = {0};
    CHECK_OK(encrypt_plain(strict, &message));
    const char *remove[] = {MRK_WEST};
    mrkenv_rekey_options options = {.add = local, .remove = remove, .remove_len = 1};
    CHECK_STATUS(mrkenv_rekey(strict, message.data, message.len, &options, &out), MRKENV_STATUS_INVALID_ARGUMENT);
    CHECK(last_error_contains("cannot remove"));
    options.match_replicas = true;
    CHECK_OK(mrkenv_rekey(strict, message.data, message.len, &options, &out));
    CHECK(!header_mentions(&out, MRK_ID) && opens(local, &out));
    mrkenv_bytes_free(&out);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(strict);
    mrkenv_keyring_free(local);
}

static void null_arguments(void) {
    mrkenv_keyring *a = raw("key-a", 1);
    mrkenv_bytes message = {0}, out = {0};
    CHECK_OK(encrypt_plain(a, &message));
    const uint8_t *m = message.data;
    size_t n = message.len, offset = 3;
    mrkenv_rekey_options options = {0};
    CHECK_STATUS(mrkenv_rekey(NULL, m, n, &options, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("keyring"));
    CHECK_STATUS(mrkenv_rekey(a, NULL, n, &options, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_rekey(a, NULL, 0, &options, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_rekey(a, m, n, NULL, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("options"));
    CHECK_STATUS(mrkenv_rekey(a, m, n, &options, NULL), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_rekey_header(NULL, m, n, &options, &out, &offset), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(offset == 0);
    CHECK_STATUS(mrkenv_rekey_header(a, NULL, n, &options, &out, &offset), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_rekey_header(a, m, n, NULL, &out, &offset), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK_STATUS(mrkenv_rekey_header(a, m, n, &options, NULL, &offset), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("new_head"));
    CHECK_STATUS(mrkenv_rekey_header(a, m, n, &options, &out, NULL), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("body_offset"));
    /* Arrays with a length but no pointer, and NULL items. */
    options.remove_len = 1;
    CHECK_STATUS(mrkenv_rekey(a, m, n, &options, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("options.remove"));
    const char *with_null[] = {NULL};
    options.remove = with_null;
    CHECK_STATUS(mrkenv_rekey(a, m, n, &options, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("options.remove[0]"));
    mrkenv_rekey_options ctx = {.required_context_len = 1};
    CHECK_STATUS(mrkenv_rekey(a, m, n, &ctx, &out), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(last_error_contains("options.required_context"));
    mrkenv_context_entry half[] = {{"tenant", NULL}};
    ctx.required_context = half;
    CHECK_STATUS(mrkenv_rekey_header(a, m, n, &ctx, &out, &offset), MRKENV_STATUS_NULL_ARGUMENT);
    CHECK(out.data == NULL && out.len == 0 && offset == 0);
    mrkenv_bytes_free(&message);
    mrkenv_keyring_free(a);
}

const test_case rekey_tests[] = {
    {"replace_raw_key_frames_identical", replace_raw_key_frames_identical},
    {"header_only_spliced_equals_whole", header_only_spliced_equals_whole},
    {"wrong_keyring_writes_nothing", wrong_keyring_writes_nothing},
    {"bad_removals", bad_removals},
    {"context_mismatch", context_mismatch},
    {"tampered_header_is_refused", tampered_header_is_refused},
    {"raw_aes_added_kms_removed", raw_aes_added_kms_removed},
    {"issue_scenario_east_to_west", issue_scenario_east_to_west},
    {"add_keyring_uses_its_own_client", add_keyring_uses_its_own_client},
    {"match_replicas", match_replicas},
    {"null_arguments", null_arguments},
};
const size_t rekey_tests_count = sizeof rekey_tests / sizeof rekey_tests[0];
