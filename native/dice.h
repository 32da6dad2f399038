/*
 * pprl native Dice kernel: popcounts, Dice matrices, thresholded / top-k
 * candidate scans and a greedy one-to-one solver over packed bit rows.
 *
 * Conventions
 * -----------
 * - C99, no Python.h, no allocation: the caller owns every buffer.
 * - Rows are arrays of `nw` uint64 words (the caller zero-pads each row to a
 *   whole number of words; padding changes neither popcounts nor ANDs).
 * - Every function returns PPRL_OK (0) or a negative status (PPRL_E_*).
 * - The score of a pair with popcounts pa, pb and `common` shared bits is
 *   2.0 * common / (pa + pb) in double precision, and 0.0 when pa + pb == 0
 *   (anonlink's convention for two empty filters).
 * - Instruction-set paths are chosen at run time (pprl_set_isa); all paths
 *   give identical integer counts, hence bit-identical scores.
 */
#ifndef PPRL_DICE_H
#define PPRL_DICE_H

#include <stdint.h>
#include <stddef.h>

/* status codes */
#define PPRL_OK 0
#define PPRL_E_ARG (-1)      /* a size or pointer argument is invalid */
#define PPRL_E_FULL (-2)     /* output buffer full; resume at *next_row */
#define PPRL_E_NOCPU (-3)    /* the CPU lacks the requested instruction set */
#define PPRL_E_NOBUILD (-4)  /* the path was not compiled into this build */
#define PPRL_E_INDEX (-5)    /* an index is out of range */

/* rows of A that visit each tile of B together (cache blocking of the scan) */
#define PPRL_GROUP_ROWS 128

/* instruction-set paths, best first */
#define PPRL_ISA_AVX512 3
#define PPRL_ISA_AVX2 2
#define PPRL_ISA_POPCNT 1
#define PPRL_ISA_PORTABLE 0

int pprl_isa_compiled(int isa);
int pprl_isa_cpu(int isa);
int pprl_isa_best(void);
int pprl_set_isa(int isa);
int pprl_get_isa(void);

int pprl_popcount_rows(const uint64_t *x, int64_t n, int64_t nw, int32_t *out);

int pprl_threshold_tables(double threshold, int64_t nbits, int32_t *cmin,
                          int32_t *pb_lo, int32_t *pb_hi);

int pprl_dice_matrix(const uint64_t *a, int64_t na, const int32_t *pa,
                     const uint64_t *b, int64_t nb, const int32_t *pb,
                     int64_t nw, double *out);

/*
 * Arguments of one candidate scan (pprl_dice_scan): inputs, scratch, and the
 * two results n_out / next_row.  The caller owns every buffer.
 */
typedef struct pprl_scan_args {
    /* rows a[0..na) of A (numbered a_first + i in the output), their popcounts */
    const uint64_t *a;
    int64_t na;
    const int32_t *pa;
    int64_t a_first;
    /* all of B, rows sorted by popcount; b_index: original rows; b_start[c]:
       first row with popcount >= c, c in 0..nbits+1 */
    const uint64_t *b;
    int64_t nb;
    const int32_t *pb;
    const int64_t *b_index;
    const int64_t *b_start;
    int64_t nw;     /* words per row */
    int64_t nbits;  /* bits per row (popcounts are <= nbits) */
    /* pprl_threshold_tables */
    const int32_t *cmin;
    const int32_t *pb_lo;
    const int32_t *pb_hi;
    /* exact early exit after hw words: mode 0 off, 1 (a_rest/b_rest), 2 (a_wc/b_wc) */
    int64_t mode;
    int64_t hw;
    const int32_t *a_rest;
    const int32_t *b_rest;
    const uint8_t *a_wc;
    const uint8_t *b_wc;
    /* k > 0: best k per A row (heap_s / heap_b: heap_rows * k entries of scratch;
       with heap_rows >= PPRL_GROUP_ROWS the rows are taken in groups, as for k == 0) */
    int64_t k;
    double *heap_s;
    int64_t *heap_b;
    int64_t heap_rows;
    /* scratch: nb doubles, ceil(nb / 64) zeroed words (left zeroed) */
    double *row_s;
    uint64_t *row_bits;
    /* instruction-set path of this call (PPRL_ISA_*), or -1 for pprl_get_isa() */
    int64_t isa;
    /* optional (NULL: unused): the sorted rows of B again, in blocks of 8 rows
       stored word by word -- word w of sorted row j at b_vert[(j / 8) * 8 * nw
       + w * 8 + j % 8], the last block zero-padded -- which the AVX2 and
       AVX-512 paths scan 8 rows at a time.  Their early exit
       comes after vhw words (0 or nw: none), bounded with b_vrest (popcount
       of words vhw..nw of each sorted row, padded to a multiple of 8) */
    const uint64_t *b_vert;
    const int32_t *b_vrest;
    int64_t vhw;
    /* optional (NULL: unused): the sorted rows of B again, bit by bit in batches of 256
       rows (pprl_bit_planes), for the bit-sliced kernel, which takes each row's bits in
       the order of bit_rank (nbits ranks, a permutation); bits_pos is scratch of
       PPRL_GROUP_ROWS * (nbits + 16) int16.  Paths with a bit-sliced kernel (all but
       AVX-512, and none without GNU C vector extensions) then use it instead of b_vert;
       nbits <= 32751 */
    const uint64_t *b_bits;
    const int32_t *bit_rank;
    int16_t *bits_pos;
    /* optional (k > 0; NULL or raise_levels 0: unused): higher thresholds for a
       row whose heap is full, raise_t[0] < raise_t[1] < ... (all above the
       scan's own), and their cmin tables (pprl_threshold_tables, 2 * nbits + 1
       entries each, one after the other).  Once a row's k-th best score is at
       least raise_t[j], the rest of its pairs are tested against table j: a
       pair that could still enter the heap scores at least the k-th best, so
       it passes, and the best k are exactly those of the scan's own threshold */
    const int32_t *raise_cmin;
    const double *raise_t;
    int64_t raise_levels;
    /* output: cap pairs at most */
    int64_t cap;
    int64_t *out_a;
    int64_t *out_b;
    double *out_s;
    /* results: pairs written; first row of A not written */
    int64_t n_out;
    int64_t next_row;
} pprl_scan_args;

int pprl_dice_scan(pprl_scan_args *args);

/*
 * B's rows b[0..nb) (nw words each, nbits <= 64 * nw bits) bit by bit, as the
 * b_bits of pprl_scan_args: bit k of row j goes to plane rank[k] of batch
 * j / 256, lane j % 256, at out[((j / 256) * (nbits + 1) + rank[k]) * 4 +
 * (j % 256) / 64], bit j % 64.  out (ceil(nb / 256) * (nbits + 1) * 4 words)
 * must be zeroed by the caller; plane nbits of each batch stays zero.
 */
int pprl_bit_planes(const uint64_t *b, int64_t nb, int64_t nw, int64_t nbits,
                    const int32_t *rank, uint64_t *out);

/*
 * Arguments of one batch of given pairs (pprl_score_pairs), e.g. the pairs
 * that share an LSH bucket.  The caller owns every buffer.
 */
typedef struct pprl_pairs_args {
    /* all rows of A and B (nw words each) and their popcounts (0..nbits) */
    const uint64_t *a;
    int64_t na;
    const int32_t *pa;
    const uint64_t *b;
    int64_t nb;
    const int32_t *pb;
    int64_t nw;
    int64_t nbits;
    /* pprl_threshold_tables: cmin[pa + pb], 2 * nbits + 1 entries */
    const int32_t *cmin;
    /* the pairs: rows ia[p] of A and ib[p] of B, p in 0..n */
    const int64_t *ia;
    const int64_t *ib;
    int64_t n;
    /* instruction-set path of this call (PPRL_ISA_*), or -1 for pprl_get_isa() */
    int64_t isa;
    /* output: room for n pairs; the kept pairs in input order */
    int64_t *out_a;
    int64_t *out_b;
    double *out_s;
    /* results: pairs kept; pairs whose bits were read (not ruled out by popcounts) */
    int64_t n_out;
    int64_t compared;
} pprl_pairs_args;

int pprl_score_pairs(pprl_pairs_args *args);

/*
 * Arguments of one batch of LSH buckets (pprl_score_buckets): bucket k pairs
 * every row order_a[start_a[k] + r], r < count_a[k], with every row
 * order_b[start_b[k] + s], s < count_b[k]; each pair is tested as in
 * pprl_score_pairs, without the pairs ever being written out.
 */
typedef struct pprl_buckets_args {
    const uint64_t *a;
    int64_t na;
    const int32_t *pa;
    const uint64_t *b;
    int64_t nb;
    const int32_t *pb;
    int64_t nw;
    int64_t nbits;
    const int32_t *cmin;
    /* rows grouped by key (n_order_a / n_order_b entries) and the buckets */
    const int64_t *order_a;
    int64_t n_order_a;
    const int64_t *order_b;
    int64_t n_order_b;
    const int64_t *start_a;
    const int64_t *count_a;
    const int64_t *start_b;
    const int64_t *count_b;
    int64_t n_buckets;
    int64_t isa;
    /* output: cap pairs at most, in bucket order */
    int64_t cap;
    int64_t *out_a;
    int64_t *out_b;
    double *out_s;
    /* results: pairs kept, pairs read, first bucket not written */
    int64_t n_out;
    int64_t compared;
    int64_t next_bucket;
} pprl_buckets_args;

int pprl_score_buckets(pprl_buckets_args *args);

/*
 * LSH keys: out[t * n + i] packs bit positions[t * bits + k] of row i of x
 * (n rows of nbytes bytes, bit p is bit 7 - p % 8 of byte p / 8, as
 * numpy.packbits) into bit k, for t < g tables, k < bits <= 64.
 */
int pprl_lsh_keys(const uint8_t *x, int64_t n, int64_t nbytes, const int64_t *positions,
                  int64_t g, int64_t bits, uint64_t *out);

int pprl_greedy_mask(const int64_t *a, const int64_t *b, int64_t n,
                     uint8_t *used_a, int64_t n_a, uint8_t *used_b, int64_t n_b,
                     uint8_t *keep);

#endif /* PPRL_DICE_H */
