/* kms_demo: mrkenv over the libcurl KMS client (kms_curl.c), against AWS KMS
 * or a local KMS (moto). A strict MRK keyring over the given key(s).
 *
 *   kms_demo decrypt-record --region R --key-id ARN [--endpoint URL]
 *            --table TABLE --partition-key NAME [--sort-key NAME] < item.json
 *   kms_demo encrypt-record --region R --key-id ARN [--endpoint URL]
 *            --table TABLE --partition-key NAME [--sort-key NAME]
 *            [--action ATTRIBUTE=ACTION]... < item.json
 *       (keys are SIGN_ONLY, every other attribute ENCRYPT_AND_SIGN unless
 *        an --action says otherwise)
 *   kms_demo decrypt --region R --key-id ARN [--endpoint URL] < message > plaintext
 *   kms_demo encrypt --region R --key-id ARN [--endpoint URL] < plaintext > message
 *   kms_demo rekey --region R --key-id ARN [--endpoint URL]
 *            [--add-region R2 --add-key-id ARN2] [--remove ARN]... < message > message
 *
 * --key-id may be repeated (encrypt: the first generates the data key).
 * Instead of --key-id, --discovery ACCOUNT (repeatable) decrypts (decrypt,
 * decrypt-record, rekey) with a discovery keyring in --region: any key of
 * those accounts in the aws partition, an MRK through its replica in
 * --region. The accounts are required: a discovery keyring without a filter
 * trusts every account's keys.
 * Instead of --region and --key-id, --raw-aes-key HEX (32 bytes) with
 * --key-namespace NS --key-name NAME uses a raw AES keyring (no KMS; the
 * interop matrix's C peer). --context KEY=VALUE (repeatable) is the caller's
 * encryption context of encrypt and encrypt-record, and the required context
 * of decrypt-record.
 * Items are DynamoDB JSON; the result goes to stdout. Every KMS call prints
 * one line on stderr: "kms: Decrypt in us-west-2 (KeyId arn:...)". A failure
 * prints "kms_demo: <status name>: <message>" and exits 1 (2: usage). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mrkenv.h>

#include "kms_curl.h"

#define MAX_LIST 16

typedef struct {
    const char *command, *region, *endpoint, *table, *partition_key, *sort_key, *add_region;
    const char *raw_aes_key, *key_namespace, *key_name;
    const char *key_ids[MAX_LIST], *add_key_ids[MAX_LIST], *removes[MAX_LIST], *actions[MAX_LIST];
    const char *contexts[MAX_LIST], *discovery[MAX_LIST];
    size_t key_ids_len, add_key_ids_len, removes_len, actions_len, contexts_len, discovery_len;
    /* --context split at '=' (pointers into names/values) */
    mrkenv_context_entry context[MAX_LIST];
    char context_keys[MAX_LIST][256];
} args;

static int usage(const char *why) {
    fprintf(stderr,
            "kms_demo: %s\n"
            "usage: kms_demo decrypt-record|encrypt-record --region R --key-id ARN [--endpoint URL]\n"
            "                --table TABLE --partition-key NAME [--sort-key NAME] [--action ATTR=ACTION] < item.json\n"
            "       kms_demo decrypt|encrypt --region R --key-id ARN [--endpoint URL] < in > out\n"
            "       kms_demo rekey --region R --key-id ARN [--endpoint URL] [--add-region R2 --add-key-id ARN2]\n"
            "                [--remove ARN] < message > message\n"
            "       (decrypt, decrypt-record, rekey: --discovery ACCOUNT instead of --key-id)\n",
            why);
    return 2;
}

static int fail(int status) {
    char message[2048];
    mrkenv_last_error_message(message, sizeof message);
    fprintf(stderr, "kms_demo: %s: %s\n", mrkenv_status_name(status), message);
    return 1;
}

static void log_call(void *user, const char *operation, const char *region, const char *key_id,
                     const char *error) {
    (void)user;
    if (error)
        fprintf(stderr, "kms: %s in %s (KeyId %s) failed: %s\n", operation, region, key_id, error);
    else
        fprintf(stderr, "kms: %s in %s (KeyId %s)\n", operation, region, key_id);
}

/* All of stdin, NUL-terminated (for JSON); the caller frees it. */
static unsigned char *read_stdin(size_t *len) {
    size_t cap = 1 << 16, n = 0, got;
    unsigned char *data = malloc(cap + 1);
    while (data && (got = fread(data + n, 1, cap - n, stdin)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *bigger = realloc(data, cap * 2 + 1);
            if (!bigger) {
                free(data);
                return NULL;
            }
            data = bigger;
            cap *= 2;
        }
    }
    if (data) data[n] = '\0';
    *len = n;
    return data;
}

static int parse(int argc, char **argv, args *a) {
    memset(a, 0, sizeof *a);
    if (argc < 2) return usage("missing command");
    a->command = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *flag = argv[i];
        if (i + 1 >= argc) return usage("a flag lacks its value");
        const char *value = argv[++i];
        const char **list = NULL;
        size_t *len = NULL;
        if (!strcmp(flag, "--region")) a->region = value;
        else if (!strcmp(flag, "--endpoint")) a->endpoint = value;
        else if (!strcmp(flag, "--table")) a->table = value;
        else if (!strcmp(flag, "--partition-key")) a->partition_key = value;
        else if (!strcmp(flag, "--sort-key")) a->sort_key = value;
        else if (!strcmp(flag, "--add-region")) a->add_region = value;
        else if (!strcmp(flag, "--raw-aes-key")) a->raw_aes_key = value;
        else if (!strcmp(flag, "--key-namespace")) a->key_namespace = value;
        else if (!strcmp(flag, "--key-name")) a->key_name = value;
        else if (!strcmp(flag, "--context")) list = a->contexts, len = &a->contexts_len;
        else if (!strcmp(flag, "--key-id")) list = a->key_ids, len = &a->key_ids_len;
        else if (!strcmp(flag, "--add-key-id")) list = a->add_key_ids, len = &a->add_key_ids_len;
        else if (!strcmp(flag, "--remove")) list = a->removes, len = &a->removes_len;
        else if (!strcmp(flag, "--action")) list = a->actions, len = &a->actions_len;
        else if (!strcmp(flag, "--discovery")) list = a->discovery, len = &a->discovery_len;
        else return usage("unknown flag");
        if (list) {
            if (*len == MAX_LIST) return usage("too many values for one flag");
            list[(*len)++] = value;
        }
    }
    for (size_t i = 0; i < a->contexts_len; i++) {
        const char *eq = strchr(a->contexts[i], '=');
        if (!eq || (size_t)(eq - a->contexts[i]) >= sizeof a->context_keys[0])
            return usage("--context wants KEY=VALUE");
        memcpy(a->context_keys[i], a->contexts[i], (size_t)(eq - a->contexts[i]));
        a->context_keys[i][eq - a->contexts[i]] = '\0';
        a->context[i] = (mrkenv_context_entry){a->context_keys[i], eq + 1};
    }
    if (a->raw_aes_key) {
        if (!a->key_namespace || !a->key_name) return usage("--raw-aes-key goes with --key-namespace and --key-name");
        if (a->region || a->key_ids_len || a->add_region || a->discovery_len)
            return usage("--raw-aes-key replaces --region and --key-id");
    } else if (a->discovery_len) {
        if (!a->region) return usage("--region is required");
        if (a->key_ids_len) return usage("--discovery replaces --key-id");
        if (!strcmp(a->command, "encrypt") || !strcmp(a->command, "encrypt-record"))
            return usage("--discovery only decrypts (decrypt, decrypt-record, rekey)");
    } else {
        if (!a->region) return usage("--region is required");
        if (a->key_ids_len == 0) return usage("--key-id is required");
    }
    if (!strcmp(a->command, "decrypt-record") || !strcmp(a->command, "encrypt-record")) {
        if (!a->table || !a->partition_key) return usage("--table and --partition-key are required");
    } else if (strcmp(a->command, "decrypt") && strcmp(a->command, "encrypt") && strcmp(a->command, "rekey")) {
        return usage("unknown command");
    }
    if ((a->add_region == NULL) != (a->add_key_ids_len == 0)) return usage("--add-region goes with --add-key-id");
    return 0;
}

static int init_client(mrkenv_curl_kms *kms, const char *region, const char *endpoint) {
    if (mrkenv_curl_kms_init(kms, region, endpoint) != 0) {
        fprintf(stderr, "kms_demo: %s\n", kms->error);
        return 1;
    }
    kms->log = log_call;
    return 0;
}

static int run(const args *a, mrkenv_keyring *keyring, mrkenv_keyring *add) {
    size_t in_len = 0;
    unsigned char *in = read_stdin(&in_len);
    if (!in) {
        fprintf(stderr, "kms_demo: cannot read stdin\n");
        return 1;
    }
    int status = MRKENV_STATUS_OK;
    if (!strcmp(a->command, "decrypt-record") || !strcmp(a->command, "encrypt-record")) {
        char *out = NULL;
        if (a->command[0] == 'd') {
            mrkenv_record_decrypt_options options = {
                .table_name = a->table, .partition_key = a->partition_key, .sort_key = a->sort_key,
                .required_context = a->contexts_len ? a->context : NULL,
                .required_context_len = a->contexts_len};
            status = mrkenv_decrypt_record_json(keyring, (const char *)in, &options, &out);
        } else {
            mrkenv_record_action actions[MAX_LIST + 2];
            char names[MAX_LIST][256];
            size_t n = 0;
            for (size_t i = 0; i < a->actions_len; i++) {
                const char *eq = strchr(a->actions[i], '=');
                if (!eq || (size_t)(eq - a->actions[i]) >= sizeof names[0]) {
                    free(in);
                    return usage("--action wants ATTRIBUTE=ACTION");
                }
                memcpy(names[n], a->actions[i], (size_t)(eq - a->actions[i]));
                names[n][eq - a->actions[i]] = '\0';
                actions[n].attribute = names[n];
                actions[n].action = eq + 1;
                n++;
            }
            const char *keys[2] = {a->partition_key, a->sort_key};
            for (size_t k = 0; k < 2 && keys[k]; k++) {
                size_t i = 0;
                while (i < n && strcmp(actions[i].attribute, keys[k])) i++;
                if (i == n) actions[n++] = (mrkenv_record_action){keys[k], "SIGN_ONLY"};
            }
            mrkenv_record_encrypt_options options = {
                .table_name = a->table, .partition_key = a->partition_key, .sort_key = a->sort_key,
                .actions = actions, .actions_len = n, .default_action = "ENCRYPT_AND_SIGN",
                .encryption_context = a->contexts_len ? a->context : NULL,
                .encryption_context_len = a->contexts_len};
            status = mrkenv_encrypt_record_json(keyring, (const char *)in, &options, &out);
        }
        if (status == MRKENV_STATUS_OK) printf("%s\n", out);
        mrkenv_string_free(out);
    } else {
        mrkenv_bytes out = {0};
        if (!strcmp(a->command, "decrypt")) {
            status = mrkenv_decrypt(keyring, in, in_len, &out);
        } else if (!strcmp(a->command, "encrypt")) {
            status = mrkenv_encrypt(keyring, in, in_len, a->contexts_len ? a->context : NULL, a->contexts_len, &out);
        } else {
            mrkenv_rekey_options options = {0};
            options.add = add;
            options.remove = a->removes;
            options.remove_len = a->removes_len;
            status = mrkenv_rekey(keyring, in, in_len, &options, &out);
        }
        if (status == MRKENV_STATUS_OK && fwrite(out.data, 1, out.len, stdout) != out.len) {
            mrkenv_bytes_free(&out);
            free(in);
            fprintf(stderr, "kms_demo: cannot write stdout\n");
            return 1;
        }
        mrkenv_bytes_free(&out);
    }
    free(in); /* ciphertext or an item to encrypt: wipe it too in real code if it is secret */
    if (status != MRKENV_STATUS_OK) return fail(status);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* The raw AES keyring of --raw-aes-key: no KMS client at all. */
static int run_raw_aes(const args *a) {
    unsigned char key[32];
    size_t hex_len = strlen(a->raw_aes_key);
    if (hex_len != 2 * sizeof key) return usage("--raw-aes-key wants 64 hex digits");
    for (size_t i = 0; i < sizeof key; i++) {
        unsigned int byte;
        if (sscanf(a->raw_aes_key + 2 * i, "%2x", &byte) != 1) return usage("--raw-aes-key wants hex");
        key[i] = (unsigned char)byte;
    }
    mrkenv_keyring *keyring = NULL;
    int status = mrkenv_raw_aes_keyring_new(a->key_namespace, a->key_name, key, sizeof key, &keyring);
    memset(key, 0, sizeof key); /* use a zeroizing wipe in real code */
    int rc = status == MRKENV_STATUS_OK ? run(a, keyring, NULL) : fail(status);
    mrkenv_keyring_free(keyring);
    return rc;
}

int main(int argc, char **argv) {
    args a;
    int rc = parse(argc, argv, &a);
    if (rc) return rc;

    if (a.raw_aes_key) return run_raw_aes(&a);

    mrkenv_curl_kms kms, add_kms;
    if (init_client(&kms, a.region, a.endpoint)) return 1;
    if (a.add_region && init_client(&add_kms, a.add_region, a.endpoint)) {
        mrkenv_curl_kms_cleanup(&kms);
        return 1;
    }
    mrkenv_kms_client client = mrkenv_curl_kms_client(&kms);
    mrkenv_keyring *keyring = NULL, *add = NULL;
    int status = a.discovery_len
                     ? mrkenv_kms_mrk_discovery_keyring_new(a.region, "aws", a.discovery, a.discovery_len, &client,
                                                            &keyring)
                     : mrkenv_kms_mrk_keyring_new(a.key_ids, a.key_ids_len, &client, &keyring);
    if (status == MRKENV_STATUS_OK && a.add_region) {
        mrkenv_kms_client add_client = mrkenv_curl_kms_client(&add_kms);
        status = mrkenv_kms_mrk_keyring_new(a.add_key_ids, a.add_key_ids_len, &add_client, &add);
    }
    rc = status == MRKENV_STATUS_OK ? run(&a, keyring, add) : fail(status);

    mrkenv_keyring_free(add);
    mrkenv_keyring_free(keyring);
    if (a.add_region) mrkenv_curl_kms_cleanup(&add_kms);
    mrkenv_curl_kms_cleanup(&kms);
    return rc;
}
