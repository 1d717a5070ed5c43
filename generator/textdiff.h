/* textdiff.h — two versions of a Markdown text compared for readers: paragraphs
 * aligned, moved paragraphs recognised, changed characters marked, as HTML. */
#ifndef PP_TEXTDIFF_H
#define PP_TEXTDIFF_H
#include <stddef.h>

#include "strbuf.h"

/* What a comparison found. Paragraph counts are in blocks (see below); a moved
 * block counts once in `moved`; the character counts are Unicode code points
 * (an invalid UTF-8 byte counts as one) inside the blocks counted as `changed`. */
typedef struct textdiff_stats {
    size_t same, added, removed, changed, moved; /* blocks */
    size_t chars_inserted, chars_deleted;        /* inside changed blocks */
} textdiff_stats;

/* Compares two versions of a Markdown text (old -> new) and appends HTML to
 * `out`. Either text may be empty (len 0; the pointer may then be NULL).
 *
 * Blocks. The texts are cut into blocks: runs of non-blank lines separated by
 * blank lines (only spaces and tabs); an ATX heading line ("# ...") is a block
 * of its own. CRLF and lone CR count as LF, so line-ending changes are not
 * changes. A block is shown as its Markdown source (not rendered), lines joined
 * with "\n": style `.diff-block { white-space: pre-wrap }`.
 *
 * Output: one element per block, in reading order, each followed by "\n":
 *   <div class="diff-block diff-same">TEXT</div>          unchanged
 *   <div class="diff-block diff-add"><ins>TEXT</ins></div> added
 *   <div class="diff-block diff-del"><del>TEXT</del></div> removed
 *   <div class="diff-block diff-change">T<del>X</del><ins>Y</ins>T</div>  edited
 *   <div class="diff-block diff-move diff-move-from" id="diff-moved-K"><a href="#diff-move-K">TEXT</a></div>
 *                                   where a moved block stood (old place) ...
 *   <div class="diff-block diff-move diff-move-to" id="diff-move-K">TEXT</div>
 *                                   ... and where it stands now (K = 1, 2, ...)
 * A heading block carries one more class, "diff-heading" (after the kind).
 * The ids are unique within one call's output only: put one diff on a page.
 *
 * Alignment: blocks are matched whole (Myers' O(ND) diff over block ids).
 * A removed block whose text is inserted unchanged elsewhere is a move. The
 * remaining removed and added blocks between two unchanged ones are paired in
 * order when similar (2 x common code points >= the two lengths summed / 2,
 * compared with the next 8 candidates at most); a pair is one "diff-change"
 * block, diffed by code point (Chinese has no spaces). Marks are then widened
 * to whole runs of ASCII letters and digits ("<del>10</del><ins>12</ins>", not
 * "1<del>0</del><ins>2</ins>"), and changes separated by 2 or fewer unchanged
 * code points (or by fewer than the smaller change on either side) are merged,
 * so that marks read as words.
 *
 * Folding: with context >= 0, a run of unchanged blocks keeps `context` blocks
 * visible next to each change and the rest, when at least 2, become
 *   <details class="diff-fold"><summary>SUMMARY</summary>...blocks...</details>
 * When nothing changed, the whole text is one fold. SUMMARY is `fold_fmt`
 * (NULL: "%zu") with each "%zu" replaced by the number of folded blocks and
 * "%%" by "%"; it is plain text, escaped here (it is NOT passed to printf).
 * context < 0: nothing is folded.
 *
 * Safety: every byte of content is HTML-escaped; an invalid UTF-8 byte, NUL
 * and the other C0 controls but tab and newline are shown as U+FFFD. Output
 * depends only on the inputs.
 *
 * Limits (time and memory are bounded, never quadratic):
 *  - Memory is linear in the input (linear-space Myers, middle snake).
 *  - Each Myers run gives up when its edit distance exceeds about
 *    2 * TEXTDIFF_MAX_COST (blocks) or 2 * TEXTDIFF_MAX_COST_CHARS (characters
 *    in one pair): that stretch is then shown as wholly replaced.
 *  - The whole call has a budget of TEXTDIFF_WORK_BUDGET steps; once spent,
 *    the remaining comparisons show whole replacement too. A 100,000-line
 *    text compares in well under a second.
 *  - A pair of blocks longer than TEXTDIFF_MAX_PAIR_UNITS code points in all
 *    is shown replaced without a character diff.
 *
 * `stats` (may be NULL) is filled in. Returns 0, or -1 when out of memory
 * (out may then hold part of the output, or have its oom flag set). */
#ifndef TEXTDIFF_MAX_COST /* (overridable at build time, for tests of the caps) */
#define TEXTDIFF_MAX_COST 4096
#define TEXTDIFF_MAX_COST_CHARS 2048
#define TEXTDIFF_WORK_BUDGET 200000000u
#define TEXTDIFF_MAX_PAIR_UNITS 1000000u
#endif

int textdiff_html(strbuf *out, const char *old_text, size_t old_len, const char *new_text,
                  size_t new_len, const char *fold_fmt, int context, textdiff_stats *stats);

/* A one-line summary of `st` into buf (always NUL-terminated when n > 0):
 *   "改动 3 段，新增 1 段，删除 2 段，移动 1 段" or, english != 0,
 *   "3 paragraphs changed, 1 added, 2 removed, 1 moved"
 * leaving out the zero counts; "文字未改动" / "no change to the text" when all
 * are zero. Returns the length it needed, like snprintf. Plain text: escape it. */
int textdiff_summary(char *buf, size_t n, const textdiff_stats *st, int english);

#endif
