/* harness.h — a tiny unit-test harness: TEST(name) { CHECK(...); } registers
 * itself; tests/unit/test_main.c runs them all and prints one line per test. */
#ifndef PP_HARNESS_H
#define PP_HARNESS_H
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(int *failed);
void harness_register(const char *name, const char *file, test_fn fn);

#define TEST(name)                                                          \
    static void test_##name(int *failed_);                                  \
    __attribute__((constructor)) static void register_##name(void) {        \
        harness_register(#name, __FILE__, test_##name);                     \
    }                                                                       \
    static void test_##name(int *failed_)

#define CHECK(cond)                                                         \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "  %s:%d: CHECK failed: %s\n", __FILE__,        \
                    __LINE__, #cond);                                       \
            *failed_ = 1;                                                   \
        }                                                                   \
    } while (0)

#define CHECK_STR(a, b)                                                     \
    do {                                                                    \
        const char *a_ = (a), *b_ = (b);                                    \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                            \
            fprintf(stderr, "  %s:%d: CHECK_STR failed: %s == %s\n"         \
                    "    got:      \"%s\"\n    expected: \"%s\"\n",         \
                    __FILE__, __LINE__, #a, #b, a_ ? a_ : "(null)",         \
                    b_ ? b_ : "(null)");                                    \
            *failed_ = 1;                                                   \
        }                                                                   \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                         \
    do {                                                                    \
        const char *h_ = (hay), *n_ = (needle);                             \
        if (!h_ || !strstr(h_, n_)) {                                       \
            fprintf(stderr, "  %s:%d: CHECK_CONTAINS failed: %s in %s\n"    \
                    "    needle: \"%s\"\n    in:     \"%.400s\"\n",          \
                    __FILE__, __LINE__, #needle, #hay, n_, h_ ? h_ : "(null)"); \
            *failed_ = 1;                                                   \
        }                                                                   \
    } while (0)

#endif
