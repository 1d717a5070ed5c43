/* test_main.c — runs every registered unit test (optionally those whose name
 * contains argv[1]); prints "ok NAME" / "FAIL NAME" and "N passed, N failed". */
#include <stdlib.h>

#include "harness.h"

typedef struct test_case {
    const char *name, *file;
    test_fn fn;
} test_case;

static test_case tests[1024];
static int ntests;

void harness_register(const char *name, const char *file, test_fn fn) {
    if (ntests < (int)(sizeof tests / sizeof tests[0]))
        tests[ntests++] = (test_case){name, file, fn};
}

int main(int argc, char **argv) {
    int passed = 0, failed = 0;
    for (int i = 0; i < ntests; i++) {
        if (argc > 1 && !strstr(tests[i].name, argv[1])) continue;
        int f = 0;
        tests[i].fn(&f);
        printf("%s unit/%s\n", f ? "FAIL" : "ok", tests[i].name);
        fflush(stdout);
        if (f) failed++; else passed++;
    }
    printf("unit: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
