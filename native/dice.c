/*
 * pprl native Dice kernel.  See dice.h for the conventions.
 *
 * Layout of this file
 *   1. per-ISA kernels: one row x of A against a block of consecutive rows
 *      of B -- the popcount of (x AND y) per row (dense matrix), and the
 *      thresholded variant with the exact early exit (candidate scan);
 *   2. run-time dispatch between them (chosen once by the caller);
 *   3. ISA-independent drivers: popcounts, threshold tables, the dense
 *      matrix, the thresholded / top-k candidate scan and the greedy solver.
 *
 * The x86 paths are compiled with per-function target attributes (never
 * -march=native) and only where the compiler understands them (GCC/Clang on
 * x86-64); elsewhere only the portable path exists (define PPRL_PORTABLE_ONLY
 * to build that way on x86 too).
 */
#include "dice.h"

#if !defined(PPRL_PORTABLE_ONLY) &&                                            \
    (defined(__x86_64__) || defined(_M_X64)) &&                                \
    (defined(__GNUC__) || defined(__clang__))
#define PPRL_HAVE_X86 1
#include <immintrin.h>
#else
#define PPRL_HAVE_X86 0
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PPRL_INLINE static inline __attribute__((always_inline))
#else
#define PPRL_INLINE static __inline
#endif

/* Rows of B handled per kernel call (counts live on the stack). */
#define PPRL_BLOCK 256

typedef void (*pprl_common_fn)(const uint64_t *x, const uint64_t *ys, int64_t ny,
                               int64_t nw, int32_t *out);

/*
 * Candidate-scan kernel: row x of A against ny rows of B that all have the
 * same popcount, so that need, the least number of common bits for which a
 * pair scores >= threshold (exact, from cmin), is the same for all of them.
 * The rows j that reach need go to hit_j / hit_c (count of common bits); the
 * return value is how many.
 *
 * Early exit (mode > 0): count the first hw words, then give up on the pair
 * when that count plus an upper bound on the common bits of the remaining
 * words is below need.  Both bounds are exact (word w cannot hold more
 * common bits than either row has there), so no pair that reaches the
 * threshold is ever dropped:
 *   mode 1: min(xr, yr[j]), the two rows' popcounts over words hw..nw
 *           (cheap, looser);
 *   mode 2: the sum over words w >= hw of min(xwc[w], ywc[j * nw + w]), from
 *           per-word popcounts (one byte per word; tighter, costs more).
 */
typedef int64_t (*pprl_hits_fn)(const uint64_t *x, const uint64_t *ys, int64_t ny, int64_t nw,
                                int64_t mode, int64_t hw, int32_t xr, const int32_t *yr,
                                const uint8_t *xwc, const uint8_t *ywc, int32_t need,
                                int32_t *hit_j, int32_t *hit_c);

/* the vertical scan kernel: see section 1e (AVX2 and AVX-512 only) */
typedef int64_t (*pprl_vhits_fn)(const uint64_t *x, const uint64_t *bv, int64_t j0,
                                 int64_t j1, int64_t nw, int64_t hw, const int32_t *brest,
                                 const int32_t *pb, const int32_t *cmin_p, int32_t *hit_j,
                                 int32_t *hit_c);

/* bit-sliced kernel (section 1f): x as its pos list (nx bits) against sorted rows
   j0..j1 of one batch of b_bits; hits as pprl_vhits_fn */
typedef int64_t (*pprl_bshits_fn)(const int16_t *pos, int32_t nx, const uint64_t *b_bits,
                                  int64_t nbits, int64_t j0, int64_t j1, const int32_t *pb,
                                  const int32_t *cmin_p, int32_t *hit_j, int32_t *hit_c);

/* sum over words hw..nw of min(xw[w], yw[w]), portable */
PPRL_INLINE int32_t rest_bound_portable(const uint8_t *xw, const uint8_t *yw, int64_t hw,
                                        int64_t nw) {
    int32_t r = 0;
    int64_t w;
    for (w = hw; w < nw; w++) r += xw[w] < yw[w] ? xw[w] : yw[w];
    return r;
}

#define PPRL_HITS_BODY(PAIR, BOUND, NW, HW, MODE)                                  \
    for (j = 0; j < ny; j++) {                                                     \
        const uint64_t *y = ys + j * (NW);                                         \
        int32_t c;                                                                 \
        if ((MODE) == 1) {                                                         \
            c = PAIR(x, y, (HW));                                                  \
            if (c < need - xr || c + yr[j] < need) continue;                       \
            c += PAIR(x + (HW), y + (HW), (NW) - (HW));                            \
        } else if ((MODE) == 2) {                                                  \
            c = PAIR(x, y, (HW));                                                  \
            if (c + BOUND(xwc, ywc + j * (NW), (HW), (NW)) < need) continue;       \
            c += PAIR(x + (HW), y + (HW), (NW) - (HW));                            \
        } else {                                                                   \
            c = PAIR(x, y, (NW));                                                  \
        }                                                                          \
        if (c >= need) {                                                           \
            hit_j[h] = (int32_t)j;                                                 \
            hit_c[h] = c;                                                          \
            h++;                                                                   \
        }                                                                          \
    }

/* unrolled cases for 1024-bit rows; keep in sync with UNROLLED in pprl/linkage/_plan.py */
#define PPRL_DEFINE_HITS(NAME, ATTR, PAIR, BOUND16)                                \
    static ATTR int64_t NAME(const uint64_t *x, const uint64_t *ys, int64_t ny,    \
                             int64_t nw, int64_t mode, int64_t hw, int32_t xr,     \
                             const int32_t *yr, const uint8_t *xwc,                \
                             const uint8_t *ywc, int32_t need,                     \
                             int32_t *hit_j, int32_t *hit_c) {                     \
        int64_t j, h = 0;                                                          \
        if (nw == 16 && mode == 0) {                                               \
            PPRL_HITS_BODY(PAIR, BOUND16, 16, 0, 0)                                \
        } else if (nw == 16 && mode == 1 && hw == 8) {                             \
            PPRL_HITS_BODY(PAIR, BOUND16, 16, 8, 1)                                \
        } else if (nw == 16 && mode == 2 && hw == 4) {                             \
            PPRL_HITS_BODY(PAIR, BOUND16, 16, 4, 2)                                \
        } else if (nw == 16 && mode == 2 && hw == 6) {                             \
            PPRL_HITS_BODY(PAIR, BOUND16, 16, 6, 2)                                \
        } else if (nw == 16 && mode == 2 && hw == 8) {                             \
            PPRL_HITS_BODY(PAIR, BOUND16, 16, 8, 2)                                \
        } else if (nw == 16) {                                                     \
            PPRL_HITS_BODY(PAIR, BOUND16, 16, hw, mode)                            \
        } else {                                                                   \
            PPRL_HITS_BODY(PAIR, rest_bound_portable, nw, hw, mode)                \
        }                                                                          \
        return h;                                                                  \
    }

/*
 * Given-pairs kernel (pprl_score_pairs): pairs (ia[p], ib[p]) in any order.
 * A pair is read only when its popcounts allow the threshold
 * (min(pa, pb) >= cmin[pa + pb], or both rows empty), and kept when its
 * common bits reach cmin[pa + pb] -- the scan's exact test.  Rows of later
 * pairs are prefetched: the rows are gathered at random, so memory latency,
 * not popcounts, bounds the rate.  Returns pairs kept, or PPRL_E_INDEX /
 * PPRL_E_ARG on a row or popcount out of range.
 */
typedef int64_t (*pprl_pairs_fn)(const pprl_pairs_args *s, int64_t *compared);

#if defined(__GNUC__) || defined(__clang__)
#define PPRL_PREFETCH(p) __builtin_prefetch((const void *)(p), 0, 1)
#else
#define PPRL_PREFETCH(p) ((void)0)
#endif

/* pairs ahead whose rows are prefetched */
#ifndef PPRL_PAIRS_AHEAD
#define PPRL_PAIRS_AHEAD 12
#endif

#define PPRL_PAIRS_BODY(PAIR, NW)                                                  \
    for (p = 0; p < n; p++) {                                                      \
        int64_t i = ia[p], j = ib[p], tot;                                         \
        int32_t qa, qb, c, need;                                                   \
        if (p + PPRL_PAIRS_AHEAD < n) {                                            \
            uint64_t fi = (uint64_t)ia[p + PPRL_PAIRS_AHEAD];                      \
            uint64_t fj = (uint64_t)ib[p + PPRL_PAIRS_AHEAD];                      \
            if (fi < (uint64_t)na && fj < (uint64_t)nb) {                          \
                PPRL_PREFETCH(a + fi * (NW));                                      \
                PPRL_PREFETCH(b + fj * (NW));                                      \
                if ((NW) > 8) {                                                    \
                    PPRL_PREFETCH(a + fi * (NW) + 8);                              \
                    PPRL_PREFETCH(b + fj * (NW) + 8);                              \
                }                                                                  \
                PPRL_PREFETCH(pa + fi);                                            \
                PPRL_PREFETCH(pb + fj);                                            \
            }                                                                      \
        }                                                                          \
        if ((uint64_t)i >= (uint64_t)na || (uint64_t)j >= (uint64_t)nb)            \
            return PPRL_E_INDEX;                                                   \
        qa = pa[i];                                                                \
        qb = pb[j];                                                                \
        if (qa < 0 || qa > nbits || qb < 0 || qb > nbits) return PPRL_E_ARG;       \
        tot = (int64_t)qa + qb;                                                    \
        need = cmin[tot];                                                          \
        if (tot != 0 && (qa < qb ? qa : qb) < need) continue;                      \
        cnt++;                                                                     \
        c = PAIR(a + i * (NW), b + j * (NW), (NW));                                \
        if (c >= need) {                                                           \
            out_a[h] = i;                                                          \
            out_b[h] = j;                                                          \
            out_s[h] = tot ? 2.0 * (double)c / (double)tot : 0.0;                  \
            h++;                                                                   \
        }                                                                          \
    }

/*
 * Buckets kernel: the pairs of buckets k0.. (see pprl_buckets_args) tested as
 * above; stops before a bucket whose kept pairs do not fit in the output
 * (*next = that bucket, the return value counts the pairs before it).  The
 * driver has checked every bucket's ranges and rows.
 */
typedef int64_t (*pprl_buckets_fn)(const pprl_buckets_args *s, int64_t k0, int64_t *compared,
                                   int64_t *next);

/* buckets ahead whose first rows are prefetched */
#ifndef PPRL_BUCKETS_AHEAD
#define PPRL_BUCKETS_AHEAD 8
#endif

#define PPRL_BUCKETS_BODY(PAIR, NW)                                                \
    for (k = k0; k < nbk; k++) {                                                   \
        const int64_t *ra = oa + sa[k], *rb = ob + sb[k];                          \
        int64_t r, t, ca = cna[k], cb = cnb[k], h0 = h, c0 = cnt;                  \
        if (k + PPRL_BUCKETS_AHEAD < nbk && cna[k + PPRL_BUCKETS_AHEAD] > 0 &&      \
            cnb[k + PPRL_BUCKETS_AHEAD] > 0) {                                     \
            /* most buckets hold a pair or two: prefetch the first rows of a     \
               bucket ahead (the row lists themselves are read in order) */      \
            int64_t kk = k + PPRL_BUCKETS_AHEAD, fi = oa[sa[kk]], fj = ob[sb[kk]]; \
            PPRL_PREFETCH(a + fi * (NW));                                          \
            PPRL_PREFETCH(b + fj * (NW));                                          \
            if ((NW) > 8) {                                                        \
                PPRL_PREFETCH(a + fi * (NW) + 8);                                  \
                PPRL_PREFETCH(b + fj * (NW) + 8);                                  \
            }                                                                      \
            PPRL_PREFETCH(pa + fi);                                                \
            PPRL_PREFETCH(pb + fj);                                                \
        }                                                                          \
        for (r = 0; r < ca; r++) {                                                 \
            int64_t i = ra[r];                                                     \
            const uint64_t *x = a + i * (NW);                                      \
            int32_t qa = pa[i];                                                    \
            for (t = 0; t < cb; t++) {                                             \
                int64_t j = rb[t], tot;                                            \
                int32_t qb = pb[j], c, need;                                       \
                if (t + PPRL_PAIRS_AHEAD < cb) {                                   \
                    const uint64_t *f = b + rb[t + PPRL_PAIRS_AHEAD] * (NW);       \
                    PPRL_PREFETCH(f);                                              \
                    if ((NW) > 8) PPRL_PREFETCH(f + 8);                            \
                }                                                                  \
                tot = (int64_t)qa + qb;                                            \
                need = cmin[tot];                                                  \
                if (tot != 0 && (qa < qb ? qa : qb) < need) continue;              \
                cnt++;                                                             \
                c = PAIR(x, b + j * (NW), (NW));                                   \
                if (c >= need) {                                                   \
                    if (h >= cap) {                                                \
                        *compared = c0;                                            \
                        *next = k;                                                 \
                        return h0;                                                 \
                    }                                                              \
                    out_a[h] = i;                                                  \
                    out_b[h] = j;                                                  \
                    out_s[h] = tot ? 2.0 * (double)c / (double)tot : 0.0;          \
                    h++;                                                           \
                }                                                                  \
            }                                                                      \
        }                                                                          \
    }

#define PPRL_DEFINE_BUCKETS(NAME, ATTR, PAIR)                                      \
    static ATTR int64_t NAME(const pprl_buckets_args *s, int64_t k0, int64_t *compared, \
                             int64_t *next) {                                      \
        const uint64_t *a = s->a, *b = s->b;                                       \
        const int32_t *pa = s->pa, *pb = s->pb, *cmin = s->cmin;                   \
        const int64_t *oa = s->order_a, *ob = s->order_b, *sa = s->start_a;        \
        const int64_t *sb = s->start_b, *cna = s->count_a, *cnb = s->count_b;      \
        int64_t nw = s->nw, nbk = s->n_buckets, cap = s->cap;                      \
        int64_t *out_a = s->out_a, *out_b = s->out_b;                              \
        double *out_s = s->out_s;                                                  \
        int64_t k, h = 0, cnt = 0;                                                 \
        if (nw == 16) {                                                            \
            PPRL_BUCKETS_BODY(PAIR, 16)                                            \
        } else {                                                                   \
            PPRL_BUCKETS_BODY(PAIR, nw)                                            \
        }                                                                          \
        *compared = cnt;                                                           \
        *next = nbk;                                                               \
        return h;                                                                  \
    }

#define PPRL_DEFINE_PAIRS(NAME, ATTR, PAIR)                                        \
    static ATTR int64_t NAME(const pprl_pairs_args *s, int64_t *compared) {        \
        const uint64_t *a = s->a, *b = s->b;                                       \
        const int32_t *pa = s->pa, *pb = s->pb, *cmin = s->cmin;                   \
        const int64_t *ia = s->ia, *ib = s->ib;                                    \
        int64_t na = s->na, nb = s->nb, nw = s->nw, nbits = s->nbits, n = s->n;    \
        int64_t *out_a = s->out_a, *out_b = s->out_b;                              \
        double *out_s = s->out_s;                                                  \
        int64_t p, h = 0, cnt = 0;                                                 \
        if (nw == 16) {                                                            \
            PPRL_PAIRS_BODY(PAIR, 16)                                              \
        } else {                                                                   \
            PPRL_PAIRS_BODY(PAIR, nw)                                              \
        }                                                                          \
        *compared = cnt;                                                           \
        return h;                                                                  \
    }

/* ------------------------------------------------------------------------ */
/* 1a. portable: SWAR popcount, any C99 compiler, any architecture           */
/* ------------------------------------------------------------------------ */

PPRL_INLINE uint64_t swar_bytes(uint64_t v) {
    /* per-byte popcounts (each byte holds 0..8) */
    v = v - ((v >> 1) & 0x5555555555555555ULL);
    v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL);
    return (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
}

PPRL_INLINE int32_t portable_pair(const uint64_t *x, const uint64_t *y, int64_t nw) {
    int64_t total = 0;
    int64_t w = 0;
    while (w < nw) {
        /* bytes hold at most 8 * 31 = 248 before they must be folded */
        int64_t stop = (nw - w > 31) ? w + 31 : nw;
        uint64_t acc = 0;
        for (; w < stop; w++) acc += swar_bytes(x[w] & y[w]);
        /* fold the 8 byte sums (each < 256) into one */
        acc = (acc & 0x00ff00ff00ff00ffULL) + ((acc >> 8) & 0x00ff00ff00ff00ffULL);
        total += (int64_t)((acc * 0x0001000100010001ULL) >> 48);
    }
    return (int32_t)total;
}

static void common_portable(const uint64_t *x, const uint64_t *ys, int64_t ny, int64_t nw,
                            int32_t *out) {
    int64_t j;
    if (nw == 16) {
        for (j = 0; j < ny; j++) out[j] = portable_pair(x, ys + j * 16, 16);
    } else {
        for (j = 0; j < ny; j++) out[j] = portable_pair(x, ys + j * nw, nw);
    }
}

PPRL_DEFINE_HITS(hits_portable, , portable_pair, rest_bound_portable)
PPRL_DEFINE_PAIRS(pairs_portable, , portable_pair)
PPRL_DEFINE_BUCKETS(buckets_portable, , portable_pair)

#if PPRL_HAVE_X86

/* ------------------------------------------------------------------------ */
/* 1b. scalar POPCNT                                                          */
/* ------------------------------------------------------------------------ */

/* rest bound for 16-word rows with SSE2 (baseline on x86-64): 16 byte-mins, one psadbw */
static const uint8_t pprl_keep_from[17][16] = {
#define K(n) {(n) <= 0 ? 255 : 0, (n) <= 1 ? 255 : 0, (n) <= 2 ? 255 : 0, (n) <= 3 ? 255 : 0, \
              (n) <= 4 ? 255 : 0, (n) <= 5 ? 255 : 0, (n) <= 6 ? 255 : 0, (n) <= 7 ? 255 : 0, \
              (n) <= 8 ? 255 : 0, (n) <= 9 ? 255 : 0, (n) <= 10 ? 255 : 0, (n) <= 11 ? 255 : 0, \
              (n) <= 12 ? 255 : 0, (n) <= 13 ? 255 : 0, (n) <= 14 ? 255 : 0, (n) <= 15 ? 255 : 0}
    K(0), K(1), K(2), K(3), K(4), K(5), K(6), K(7), K(8),
    K(9), K(10), K(11), K(12), K(13), K(14), K(15), K(16)
#undef K
};

PPRL_INLINE int32_t rest_bound_sse2(const uint8_t *xw, const uint8_t *yw, int64_t hw,
                                    int64_t nw) {
    __m128i mn = _mm_min_epu8(_mm_loadu_si128((const __m128i *)xw),
                              _mm_loadu_si128((const __m128i *)yw));
    __m128i s;
    (void)nw; /* always 16 here */
    mn = _mm_and_si128(mn, _mm_loadu_si128((const __m128i *)pprl_keep_from[hw]));
    s = _mm_sad_epu8(mn, _mm_setzero_si128());
    return _mm_cvtsi128_si32(s) + _mm_extract_epi16(s, 4);
}

#define PPRL_T_POPCNT __attribute__((target("popcnt")))

PPRL_INLINE PPRL_T_POPCNT int32_t popcnt_pair(const uint64_t *x, const uint64_t *y,
                                              int64_t nw) {
    int64_t c0 = 0, c1 = 0, w = 0;
    for (; w + 2 <= nw; w += 2) {
        c0 += __builtin_popcountll(x[w] & y[w]);
        c1 += __builtin_popcountll(x[w + 1] & y[w + 1]);
    }
    if (w < nw) c0 += __builtin_popcountll(x[w] & y[w]);
    return (int32_t)(c0 + c1);
}

static PPRL_T_POPCNT void common_popcnt(const uint64_t *x, const uint64_t *ys, int64_t ny,
                                        int64_t nw, int32_t *out) {
    int64_t j;
    if (nw == 16) {
        for (j = 0; j < ny; j++) out[j] = popcnt_pair(x, ys + j * 16, 16);
    } else if (nw == 8) {
        for (j = 0; j < ny; j++) out[j] = popcnt_pair(x, ys + j * 8, 8);
    } else {
        for (j = 0; j < ny; j++) out[j] = popcnt_pair(x, ys + j * nw, nw);
    }
}

PPRL_DEFINE_HITS(hits_popcnt, PPRL_T_POPCNT, popcnt_pair, rest_bound_sse2)
PPRL_DEFINE_PAIRS(pairs_popcnt, PPRL_T_POPCNT, popcnt_pair)
PPRL_DEFINE_BUCKETS(buckets_popcnt, PPRL_T_POPCNT, popcnt_pair)

/* ------------------------------------------------------------------------ */
/* 1c. AVX2: nibble lookup with vpshufb, byte sums folded with vpsadbw        */
/* ------------------------------------------------------------------------ */

#define PPRL_T_AVX2 __attribute__((target("avx2,popcnt")))

PPRL_INLINE PPRL_T_AVX2 __m256i avx2_bytes(__m256i v, __m256i lut, __m256i low) {
    __m256i lo = _mm256_and_si256(v, low);
    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low);
    return _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
}

PPRL_INLINE PPRL_T_AVX2 int32_t avx2_pair(const uint64_t *x, const uint64_t *y, int64_t nw) {
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0f);
    const __m256i zero = _mm256_setzero_si256();
    __m256i tot = zero;
    int64_t nv = nw / 4, v = 0, w;
    int64_t c;
    __m128i s;
    while (v < nv) {
        int64_t stop = (nv - v > 31) ? v + 31 : nv; /* bytes stay <= 248 */
        __m256i bytes = zero;
        for (; v < stop; v++) {
            __m256i xv = _mm256_loadu_si256((const __m256i *)(x + 4 * v));
            __m256i yv = _mm256_loadu_si256((const __m256i *)(y + 4 * v));
            bytes = _mm256_add_epi8(bytes, avx2_bytes(_mm256_and_si256(xv, yv), lut, low));
        }
        tot = _mm256_add_epi64(tot, _mm256_sad_epu8(bytes, zero));
    }
    s = _mm_add_epi64(_mm256_castsi256_si128(tot), _mm256_extracti128_si256(tot, 1));
    s = _mm_add_epi64(s, _mm_unpackhi_epi64(s, s));
    c = _mm_cvtsi128_si64(s);
    for (w = 4 * nv; w < nw; w++) c += __builtin_popcountll(x[w] & y[w]);
    return (int32_t)c;
}

static PPRL_T_AVX2 void common_avx2(const uint64_t *x, const uint64_t *ys, int64_t ny,
                                    int64_t nw, int32_t *out) {
    int64_t j;
    if (nw == 16) {
        for (j = 0; j < ny; j++) out[j] = avx2_pair(x, ys + j * 16, 16);
    } else if (nw == 8) {
        for (j = 0; j < ny; j++) out[j] = avx2_pair(x, ys + j * 8, 8);
    } else {
        for (j = 0; j < ny; j++) out[j] = avx2_pair(x, ys + j * nw, nw);
    }
}

PPRL_DEFINE_HITS(hits_avx2, PPRL_T_AVX2, avx2_pair, rest_bound_sse2)
PPRL_DEFINE_PAIRS(pairs_avx2, PPRL_T_AVX2, avx2_pair)
PPRL_DEFINE_BUCKETS(buckets_avx2, PPRL_T_AVX2, avx2_pair)

/* ------------------------------------------------------------------------ */
/* 1d. AVX-512 VPOPCNTDQ                                                      */
/* ------------------------------------------------------------------------ */

#define PPRL_T_AVX512 __attribute__((target("avx512f,avx512vpopcntdq,popcnt")))

PPRL_INLINE PPRL_T_AVX512 int32_t avx512_pair(const uint64_t *x, const uint64_t *y,
                                              int64_t nw) {
    __m512i acc = _mm512_setzero_si512();
    int64_t nv = nw / 8, v, rem = nw - 8 * (nw / 8);
    for (v = 0; v < nv; v++) {
        __m512i xv = _mm512_loadu_si512((const void *)(x + 8 * v));
        __m512i yv = _mm512_loadu_si512((const void *)(y + 8 * v));
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_and_si512(xv, yv)));
    }
    if (rem) {
        __mmask8 m = (__mmask8)((1u << rem) - 1u);
        __m512i xv = _mm512_maskz_loadu_epi64(m, (const void *)(x + 8 * nv));
        __m512i yv = _mm512_maskz_loadu_epi64(m, (const void *)(y + 8 * nv));
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(_mm512_and_si512(xv, yv)));
    }
    return (int32_t)_mm512_reduce_add_epi64(acc);
}

static PPRL_T_AVX512 void common_avx512(const uint64_t *x, const uint64_t *ys, int64_t ny,
                                        int64_t nw, int32_t *out) {
    int64_t j;
    if (nw == 16) {
        for (j = 0; j < ny; j++) out[j] = avx512_pair(x, ys + j * 16, 16);
    } else {
        for (j = 0; j < ny; j++) out[j] = avx512_pair(x, ys + j * nw, nw);
    }
}

PPRL_DEFINE_HITS(hits_avx512, PPRL_T_AVX512, avx512_pair, rest_bound_sse2)
PPRL_DEFINE_PAIRS(pairs_avx512, PPRL_T_AVX512, avx512_pair)
PPRL_DEFINE_BUCKETS(buckets_avx512, PPRL_T_AVX512, avx512_pair)


/* ------------------------------------------------------------------------ */
/* 1e. 8 rows at a time (AVX2, AVX-512), from B stored in blocks of 8 rows    */
/* ------------------------------------------------------------------------ */

/*
 * Vertical scan kernel: row x against the sorted rows j0..j1 of B, read from
 * b_vert (see pprl_scan_args) a block of 8 rows at a time.  Word w of the 8
 * rows is one 512-bit vector, so x's word w, broadcast, is ANDed with all 8
 * at once and the popcounts add up lane by lane: a pair costs no horizontal
 * sum, which is most of the work of the row kernels above when the early
 * exit stops after a few words.
 *
 * Early exit (0 < hw < nw): after hw words, drop the rows that cannot reach
 * need_lo = cmin_p[pb[first row of the block in j0..j1]] even if every bit
 * left could be common (at most min(popcount of x's words hw.., brest[j]));
 * B is sorted by popcount and cmin is nondecreasing, so need_lo is at most
 * any row's need and the bound is exact.  The block ends there when no row
 * is left.  Each row still alive at the end is tested exactly against
 * cmin_p[pb[j]].  Hits as pprl_hits_fn, hit_j relative to j0 (pprl_vhits_fn).
 */

/* the rows of block `base` (8 rows from sorted row base) inside j0..j1, as bits */
PPRL_INLINE unsigned block_live(int64_t base, int64_t j0, int64_t j1) {
    unsigned live = 0xffu;
    if (base < j0) live &= (0xffu << (j0 - base)) & 0xffu;
    if (base + 8 > j1) live &= 0xffu >> (base + 8 - j1);
    return live;
}

/* the exact test of the rows in `live`, whose common bits are cnt[0..8) */
#define PPRL_VHITS_EXACT(LIVE, CNT)                                                \
    while (LIVE) {                                                                 \
        int r_ = __builtin_ctz(LIVE);                                              \
        int64_t j_ = base + r_;                                                    \
        int32_t c_ = (int32_t)(CNT)[r_];                                           \
        (LIVE) &= (LIVE) - 1;                                                      \
        if (c_ >= cmin_p[pb[j_]]) {                                                \
            hit_j[h] = (int32_t)(j_ - j0);                                         \
            hit_c[h] = c_;                                                         \
            h++;                                                                   \
        }                                                                          \
    }

/* popcount of x's words w0..w1 (the rest bound's share of x) */
PPRL_INLINE PPRL_T_POPCNT int32_t words_popcount(const uint64_t *x, int64_t w0, int64_t w1) {
    int32_t r = 0;
    for (; w0 < w1; w0++) r += (int32_t)__builtin_popcountll(x[w0]);
    return r;
}

PPRL_INLINE PPRL_T_AVX512 __m512i v512_words(const uint64_t *x, const uint64_t *blk,
                                             int64_t w0, int64_t w1, __m512i acc) {
    for (; w0 < w1; w0++) {
        __m512i y = _mm512_loadu_si512((const void *)(blk + 8 * w0));
        __m512i c = _mm512_and_si512(_mm512_set1_epi64((long long)x[w0]), y);
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(c));
    }
    return acc;
}

/* common bits of x's words W0..W1 (constants) with the block's, two sums for ILP */
#define PPRL_V512_WORDS16(XB, BLK, W0, W1, ACC)                                    \
    do {                                                                           \
        __m512i e_ = _mm512_setzero_si512(), o_ = e_;                              \
        int w_;                                                                    \
        for (w_ = (W0); w_ + 1 < (W1); w_ += 2) {                                  \
            e_ = _mm512_add_epi64(e_, _mm512_popcnt_epi64(_mm512_and_si512(         \
                (XB)[w_], _mm512_loadu_si512((const void *)((BLK) + 8 * w_)))));    \
            o_ = _mm512_add_epi64(o_, _mm512_popcnt_epi64(_mm512_and_si512(         \
                (XB)[w_ + 1], _mm512_loadu_si512((const void *)((BLK) + 8 * w_ + 8))))); \
        }                                                                          \
        if (w_ < (W1))                                                             \
            e_ = _mm512_add_epi64(e_, _mm512_popcnt_epi64(_mm512_and_si512(         \
                (XB)[w_], _mm512_loadu_si512((const void *)((BLK) + 8 * w_)))));    \
        (ACC) = _mm512_add_epi64((ACC), _mm512_add_epi64(e_, o_));                 \
    } while (0)

/*
 * One block (8 rows from sorted row `base`): its live rows (bits) after the
 * early exit and the exact test, counts in cnt.  WORDS(W0, W1, ACC) adds the
 * common bits of words W0..W1; EX: words before the early exit (NW: none).
 */
#define PPRL_VHITS_AVX512_BLOCK(WORDS, EX, NW)                                     \
    {                                                                              \
        int64_t base = k * 8;                                                      \
        __mmask8 live = (__mmask8)block_live(base, j0, j1);                        \
        __m512i need = _mm512_set1_epi64(cmin_p[pb[base > j0 ? base : j0]]);       \
        __m512i acc = _mm512_setzero_si512();                                      \
        WORDS(0, (EX), acc);                                                       \
        if ((EX) < (NW)) {                                                         \
            __m256i r8 = _mm256_loadu_si256((const __m256i *)(brest + base));      \
            __m512i rest = _mm512_min_epi64(_mm512_cvtepi32_epi64(r8), xr);        \
            live = _mm512_mask_cmpge_epi64_mask(live, _mm512_add_epi64(acc, rest), \
                                                need);                             \
            if (!live) continue;                                                   \
            WORDS((EX), (NW), acc);                                                \
        }                                                                          \
        live = _mm512_mask_cmpge_epi64_mask(live, acc, need);                      \
        if (!live) continue;                                                       \
        _mm512_storeu_si512((void *)cnt, acc);                                     \
        PPRL_VHITS_EXACT(live, cnt)                                                \
    }

#define PPRL_W16(W0, W1, ACC) PPRL_V512_WORDS16(xb, bv + k * 128, W0, W1, ACC)
#define PPRL_WANY(W0, W1, ACC) ((ACC) = v512_words(x, bv + k * 8 * nw, (W0), (W1), (ACC)))
#define PPRL_VHITS_AVX512_LOOP(WORDS, EX, NW)                                      \
    for (k = j0 >> 3; k < kend; k++) PPRL_VHITS_AVX512_BLOCK(WORDS, EX, NW)

static PPRL_T_AVX512 int64_t vhits_avx512(const uint64_t *x, const uint64_t *bv, int64_t j0,
                                          int64_t j1, int64_t nw, int64_t hw,
                                          const int32_t *brest, const int32_t *pb,
                                          const int32_t *cmin_p, int32_t *hit_j,
                                          int32_t *hit_c) {
    int64_t k, kend = (j1 + 7) >> 3, h = 0, ex = (hw > 0 && hw < nw) ? hw : nw;
    __m512i xr = _mm512_set1_epi64(words_popcount(x, ex, nw));
    int64_t cnt[8];
    if (nw == 16) {
        /* x's 16 words broadcast once; the early-exit points with unrolled code
           (keep in sync with VERTICAL_UNROLLED in pprl/linkage/_plan.py) */
        __m512i xb[16];
        int w;
        for (w = 0; w < 16; w++) xb[w] = _mm512_set1_epi64((long long)x[w]);
        switch (ex) {
        case 6: PPRL_VHITS_AVX512_LOOP(PPRL_W16, 6, 16) break;
        case 8: PPRL_VHITS_AVX512_LOOP(PPRL_W16, 8, 16) break;
        case 10: PPRL_VHITS_AVX512_LOOP(PPRL_W16, 10, 16) break;
        case 12: PPRL_VHITS_AVX512_LOOP(PPRL_W16, 12, 16) break;
        case 16: PPRL_VHITS_AVX512_LOOP(PPRL_W16, 16, 16) break;
        default: PPRL_VHITS_AVX512_LOOP(PPRL_WANY, ex, 16) break;
        }
    } else {
        PPRL_VHITS_AVX512_LOOP(PPRL_WANY, ex, nw)
    }
    return h;
}

/* words w0..w1 of the block: common bits of rows 0-3 added to *acc0, rows 4-7 to *acc1 */
PPRL_INLINE PPRL_T_AVX2 void v256_words(const uint64_t *x, const uint64_t *blk, int64_t w0,
                                        int64_t w1, __m256i *acc0, __m256i *acc1) {
    const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0f);
    const __m256i zero = _mm256_setzero_si256();
    while (w0 < w1) {
        int64_t stop = (w1 - w0 > 31) ? w0 + 31 : w1; /* bytes stay <= 248 */
        __m256i c0 = zero, c1 = zero;
        for (; w0 < stop; w0++) {
            __m256i xv = _mm256_set1_epi64x((long long)x[w0]);
            __m256i y0 = _mm256_loadu_si256((const __m256i *)(blk + 8 * w0));
            __m256i y1 = _mm256_loadu_si256((const __m256i *)(blk + 8 * w0 + 4));
            c0 = _mm256_add_epi8(c0, avx2_bytes(_mm256_and_si256(xv, y0), lut, low));
            c1 = _mm256_add_epi8(c1, avx2_bytes(_mm256_and_si256(xv, y1), lut, low));
        }
        *acc0 = _mm256_add_epi64(*acc0, _mm256_sad_epu8(c0, zero));
        *acc1 = _mm256_add_epi64(*acc1, _mm256_sad_epu8(c1, zero));
    }
}

/* bits of the 8 rows whose count (acc0: rows 0-3, acc1: rows 4-7) is > lim */
PPRL_INLINE PPRL_T_AVX2 unsigned v256_above(__m256i acc0, __m256i acc1, __m256i lim) {
    unsigned m0 = (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(acc0, lim)));
    unsigned m1 = (unsigned)_mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(acc1, lim)));
    return m0 | (m1 << 4);
}

#define PPRL_VHITS_AVX2_BODY(EX, NW)                                               \
    for (k = j0 >> 3; k < kend; k++) {                                             \
        const uint64_t *blk = bv + k * 8 * (NW);                                   \
        int64_t base = k * 8;                                                      \
        unsigned live = block_live(base, j0, j1);                                  \
        __m256i lim = _mm256_set1_epi64x((long long)cmin_p[pb[base > j0 ? base : j0]] - 1); \
        __m256i acc0 = _mm256_setzero_si256(), acc1 = acc0;                        \
        v256_words(x, blk, 0, (EX), &acc0, &acc1);                                 \
        if ((EX) < (NW)) {                                                         \
            __m256i r8 = _mm256_min_epi32(                                         \
                _mm256_loadu_si256((const __m256i *)(brest + base)), xr);          \
            __m256i r0 = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(r8));        \
            __m256i r1 = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(r8, 1));   \
            live &= v256_above(_mm256_add_epi64(acc0, r0), _mm256_add_epi64(acc1, r1), lim); \
            if (!live) continue;                                                   \
            v256_words(x, blk, (EX), (NW), &acc0, &acc1);                          \
        }                                                                          \
        live &= v256_above(acc0, acc1, lim);                                       \
        if (!live) continue;                                                       \
        _mm256_storeu_si256((__m256i *)cnt, acc0);                                 \
        _mm256_storeu_si256((__m256i *)(cnt + 4), acc1);                           \
        PPRL_VHITS_EXACT(live, cnt)                                                \
    }

static PPRL_T_AVX2 int64_t vhits_avx2(const uint64_t *x, const uint64_t *bv, int64_t j0,
                                      int64_t j1, int64_t nw, int64_t hw,
                                      const int32_t *brest, const int32_t *pb,
                                      const int32_t *cmin_p, int32_t *hit_j, int32_t *hit_c) {
    int64_t k, kend = (j1 + 7) >> 3, h = 0, ex = (hw > 0 && hw < nw) ? hw : nw;
    __m256i xr = _mm256_set1_epi32(words_popcount(x, ex, nw));
    int64_t cnt[8];
    if (nw == 16) {
        /* (unrolling the early-exit points, as vhits_avx512 does, measured no faster) */
        PPRL_VHITS_AVX2_BODY(ex, 16)
    } else {
        PPRL_VHITS_AVX2_BODY(ex, nw)
    }
    return h;
}

#endif /* PPRL_HAVE_X86 */

/*
 * 1f. Bit-sliced scan (GNU C vector extensions; pprl_bshits_fn).
 *
 * B's sorted rows in batches of PPRL_BS_LANES (256) rows, stored bit by bit:
 * plane r of a batch is the r-th bit (in rank order, see below) of each of
 * its rows, one bit a lane, four words a plane, and a last all-zero plane
 * (index nbits) -- b_bits[(batch * (nbits + 1) + r) * 4 + lane / 64], bit
 * lane % 64 (pprl_bit_planes writes it).  Row x's count of common bits with
 * every row of a batch is then the sum of the planes at x's set bits: 16
 * planes a step go through a tree of carry-save adders (Harley-Seal), so one
 * plane costs about 6 vector operations for all 256 lanes, against a
 * popcount of nw words for every pair.
 *
 * The bits are taken in the order of bit_rank (rank 0 first): the caller
 * ranks B's bits from least to most often set, so that a row unlike x misses
 * x's bits early.  A lane whose count plus the bits of x still to come
 * cannot reach need_lo (the batch's least need) is dropped, exactly as the
 * vertical early exit does; the batch ends when no lane is left.  The lanes
 * left at the end are tested exactly against cmin.  Any bit order gives the
 * same counts; only the time depends on it.
 */
#if defined(__GNUC__) || defined(__clang__)
#define PPRL_HAVE_BITS 1
#include <string.h>
#define PPRL_BS_LANES 256
#define PPRL_BS_HI 12 /* digits above eights: counts up to 16 * (2^12 - 1) bits */
typedef uint64_t pprl_bsv __attribute__((vector_size(32)));
typedef uint64_t pprl_bsv_u __attribute__((vector_size(32), aligned(8)));

/* carry-save adder: H, L = the carry and sum bits of A + B + C (A may be L) */
#define PPRL_BS_CSA(H, L, A, B, C)                                                 \
    do {                                                                           \
        pprl_bsv a_ = (A), b_ = (B), c_ = (C), u_ = a_ ^ b_;                       \
        (H) = (a_ & b_) | (u_ & c_);                                               \
        (L) = u_ ^ c_;                                                             \
    } while (0)

/* digits above eights needed for counts up to nbits */
static int pprl_bs_levels(int64_t nbits) {
    int l = 0;
    while ((nbits >> 4) >> l) l++;
    return l;
}

/* lanes a0..a1 of a batch as four words of bits */
static void pprl_bs_lane_words(int64_t a0, int64_t a1, uint64_t *w) {
    int k;
    for (k = 0; k < 4; k++) {
        int64_t lo = a0 - 64 * k, hi = a1 - 64 * k;
        if (lo < 0) lo = 0;
        if (hi > 64) hi = 64;
        w[k] = lo >= hi ? 0 : (hi - lo == 64 ? ~(uint64_t)0
                                              : (((uint64_t)1 << (hi - lo)) - 1) << lo);
    }
}

/* x's set bits as ranks, ascending, padded with nbits (the zero plane) to a multiple of
   16; returns how many bits x has.  tmp: nw words of scratch. */
static int32_t pprl_bs_pos(const uint64_t *x, int64_t nw, int64_t nbits, const int32_t *rank,
                           uint64_t *tmp, int16_t *pos) {
    int64_t w;
    int32_t nx = 0, n16;
    for (w = 0; w < nw; w++) tmp[w] = 0;
    for (w = 0; w < nw; w++) {
        uint64_t m = x[w];
        while (m) {
            int32_t r = rank[w * 64 + __builtin_ctzll(m)];
            tmp[r >> 6] |= (uint64_t)1 << (r & 63);
            m &= m - 1;
        }
    }
    for (w = 0; w < nw; w++) {
        uint64_t m = tmp[w];
        while (m) {
            pos[nx++] = (int16_t)(w * 64 + __builtin_ctzll(m));
            m &= m - 1;
        }
    }
    for (n16 = nx; n16 < ((nx + 15) & ~15); n16++) pos[n16] = (int16_t)nbits;
    return nx;
}

/* the generic kernel passes 32-byte vectors only to functions inlined into it, so the
   ABI note about vector arguments without AVX does not apply */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#define PPRL_BS_NAME bshits_generic
#define PPRL_BS_BODY bshits_generic_body
#define PPRL_BS_GE bshits_generic_ge
#define PPRL_BS_TARGET
#define PPRL_BS_ANY(v) (((v)[0] | (v)[1] | (v)[2] | (v)[3]) != 0)
#include "bitslice_kernel.h"
#undef PPRL_BS_NAME
#undef PPRL_BS_BODY
#undef PPRL_BS_GE
#undef PPRL_BS_TARGET
#undef PPRL_BS_ANY
#pragma GCC diagnostic pop

#if PPRL_HAVE_X86
#define PPRL_BS_NAME bshits_avx2
#define PPRL_BS_BODY bshits_avx2_body
#define PPRL_BS_GE bshits_avx2_ge
#define PPRL_BS_TARGET PPRL_T_AVX2
#define PPRL_BS_ANY(v) (!_mm256_testz_si256((__m256i)(v), (__m256i)(v)))
#include "bitslice_kernel.h"
#undef PPRL_BS_NAME
#undef PPRL_BS_BODY
#undef PPRL_BS_GE
#undef PPRL_BS_TARGET
#undef PPRL_BS_ANY
#endif
#else
#define PPRL_HAVE_BITS 0
#endif


/* ------------------------------------------------------------------------ */
/* 2. dispatch                                                                */
/* ------------------------------------------------------------------------ */

/* every kernel of one instruction-set path; vhits is NULL where the path has none */
typedef struct pprl_path {
    pprl_common_fn common;
    pprl_hits_fn hits;
    pprl_vhits_fn vhits;
    pprl_bshits_fn bshits;
    pprl_pairs_fn pairs;
    pprl_buckets_fn buckets;
} pprl_path;

#if PPRL_HAVE_BITS
#define PPRL_BS_GENERIC bshits_generic
#else
#define PPRL_BS_GENERIC NULL
#endif
/* indexed by PPRL_ISA_*; paths not compiled here are never chosen (path_usable).  The
   AVX-512 path keeps its vertical kernel for b_bits too (the bit-sliced one is not
   measured there: no AVX-512 machine to hand); the race of _plan.py picks between them */
static const pprl_path g_paths[PPRL_ISA_AVX512 + 1] = {
    {common_portable, hits_portable, NULL, PPRL_BS_GENERIC, pairs_portable, buckets_portable},
#if PPRL_HAVE_X86
    {common_popcnt, hits_popcnt, NULL, PPRL_BS_GENERIC, pairs_popcnt, buckets_popcnt},
    {common_avx2, hits_avx2, vhits_avx2, bshits_avx2, pairs_avx2, buckets_avx2},
    {common_avx512, hits_avx512, vhits_avx512, NULL, pairs_avx512, buckets_avx512},
#else
    {common_portable, hits_portable, NULL, PPRL_BS_GENERIC, pairs_portable, buckets_portable},
    {common_portable, hits_portable, NULL, PPRL_BS_GENERIC, pairs_portable, buckets_portable},
    {common_portable, hits_portable, NULL, PPRL_BS_GENERIC, pairs_portable, buckets_portable},
#endif
};

static int g_isa = PPRL_ISA_PORTABLE;
static const pprl_path *g_path = &g_paths[PPRL_ISA_PORTABLE];

int pprl_isa_compiled(int isa) {
    if (isa == PPRL_ISA_PORTABLE) return 1;
#if PPRL_HAVE_X86
    if (isa == PPRL_ISA_POPCNT || isa == PPRL_ISA_AVX2 || isa == PPRL_ISA_AVX512) return 1;
#endif
    return 0;
}

int pprl_isa_cpu(int isa) {
    if (isa == PPRL_ISA_PORTABLE) return 1;
#if PPRL_HAVE_X86
    __builtin_cpu_init();
    switch (isa) {
    case PPRL_ISA_POPCNT:
        return __builtin_cpu_supports("popcnt") ? 1 : 0;
    case PPRL_ISA_AVX2:
        return (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt")) ? 1 : 0;
    case PPRL_ISA_AVX512:
        return (__builtin_cpu_supports("avx512f") &&
                __builtin_cpu_supports("avx512vpopcntdq") &&
                __builtin_cpu_supports("popcnt")) ? 1 : 0;
    default:
        return 0;
    }
#else
    return 0;
#endif
}

int pprl_isa_best(void) {
    int isa;
    if (pprl_isa_compiled(PPRL_ISA_AVX512) && pprl_isa_cpu(PPRL_ISA_AVX512))
        return PPRL_ISA_AVX512;
#if PPRL_HAVE_X86
    /*
     * A static guess, used for popcounts and dense matrices and whenever the
     * facade does not time the paths itself: AVX-512 VPOPCNTDQ when present;
     * else scalar POPCNT on AMD (Zen 1-3 run several per cycle) and AVX2
     * elsewhere.  Which path is fastest for a candidate scan depends on the
     * data as well (the early exit changes how many words a pair costs), so
     * a large scan times the paths on its own data (pprl/linkage/_scan.py runs
     * the blocks that pprl/linkage/_plan.py plans and picks the winner from).
     */
    __builtin_cpu_init();
    if (__builtin_cpu_is("amd") && pprl_isa_cpu(PPRL_ISA_POPCNT)) return PPRL_ISA_POPCNT;
#endif
    for (isa = PPRL_ISA_AVX2; isa > PPRL_ISA_PORTABLE; isa--) {
        if (pprl_isa_compiled(isa) && pprl_isa_cpu(isa)) return isa;
    }
    return PPRL_ISA_PORTABLE;
}

int pprl_set_isa(int isa) {
    if (isa < PPRL_ISA_PORTABLE || isa > PPRL_ISA_AVX512) return PPRL_E_ARG;
    if (!pprl_isa_compiled(isa)) return PPRL_E_NOBUILD;
    if (!pprl_isa_cpu(isa)) return PPRL_E_NOCPU;
    g_path = &g_paths[isa];
    g_isa = isa;
    return PPRL_OK;
}

int pprl_get_isa(void) { return g_isa; }

/* whether path `isa` can run here: PPRL_OK, or why not */
static int path_usable(int64_t isa) {
    if (isa < PPRL_ISA_PORTABLE || isa > PPRL_ISA_AVX512) return PPRL_E_ARG;
    if (!pprl_isa_compiled((int)isa)) return PPRL_E_NOBUILD;
    if (!pprl_isa_cpu((int)isa)) return PPRL_E_NOCPU;
    return PPRL_OK;
}

/* the kernels of path `isa` for one call (-1: the process-wide path, which it leaves alone) */
static int path_for(int64_t isa, const pprl_path **out) {
    int rc;
    if (isa < 0) isa = g_isa;
    rc = path_usable(isa);
    if (rc != PPRL_OK) return rc;
    *out = &g_paths[isa];
    return PPRL_OK;
}

/* ------------------------------------------------------------------------ */
/* 3. drivers                                                                 */
/* ------------------------------------------------------------------------ */

int pprl_popcount_rows(const uint64_t *x, int64_t n, int64_t nw, int32_t *out) {
    int64_t i;
    pprl_common_fn common = g_path->common;
    if (n < 0 || nw < 0 || (n > 0 && (!x || !out))) return PPRL_E_ARG;
    /* popcount(x) == popcount(x AND x): reuse the pair kernel row by row */
    for (i = 0; i < n; i++) common(x + i * nw, x + i * nw, 1, nw, out + i);
    return PPRL_OK;
}

PPRL_INLINE double dice_score(int32_t common, int64_t s) {
    return s ? 2.0 * (double)common / (double)s : 0.0;
}

/* pb_lo / pb_hi by testing every (pa, pb): O(nbits^2), kept for a cmin of unexpected shape */
static void windows_by_testing(int64_t nbits, const int32_t *cmin, int32_t *pb_lo,
                               int32_t *pb_hi) {
    int64_t pa, pb;
    for (pa = 0; pa <= nbits; pa++) {
        int64_t lo = nbits + 1, hi = -1;
        for (pb = 0; pb <= nbits; pb++) {
            int64_t m = pa < pb ? pa : pb;
            if (m >= cmin[pa + pb]) {
                if (pb < lo) lo = pb;
                hi = pb;
            }
        }
        if (hi < 0) lo = 0; /* empty window: lo = 0, hi = -1 */
        pb_lo[pa] = (int32_t)lo;
        pb_hi[pa] = (int32_t)hi;
    }
}

int pprl_threshold_tables(double threshold, int64_t nbits, int32_t *cmin, int32_t *pb_lo,
                          int32_t *pb_hi) {
    /*
     * cmin[s], s = pa + pb in [0, 2 * nbits]: the least `common` whose score
     * 2.0 * common / s (as computed by dice_score) is >= threshold; s / 2 + 1
     * when none is (common <= min(pa, pb) <= s / 2).  The test
     * `common >= cmin[pa + pb]` is therefore exactly `score >= threshold`.
     * pb_lo[pa] .. pb_hi[pa]: the popcounts pb for which a pair can reach the
     * threshold at all (min(pa, pb) >= cmin[pa + pb]); empty when lo > hi.
     *
     * O(nbits): when cmin never decreases and grows by at most 1 per step of s
     * (true of the least c with 2c / s >= t for t in [0, 1]; checked below),
     * pb - cmin[pa + pb] never decreases in pb and cmin[pa + pb] never
     * decreases either, so for pb <= pa the test holds from some lo on and
     * for pb >= pa up to some hi, and lo and hi never decrease as pa grows:
     * two pointers walk each table once.  Should the check fail (a floating-
     * point surprise), every pair is tested instead, as before.
     */
    int64_t s, pa, lo, hi;
    if (nbits < 0 || !cmin || !pb_lo || !pb_hi) return PPRL_E_ARG;
    if (!(threshold >= 0.0 && threshold <= 1.0)) return PPRL_E_ARG;
    for (s = 0; s <= 2 * nbits; s++) {
        int64_t half = s / 2;
        int64_t c;
        if (s == 0) {
            cmin[s] = (0.0 >= threshold) ? 0 : 1;
            continue;
        }
        c = (int64_t)(threshold * (double)s / 2.0);
        if (c < 0) c = 0;
        if (c > half + 1) c = half + 1;
        while (c > 0 && dice_score((int32_t)(c - 1), s) >= threshold) c--;
        while (c <= half && dice_score((int32_t)c, s) < threshold) c++;
        cmin[s] = (int32_t)c;
    }
    for (s = 1; s <= 2 * nbits; s++) {
        if (cmin[s] < cmin[s - 1] || cmin[s] > cmin[s - 1] + 1) {
            windows_by_testing(nbits, cmin, pb_lo, pb_hi);
            return PPRL_OK;
        }
    }
    lo = 0;
    hi = 0;
    for (pa = 0; pa <= nbits; pa++) {
        while (lo <= pa && lo < cmin[pa + lo]) lo++; /* least pb <= pa that passes */
        if (lo > pa) { /* none up to pa, hence none above (cmin[pa + pb] >= cmin[2 pa]) */
            pb_lo[pa] = 0;
            pb_hi[pa] = -1;
            lo = pa + 1; /* lo[pa + 1] >= pa + 1 too: pb - cmin[pa + 1 + pb] <= pb - cmin[pa + pb] */
            continue;
        }
        if (hi < pa) hi = pa; /* pa passes at pb = pa, since lo <= pa passes */
        while (hi + 1 <= nbits && pa >= cmin[pa + hi + 1]) hi++; /* largest pb >= pa */
        pb_lo[pa] = (int32_t)lo;
        pb_hi[pa] = (int32_t)hi;
    }
    return PPRL_OK;
}

int pprl_dice_matrix(const uint64_t *a, int64_t na, const int32_t *pa, const uint64_t *b,
                     int64_t nb, const int32_t *pb, int64_t nw, double *out) {
    int32_t cnt[PPRL_BLOCK];
    int64_t i, j0, j;
    pprl_common_fn common = g_path->common;
    if (na < 0 || nb < 0 || nw < 0) return PPRL_E_ARG;
    if ((na > 0 && (!a || !pa)) || (nb > 0 && (!b || !pb)) || (na > 0 && nb > 0 && !out))
        return PPRL_E_ARG;
    for (i = 0; i < na; i++) {
        const uint64_t *x = a + i * nw;
        double *row = out + i * nb;
        for (j0 = 0; j0 < nb; j0 += PPRL_BLOCK) {
            int64_t len = (nb - j0 < PPRL_BLOCK) ? nb - j0 : PPRL_BLOCK;
            common(x, b + j0 * nw, len, nw, cnt);
            for (j = 0; j < len; j++) row[j0 + j] = dice_score(cnt[j], (int64_t)pa[i] + pb[j0 + j]);
        }
    }
    return PPRL_OK;
}

/* top-k heap: the root is the worst kept pair (lowest score, then highest b) */
PPRL_INLINE int worse(double s1, int64_t b1, double s2, int64_t b2) {
    return s1 < s2 || (s1 == s2 && b1 > b2);
}

static void heap_sift_down(double *hs, int64_t *hb, int64_t n, int64_t i) {
    for (;;) {
        int64_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && worse(hs[l], hb[l], hs[w], hb[w])) w = l;
        if (r < n && worse(hs[r], hb[r], hs[w], hb[w])) w = r;
        if (w == i) return;
        {
            double ts = hs[i];
            int64_t tb = hb[i];
            hs[i] = hs[w]; hb[i] = hb[w];
            hs[w] = ts; hb[w] = tb;
        }
        i = w;
    }
}

static void heap_push(double *hs, int64_t *hb, int64_t *n, int64_t k, double s, int64_t b) {
    int64_t i;
    if (*n < k) {
        i = (*n)++;
        hs[i] = s; hb[i] = b;
        while (i > 0) {
            int64_t p = (i - 1) / 2;
            if (!worse(hs[i], hb[i], hs[p], hb[p])) break;
            {
                double ts = hs[i];
                int64_t tb = hb[i];
                hs[i] = hs[p]; hb[i] = hb[p];
                hs[p] = ts; hb[p] = tb;
            }
            i = p;
        }
    } else if (worse(hs[0], hb[0], s, b)) {
        hs[0] = s; hb[0] = b;
        heap_sift_down(hs, hb, k, 0);
    }
}

#if defined(__GNUC__) || defined(__clang__)
#define PPRL_CTZ64(x) __builtin_ctzll(x)
#else
PPRL_INLINE int pprl_ctz64(uint64_t x) {
    int n = 0;
    while (!(x & 1u)) { x >>= 1; n++; }
    return n;
}
#define PPRL_CTZ64(x) pprl_ctz64(x)
#endif

/*
 * Put a row's pairs (b unique within the row, s alongside) in b order.
 * Short rows: insertion sort.  Long rows: scatter the scores into row_s
 * (indexed by b) and mark b in the bitmap row_bits, then read the bitmap
 * back in order, clearing it (it is all-zero again on return).
 */
static void sort_row_by_b(int64_t *b, double *s, int64_t n, double *row_s,
                          uint64_t *row_bits) {
    int64_t i, w, wlo, whi, pos = 0;
    if (n < 2) return;
    if (n <= 32) {
        for (i = 1; i < n; i++) {
            int64_t tb = b[i], j = i - 1;
            double ts = s[i];
            while (j >= 0 && b[j] > tb) { b[j + 1] = b[j]; s[j + 1] = s[j]; j--; }
            b[j + 1] = tb;
            s[j + 1] = ts;
        }
        return;
    }
    wlo = whi = b[0] >> 6;
    for (i = 0; i < n; i++) {
        int64_t x = b[i];
        row_bits[x >> 6] |= (uint64_t)1 << (x & 63);
        row_s[x] = s[i];
        if ((x >> 6) < wlo) wlo = x >> 6;
        if ((x >> 6) > whi) whi = x >> 6;
    }
    for (w = wlo; w <= whi; w++) {
        uint64_t word = row_bits[w];
        row_bits[w] = 0;
        while (word) {
            int64_t x = w * 64 + PPRL_CTZ64(word);
            b[pos] = x;
            s[pos] = row_s[x];
            pos++;
            word &= word - 1;
        }
    }
}

/*
 * Cache blocking of the thresholded scan (measured with benchmarks/bench_dice.py
 * on AMD EPYC, uniform 1,024-bit CLKs: ~10% faster than one whole pass over B
 * per row of A): PPRL_GROUP rows of A visit each tile of PPRL_TILE rows of B.
 * B is read from memory once per group, which bounds the vertical kernels
 * when B is large: 4,000 x 1,000,000 person CLKs on an AVX-512 Xeon took
 * 1.3 ns a pair with groups of 128 rows against 2.0 with 32.
 */
#define PPRL_GROUP PPRL_GROUP_ROWS
#ifndef PPRL_TILE
#define PPRL_TILE 128
#endif
#if PPRL_TILE > PPRL_BLOCK
#error "PPRL_TILE must not exceed PPRL_BLOCK (size of the hit buffers)"
#endif

/*
 * Rows i0 .. i0 + g of A (g <= PPRL_GROUP) tile by tile: each tile of
 * PPRL_TILE consecutive rows of B is visited by every row of the group while
 * it is still in cache, each row within its own popcount window, with the
 * same kernel and exact test as the row-by-row scan.  The group's pairs are
 * appended to out and then put row by row (in place), each row in original-b
 * order, exactly as the row-by-row scan writes them.  Returns PPRL_OK, or
 * PPRL_E_FULL with *count_io back at the group's start when the output
 * cannot hold the whole group, or PPRL_E_ARG on a bad popcount.
 */
/* a top-k row's cmin table after its heap took pairs: once the heap is full, the highest
   raised threshold (raise_t, see dice.h) at or below its k-th best score, else cm */
PPRL_INLINE const int32_t *raised_table(const pprl_scan_args *s, const double *hs, int64_t hn,
                                        int64_t *level, const int32_t *cm) {
    int64_t j = *level;
    if (hn < s->k || s->raise_levels <= 0) return cm;
    while (j + 1 < s->raise_levels && s->raise_t[j + 1] <= hs[0]) j++;
    if (j == *level) return cm;
    *level = j;
    return s->raise_cmin + j * (2 * s->nbits + 1);
}

/* scan_group: the nh hits of row i (= i0 + r) from sorted row J0 on, appended (k == 0) or
   offered to the row's heap (k > 0) */
#define PPRL_GROUP_EMIT(J0, NH)                                                    \
    if (k == 0 && count + (NH) > cap) {                                            \
        *count_io = gstart;                                                        \
        return PPRL_E_FULL;                                                        \
    }                                                                              \
    for (h = 0; h < (NH); h++) {                                                   \
        int64_t jj = (J0) + hit_j[h];                                              \
        double sc = dice_score(hit_c[h], (int64_t)p + pb[jj]);                     \
        if (k > 0) {                                                               \
            heap_push(s->heap_s + r * k, s->heap_b + r * k, &hn[r], k, sc, b_index[jj]); \
        } else {                                                                   \
            out_a[count] = a_first + i;                                            \
            out_b[count] = b_index[jj];                                            \
            out_s[count] = sc;                                                     \
            count++;                                                               \
        }                                                                          \
    }                                                                              \
    if (k > 0) cm[r] = raised_table(s, s->heap_s + r * k, hn[r], &lv[r], cm[r]);

/* rows of B per tile of the bit-sliced kernel: one batch */
#define PPRL_BS_TILE 256
#if PPRL_TILE > PPRL_BS_TILE || PPRL_BS_TILE > PPRL_BLOCK
#error "tiles must fit the hit buffers"
#endif

/* x's pos list for the bit-sliced kernel (its count of bits) */
static int32_t bits_pos_of(const pprl_scan_args *s, const uint64_t *x, int16_t *pos) {
#if PPRL_HAVE_BITS
    uint64_t tmp[s->nw];
    return pprl_bs_pos(x, s->nw, s->nbits, s->bit_rank, tmp, pos);
#else
    (void)s;
    (void)x;
    (void)pos;
    return 0;
#endif
}

static int scan_group(const pprl_scan_args *s, pprl_hits_fn hits, pprl_vhits_fn vhits,
                      pprl_bshits_fn bshits, int64_t i0, int64_t g, int64_t *count_io) {
    const uint64_t *a = s->a, *b = s->b;
    const int32_t *pa = s->pa, *pb = s->pb, *cmin = s->cmin, *pb_lo = s->pb_lo;
    const int32_t *pb_hi = s->pb_hi, *a_rest = s->a_rest, *b_rest = s->b_rest;
    const int64_t *b_index = s->b_index, *b_start = s->b_start;
    const uint8_t *a_wc = s->a_wc, *b_wc = s->b_wc;
    int64_t a_first = s->a_first, nw = s->nw, nbits = s->nbits, mode = s->mode, hw = s->hw;
    int64_t cap = s->cap, *out_a = s->out_a, *out_b = s->out_b;
    double *out_s = s->out_s, *row_s = s->row_s;
    uint64_t *row_bits = s->row_bits;
    int32_t hit_j[PPRL_BLOCK], hit_c[PPRL_BLOCK];
    int64_t lo[PPRL_GROUP], hi[PPRL_GROUP], start[PPRL_GROUP + 1], next[PPRL_GROUP];
    int64_t hn[PPRL_GROUP], lv[PPRL_GROUP];
    const int32_t *cm[PPRL_GROUP]; /* each row's cmin table (raised for top-k, see dice.h) */
    int64_t ulo = 0, uhi = 0, t0, r, h, count = *count_io, gstart = count, k = s->k;
    int64_t tile = bshits ? PPRL_BS_TILE : PPRL_TILE, stride = nbits + 16;
    int32_t nxs[PPRL_GROUP];
    for (r = 0; r < g; r++) {
        int32_t p = pa[i0 + r];
        hn[r] = 0;
        lv[r] = -1;
        cm[r] = cmin;
        if (p < 0 || p > nbits) return PPRL_E_ARG;
        if (pb_lo[p] > pb_hi[p]) {
            lo[r] = hi[r] = 0; /* empty window */
            continue;
        }
        lo[r] = b_start[pb_lo[p]];
        hi[r] = b_start[pb_hi[p] + 1];
        if (uhi <= ulo || lo[r] < ulo) ulo = lo[r];
        if (hi[r] > uhi) uhi = hi[r];
        if (bshits) nxs[r] = bits_pos_of(s, a + (i0 + r) * nw, s->bits_pos + r * stride);
    }
    if (vhits) ulo &= ~(int64_t)7; /* tiles of whole blocks of 8 rows */
    if (bshits) ulo &= ~(int64_t)(PPRL_BS_TILE - 1); /* tiles of whole batches */
    for (t0 = ulo; t0 < uhi; t0 += tile) {
        int64_t t1 = (uhi - t0 < tile) ? uhi : t0 + tile;
        for (r = 0; r < g; r++) {
            int64_t i = i0 + r, j0 = lo[r] > t0 ? lo[r] : t0, j1 = hi[r] < t1 ? hi[r] : t1;
            int32_t p = pa[i];
            if (bshits && j0 < j1) {
                int64_t nh = bshits(s->bits_pos + r * stride, nxs[r], s->b_bits, nbits, j0, j1,
                                    pb, cm[r] + p, hit_j, hit_c);
                PPRL_GROUP_EMIT(j0, nh)
                continue;
            }
            if (vhits && j0 < j1) {
                int64_t nh = vhits(a + i * nw, s->b_vert, j0, j1, nw, s->vhw, s->b_vrest, pb,
                                   cm[r] + p, hit_j, hit_c);
                PPRL_GROUP_EMIT(j0, nh)
                continue;
            }
            while (j0 < j1) {
                /* B is sorted by popcount: runs of one popcount q, so need is constant */
                int32_t q = pb[j0];
                int64_t end = b_start[q + 1] < j1 ? b_start[q + 1] : j1, nh;
                nh = hits(a + i * nw, b + j0 * nw, end - j0, nw, mode, hw,
                          mode == 1 ? a_rest[i] : 0, mode == 1 ? b_rest + j0 : NULL,
                          mode == 2 ? a_wc + i * nw : NULL, mode == 2 ? b_wc + j0 * nw : NULL,
                          cm[r][p + q], hit_j, hit_c);
                PPRL_GROUP_EMIT(j0, nh)
                j0 = end;
            }
        }
    }
    if (k > 0) { /* each row's heap, row by row, each row by b */
        int64_t total = 0, e;
        for (r = 0; r < g; r++) total += hn[r];
        if (count + total > cap) {
            *count_io = gstart;
            return PPRL_E_FULL;
        }
        for (r = 0; r < g; r++) {
            int64_t row_start = count;
            for (e = 0; e < hn[r]; e++) {
                out_a[count] = a_first + i0 + r;
                out_b[count] = s->heap_b[r * k + e];
                out_s[count] = s->heap_s[r * k + e];
                count++;
            }
            sort_row_by_b(out_b + row_start, out_s + row_start, count - row_start, row_s,
                          row_bits);
        }
        *count_io = count;
        return PPRL_OK;
    }
    /* put the pairs row by row (bucket r = row i0 + r, in place), then each row by b */
    for (r = 0; r <= g; r++) start[r] = 0;
    for (h = gstart; h < count; h++) start[out_a[h] - a_first - i0 + 1]++;
    start[0] = gstart;
    for (r = 1; r <= g; r++) start[r] += start[r - 1];
    for (r = 0; r < g; r++) next[r] = start[r];
    for (r = 0; r < g; r++) {
        while (next[r] < start[r + 1]) {
            int64_t at = next[r], q = out_a[at] - a_first - i0;
            if (q == r) {
                next[r]++;
            } else {
                int64_t to = next[q]++, tb = out_b[at];
                double ts = out_s[at];
                out_a[at] = out_a[to];
                out_b[at] = out_b[to];
                out_s[at] = out_s[to];
                out_a[to] = a_first + i0 + q;
                out_b[to] = tb;
                out_s[to] = ts;
            }
        }
    }
    for (r = 0; r < g; r++)
        sort_row_by_b(out_b + start[r], out_s + start[r], start[r + 1] - start[r], row_s,
                      row_bits);
    *count_io = count;
    return PPRL_OK;
}

int pprl_bit_planes(const uint64_t *b, int64_t nb, int64_t nw, int64_t nbits,
                    const int32_t *rank, uint64_t *out) {
    /* out: ceil(nb / 256) * (nbits + 1) * 4 words, zeroed by the caller */
    int64_t j, w;
    if (nb < 0 || nw < 0 || nbits < 0 || nbits > 64 * nw || (nb > 0 && (!b || !rank || !out)))
        return PPRL_E_ARG;
    for (j = 0; j < nbits; j++)
        if (rank[j] < 0 || rank[j] >= nbits) return PPRL_E_ARG;
    for (j = 0; j < nb; j++) {
        uint64_t *pl = out + (j / 256) * (nbits + 1) * 4 + ((j % 256) >> 6);
        uint64_t bit = (uint64_t)1 << (j & 63);
        for (w = 0; w < nw; w++) {
            uint64_t m = b[j * nw + w];
            while (m) {
                int64_t k = w * 64 + PPRL_CTZ64(m);
                m &= m - 1;
                if (k < nbits) pl[(int64_t)rank[k] * 4] |= bit;
            }
        }
    }
    return PPRL_OK;
}

int pprl_dice_scan(pprl_scan_args *args) {
    /*
     * The fields of *args (see pprl_scan_args in dice.h; args is never NULL).
     * Rows a[0..na) (numbered a_first + i in the output) against all of b,
     * whose rows are sorted by popcount (pb ascending, b_index the original
     * row numbers, b_start[c] the first row with popcount >= c, c in
     * 0..nbits+1).  Each A row only visits the B rows whose popcount can
     * reach the threshold; every visited pair is tested exactly with cmin.
     * k == 0 keeps every pair, taking the rows PPRL_GROUP at a time (see
     * scan_group; row by row from the first group whose pairs do not fit);
     * k > 0 keeps the best k per A row (score desc, then original b asc),
     * using heap_s / heap_b (heap_rows * k entries) as scratch, in groups
     * when heap_rows >= PPRL_GROUP (row by row otherwise).
     * mode 1 / 2 turn on the early exit after the first hw words (see
     * pprl_hits_fn): mode 1 uses a_rest / b_rest (popcount of words hw..nw of
     * each row), mode 2 a_wc / b_wc (popcount of each word, nw bytes per
     * row); mode 0 turns it off (those four may then be NULL).
     * When the output (capacity cap) cannot hold a whole row, the rows done
     * so far stay in the buffer, n_out says how many pairs were written,
     * next_row the first row not written, and PPRL_E_FULL is returned.
     * Output order: rows in order, and within a row by original b, so the
     * pairs come out sorted by (a, b); row_s (nb doubles) and row_bits
     * (ceil(nb / 64) words, all zero, left all zero) are scratch for that.
     */
    const uint64_t *a = args->a, *b = args->b;
    const int32_t *pa = args->pa, *pb = args->pb, *cmin = args->cmin, *pb_lo = args->pb_lo;
    const int32_t *pb_hi = args->pb_hi, *a_rest = args->a_rest, *b_rest = args->b_rest;
    const int64_t *b_index = args->b_index, *b_start = args->b_start;
    const uint8_t *a_wc = args->a_wc, *b_wc = args->b_wc;
    int64_t na = args->na, nb = args->nb, a_first = args->a_first, nw = args->nw;
    int64_t nbits = args->nbits, mode = args->mode, hw = args->hw, k = args->k, cap = args->cap;
    int64_t *heap_b = args->heap_b, *out_a = args->out_a, *out_b = args->out_b;
    double *heap_s = args->heap_s, *row_s = args->row_s, *out_s = args->out_s;
    uint64_t *row_bits = args->row_bits;
    int64_t *n_out = &args->n_out, *next_row = &args->next_row;
    const pprl_path *path;
    pprl_hits_fn hits;
    pprl_vhits_fn vhits = NULL;
    pprl_bshits_fn bshits = NULL;
    int32_t hit_j[PPRL_BLOCK], hit_c[PPRL_BLOCK];
    int64_t i, j0, j, h, len, count = 0;
    /* tile B across groups of A rows (top-k: with a heap per row of the group) */
    int grouped = k == 0 || args->heap_rows >= PPRL_GROUP;
    *n_out = 0;
    *next_row = 0;
    {
        int rc = path_for(args->isa, &path);
        if (rc != PPRL_OK) return rc;
    }
    hits = path->hits;
    if (na < 0 || nb < 0 || nw < 0 || nbits < 0 || k < 0 || cap < 0 || mode < 0 || mode > 2 ||
        hw < 0 || hw > nw || (mode > 0 && hw == 0) || (args->b_vert && (args->vhw < 0 ||
        args->vhw > nw || !args->b_vrest)))
        return PPRL_E_ARG;
    if (args->b_vert) vhits = path->vhits;
    if (args->b_bits && path->bshits) {
        if (!args->bit_rank || !args->bits_pos || nbits > 32767 - 16 || nbits > 64 * nw)
            return PPRL_E_ARG;
        bshits = path->bshits;
        vhits = NULL;
    }
    if (na == 0 || nb == 0) {
        *next_row = na;
        return PPRL_OK;
    }
    if (!a || !pa || !b || !pb || !b_index || !b_start || !cmin || !pb_lo || !pb_hi ||
        !out_a || !out_b || !out_s || (k > 0 && (!heap_s || !heap_b)) || !row_s || !row_bits ||
        (mode == 1 && (!a_rest || !b_rest)) || (mode == 2 && (!a_wc || !b_wc)) ||
        args->raise_levels < 0 || (args->raise_levels > 0 && (!args->raise_cmin || !args->raise_t)))
        return PPRL_E_ARG;
    for (i = 0; i < na; i++) {
        const uint64_t *x = a + i * nw;
        int32_t p = pa[i];
        int64_t jlo, jhi, row_start = count, hn = 0, lv = -1;
        const int32_t *cm = cmin; /* raised for top-k once the heap is full (see dice.h) */
        int32_t nx = 0;
        if (grouped) {
            int64_t g = (na - i < PPRL_GROUP) ? na - i : PPRL_GROUP;
            int rc = scan_group(args, hits, vhits, bshits, i, g, &count);
            if (rc == PPRL_OK) {
                i += g - 1;
                continue;
            }
            if (rc != PPRL_E_FULL) return rc;
            /* the group's pairs do not fit: go on row by row (each row resumable) */
            grouped = 0;
        }
        if (p < 0 || p > nbits) return PPRL_E_ARG;
        if (pb_lo[p] > pb_hi[p]) continue;
        jlo = b_start[pb_lo[p]];
        jhi = b_start[pb_hi[p] + 1];
        if (bshits) nx = bits_pos_of(args, x, args->bits_pos);
        for (j0 = jlo; j0 < jhi; j0 += len) {
            int64_t nh;
            if (bshits) {
                /* up to the end of j0's batch */
                int64_t end = (j0 & ~(int64_t)(PPRL_BS_TILE - 1)) + PPRL_BS_TILE;
                len = (end < jhi ? end : jhi) - j0;
                nh = bshits(args->bits_pos, nx, args->b_bits, nbits, j0, j0 + len, pb, cm + p,
                            hit_j, hit_c);
            } else if (vhits) {
                /* up to PPRL_BLOCK rows, ending on a whole block of 8 */
                int64_t end = (j0 & ~(int64_t)7) + PPRL_BLOCK;
                len = (end < jhi ? end : jhi) - j0;
                nh = vhits(x, args->b_vert, j0, j0 + len, nw, args->vhw, args->b_vrest, pb,
                           cm + p, hit_j, hit_c);
            } else {
                /* B is sorted by popcount: blocks of one popcount q, so need is constant */
                int32_t q = pb[j0];
                int64_t end = b_start[q + 1];
                len = (end - j0 < PPRL_BLOCK) ? end - j0 : PPRL_BLOCK;
                nh = hits(x, b + j0 * nw, len, nw, mode, hw, mode == 1 ? a_rest[i] : 0,
                          mode == 1 ? b_rest + j0 : NULL, mode == 2 ? a_wc + i * nw : NULL,
                          mode == 2 ? b_wc + j0 * nw : NULL, cm[p + q], hit_j, hit_c);
            }
            for (h = 0; h < nh; h++) {
                int64_t jj = j0 + hit_j[h];
                double score = dice_score(hit_c[h], (int64_t)p + pb[jj]);
                if (k > 0) {
                    heap_push(heap_s, heap_b, &hn, k, score, b_index[jj]);
                } else {
                    if (count >= cap) {
                        *n_out = row_start;
                        *next_row = i;
                        return PPRL_E_FULL;
                    }
                    out_a[count] = a_first + i;
                    out_b[count] = b_index[jj];
                    out_s[count] = score;
                    count++;
                }
            }
            if (k > 0) cm = raised_table(args, heap_s, hn, &lv, cm);
        }
        if (k > 0 && hn > 0) {
            if (count + hn > cap) {
                *n_out = row_start;
                *next_row = i;
                return PPRL_E_FULL;
            }
            for (j = 0; j < hn; j++) {
                out_a[count] = a_first + i;
                out_b[count] = heap_b[j];
                out_s[count] = heap_s[j];
                count++;
            }
        }
        sort_row_by_b(out_b + row_start, out_s + row_start, count - row_start, row_s, row_bits);
    }
    *n_out = count;
    *next_row = na;
    return PPRL_OK;
}

int pprl_score_pairs(pprl_pairs_args *args) {
    /*
     * Score the n given pairs (see pprl_pairs_args in dice.h; args is never
     * NULL): the pairs at Dice >= threshold (exactly as the candidate scan
     * decides, through cmin) go to out_a / out_b / out_s in input order,
     * n_out says how many, compared how many pairs were read at all.  The
     * output needs room for n pairs.  On a bad row index (PPRL_E_INDEX) or
     * popcount (PPRL_E_ARG) the output is partly written and n_out is 0.
     */
    const pprl_path *path;
    int64_t got, compared = 0;
    int rc;
    args->n_out = 0;
    args->compared = 0;
    rc = path_for(args->isa, &path);
    if (rc != PPRL_OK) return rc;
    if (args->n < 0 || args->na < 0 || args->nb < 0 || args->nw < 0 || args->nbits < 0)
        return PPRL_E_ARG;
    if (args->n == 0) return PPRL_OK;
    if (!args->ia || !args->ib || !args->out_a || !args->out_b || !args->out_s || !args->cmin ||
        (args->na > 0 && (!args->pa || (args->nw > 0 && !args->a))) ||
        (args->nb > 0 && (!args->pb || (args->nw > 0 && !args->b))))
        return PPRL_E_ARG;
    got = path->pairs(args, &compared);
    if (got < 0) return (int)got;
    args->n_out = got;
    args->compared = compared;
    return PPRL_OK;
}

int pprl_score_buckets(pprl_buckets_args *args) {
    /*
     * Score every pair of buckets 0..n_buckets (see pprl_buckets_args in
     * dice.h; args is never NULL) without writing the pairs out: those at
     * Dice >= threshold (cmin, as pprl_score_pairs) go to out_a / out_b /
     * out_s in bucket order.  When the kept pairs of a bucket do not fit in
     * cap, the buckets before it stay written (n_out, compared), next_bucket
     * is that bucket and PPRL_E_FULL is returned: call again from there
     * (shifting start_a / ... by next_bucket).  Every range and row is
     * checked before any pair is read (PPRL_E_INDEX, or PPRL_E_ARG for a
     * popcount out of 0..nbits).
     */
    const pprl_path *path;
    int64_t k, got, compared = 0, next = 0;
    int rc;
    args->n_out = 0;
    args->compared = 0;
    args->next_bucket = 0;
    rc = path_for(args->isa, &path);
    if (rc != PPRL_OK) return rc;
    if (args->n_buckets < 0 || args->na < 0 || args->nb < 0 || args->nw < 0 ||
        args->nbits < 0 || args->cap < 0 || args->n_order_a < 0 || args->n_order_b < 0)
        return PPRL_E_ARG;
    if (args->n_buckets == 0) return PPRL_OK;
    if (!args->start_a || !args->count_a || !args->start_b || !args->count_b || !args->cmin ||
        (args->cap > 0 && (!args->out_a || !args->out_b || !args->out_s)))
        return PPRL_E_ARG;
    for (k = 0; k < args->n_buckets; k++) {
        int64_t s0 = args->start_a[k], c0 = args->count_a[k];
        int64_t s1 = args->start_b[k], c1 = args->count_b[k];
        if (s0 < 0 || c0 < 0 || s0 > args->n_order_a - c0 || s1 < 0 || c1 < 0 ||
            s1 > args->n_order_b - c1)
            return PPRL_E_INDEX;
    }
    if (args->n_order_a > 0 && (!args->order_a || !args->pa || (args->nw > 0 && !args->a)))
        return PPRL_E_ARG;
    if (args->n_order_b > 0 && (!args->order_b || !args->pb || (args->nw > 0 && !args->b)))
        return PPRL_E_ARG;
    for (k = 0; k < args->n_order_a; k++) {
        int64_t i = args->order_a[k];
        if (i < 0 || i >= args->na) return PPRL_E_INDEX;
        if (args->pa[i] < 0 || args->pa[i] > args->nbits) return PPRL_E_ARG;
    }
    for (k = 0; k < args->n_order_b; k++) {
        int64_t j = args->order_b[k];
        if (j < 0 || j >= args->nb) return PPRL_E_INDEX;
        if (args->pb[j] < 0 || args->pb[j] > args->nbits) return PPRL_E_ARG;
    }
    got = path->buckets(args, 0, &compared, &next);
    args->n_out = got;
    args->compared = compared;
    args->next_bucket = next;
    return next < args->n_buckets ? PPRL_E_FULL : PPRL_OK;
}

int pprl_lsh_keys(const uint8_t *x, int64_t n, int64_t nbytes, const int64_t *positions,
                  int64_t g, int64_t bits, uint64_t *out) {
    /* row by row (each row is read once, from cache, for all g tables) */
    int64_t i, t, k;
    if (n < 0 || nbytes < 0 || g < 0 || bits < 0 || bits > 64) return PPRL_E_ARG;
    if (n == 0 || g == 0) return PPRL_OK;
    if (!out || (bits > 0 && (!positions || !x))) return PPRL_E_ARG;
    for (k = 0; k < g * bits; k++)
        if (positions[k] < 0 || positions[k] >= 8 * nbytes) return PPRL_E_INDEX;
    for (i = 0; i < n; i++) {
        const uint8_t *row = x + i * nbytes;
        const int64_t *pos = positions;
        for (t = 0; t < g; t++) {
            uint64_t key = 0;
            for (k = 0; k < bits; k++) {
                int64_t p = pos[k];
                key |= (uint64_t)((row[p >> 3] >> (7 - (p & 7))) & 1u) << k;
            }
            pos += bits;
            out[t * n + i] = key;
        }
    }
    return PPRL_OK;
}

int pprl_greedy_mask(const int64_t *a, const int64_t *b, int64_t n, uint8_t *used_a,
                     int64_t n_a, uint8_t *used_b, int64_t n_b, uint8_t *keep) {
    /* Pairs in canonical order; keep a pair iff neither end was kept before. */
    int64_t i;
    if (n < 0 || n_a < 0 || n_b < 0) return PPRL_E_ARG;
    if (n == 0) return PPRL_OK;
    if (!a || !b || !used_a || !used_b || !keep) return PPRL_E_ARG;
    for (i = 0; i < n; i++) {
        int64_t x = a[i], y = b[i];
        if (x < 0 || x >= n_a || y < 0 || y >= n_b) return PPRL_E_INDEX;
        if (!used_a[x] && !used_b[y]) {
            used_a[x] = 1;
            used_b[y] = 1;
            keep[i] = 1;
        } else {
            keep[i] = 0;
        }
    }
    return PPRL_OK;
}
