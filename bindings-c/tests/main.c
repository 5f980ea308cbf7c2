/* The mrkenv C test runner: runs every group and ends with the line
 * "N passed, N failed". Usage: mrkenv_tests <tests/vectors directory> */
#include "support.h"

#include <string.h>

const char *vectors_dir = "../tests/vectors";

static void run_group(const char *group, const test_case *cases, size_t count, int *passed,
                      int *failed) {
    for (size_t i = 0; i < count; i++) {
        int before = test_failures();
        cases[i].run();
        if (test_failures() == before) {
            (*passed)++;
            printf("ok   %s/%s\n", group, cases[i].name);
        } else {
            (*failed)++;
            printf("FAIL %s/%s\n", group, cases[i].name);
        }
        fflush(stdout);
    }
}

int main(int argc, char **argv) {
    if (argc > 1) vectors_dir = argv[1];
    int passed = 0, failed = 0;
    printf("mrkenv C tests (library %s)\n", mrkenv_version());
    run_group("api", api_tests, api_tests_count, &passed, &failed);
    run_vector_tests(&passed, &failed);
    run_group("kms", kms_tests, kms_tests_count, &passed, &failed);
    run_group("stream", stream_tests, stream_tests_count, &passed, &failed);
    run_record_vector_tests(&passed, &failed);
    run_group("records", record_tests, record_tests_count, &passed, &failed);
    run_group("rekey", rekey_tests, rekey_tests_count, &passed, &failed);
    run_group("outputs", output_tests, output_tests_count, &passed, &failed);
    run_group("limits", limit_tests, limit_tests_count, &passed, &failed);
    run_group("threads", thread_tests, thread_tests_count, &passed, &failed);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}
