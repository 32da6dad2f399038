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

int pprl_dice_scan(const uint64_t *a, int64_t na, const int32_t *pa, int64_t a_first,
                   const uint64_t *b, int64_t nb, const int32_t *pb, const int64_t *b_index,
                   const int64_t *b_start, int64_t nw, int64_t nbits,
                   const int32_t *cmin, const int32_t *pb_lo, const int32_t *pb_hi,
                   int64_t mode, int64_t hw, const int32_t *a_rest, const int32_t *b_rest,
                   const uint8_t *a_wc, const uint8_t *b_wc,
                   int64_t k, double *heap_s, int64_t *heap_b,
                   double *row_s, uint64_t *row_bits,
                   int64_t cap, int64_t *out_a, int64_t *out_b, double *out_s,
                   int64_t *n_out, int64_t *next_row);

int pprl_greedy_mask(const int64_t *a, const int64_t *b, int64_t n,
                     uint8_t *used_a, int64_t n_a, uint8_t *used_b, int64_t n_b,
                     uint8_t *keep);

#endif /* PPRL_DICE_H */
