/* fuzz_resp.c — libFuzzer target for the 分工 phrase reader
 * (responsibility.c): on any bytes, with any flags and rule, it ends in a
 * phrase, none, or an error with a place inside the input; every name is
 * non-empty, stands inside the input, is never longer than the limit plus
 * what a shared suffix or prefix adds, and a phrase's span is inside it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "responsibility.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void S_require(int ok, const char *what) {
    if (!ok) {
        fprintf(stderr, "fuzz_resp: invariant broken: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    int flags = data[0] & 3;
    resp_rule rule = (resp_rule)((data[0] >> 2) % 3);
    const char *t = (const char *)data + 1;
    size_t len = size - 1;
    arena *a = arena_new();
    S_require(a != NULL, "arena");
    resp r;
    int rc = resp_read(a, t, len, flags, rule, &r);
    S_require(rc >= -1 && rc <= 1, "return value");
    if (rc < 0) S_require(r.error && r.err_off <= len, "error place");
    if (rc == 0) S_require(r.n == 0, "no names without a phrase");
    if (rc == 1) {
        S_require(r.n > 0, "a phrase names someone");
        S_require(r.start <= r.end && r.end <= len, "phrase span");
        for (size_t i = 0; i < r.n; i++) {
            const resp_name *nm = &r.names[i];
            S_require(nm->name && nm->name[0], "empty name");
            S_require(nm->off + nm->len <= len && nm->len > 0, "name inside the input");
            S_require(nm->role == RESP_PARTY ? nm->lead == 0 : nm->lead == (nm->role == RESP_LEAD),
                      "lead flag and role agree");
        }
    }
    size_t off;
    resp_rule rr = resp_rule_in(t, len, &off);
    if (rr != RESP_RULE_NONE) S_require(off <= len, "rule place");
    (void)resp_is_party(t, len);
    arena_free(a);
    return 0;
}
