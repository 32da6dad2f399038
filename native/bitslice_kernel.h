/*
 * Bit-sliced scan kernel, included by dice.c once per instruction-set path
 * with these defined:
 *   PPRL_BS_NAME    the function's name (PPRL_BS_BODY, PPRL_BS_GE: its helpers')
 *   PPRL_BS_TARGET  its target attribute (empty: the compiler's baseline)
 *   PPRL_BS_ANY(v)  nonzero when any bit of the pprl_bsv v is set
 * (see dice.c section 1f for the layout and the method).
 *
 * Row x (as the ranks of its set bits, pos[0..nx), padded with the zero
 * plane's index nbits to a whole number of groups of 16) against the sorted
 * rows j0..j1 of B, which lie in one batch of PPRL_BS_LANES rows.  The count
 * of common bits of every lane is kept as a bit-sliced binary number: digits
 * ones, twos, fours, eights (carry-save adders, 16 planes a step) and hi[]
 * (the sixteens, rippled in).  Hits as pprl_vhits_fn, hit_j relative to j0.
 */
/* the lanes of live whose count (digits ones .. hi[levels - 1]) is >= k, branch-free */
PPRL_INLINE PPRL_BS_TARGET pprl_bsv PPRL_BS_GE(pprl_bsv ones, pprl_bsv twos, pprl_bsv fours,
                                               pprl_bsv eights, const pprl_bsv *hi,
                                               const int levels, int64_t k, pprl_bsv live) {
    const pprl_bsv zero = {0, 0, 0, 0}, all = ~zero;
    pprl_bsv gt = zero, eq = live;
    int i;
    if (k <= 0) return live;
    if (k >> (4 + levels)) return zero;
    for (i = 3 + levels; i >= 0; i--) {
        pprl_bsv d = i >= 4 ? hi[i - 4] : i == 3 ? eights : i == 2 ? fours : i == 1 ? twos : ones;
        pprl_bsv kb = ((k >> i) & 1) ? all : zero;
        gt |= eq & d & ~kb;
        eq &= ~(d ^ kb);
    }
    return gt | eq;
}

PPRL_INLINE PPRL_BS_TARGET int64_t PPRL_BS_BODY(const int16_t *pos, int32_t nx,
                                               const uint64_t *b_bits, int64_t nbits,
                                               int64_t j0, int64_t j1, const int32_t *pb,
                                               const int32_t *cmin_p, int32_t *hit_j,
                                               int32_t *hit_c, const int levels) {
    const int64_t base = j0 & ~(int64_t)(PPRL_BS_LANES - 1);
    const pprl_bsv_u *pl = (const pprl_bsv_u *)(b_bits + (base / PPRL_BS_LANES) * (nbits + 1) * 4);
    const pprl_bsv zero = {0, 0, 0, 0};
    pprl_bsv ones = zero, twos = zero, fours = zero, eights = zero, hi[PPRL_BS_HI];
    pprl_bsv twos_a, twos_b, fours_a, fours_b, eights_a, eights_b, sixteens, live;
    int32_t need_lo, from;
    int g, ng = (nx + 15) >> 4, i;
    int64_t h = 0;
    for (i = 0; i < levels; i++) hi[i] = zero;
    {
        uint64_t w[4];
        pprl_bs_lane_words(j0 - base, j1 - base, w);
        memcpy(&live, w, sizeof w);
    }
    /* B is sorted by popcount and cmin is nondecreasing: the first row needs least */
    need_lo = cmin_p[pb[j0]];
    /* no lane can fall below need_lo before nx - need_lo of x's bits are missing from
       it; the first check comes at twice that (measured: earlier checks cost more than
       they save on person CLKs), then one after every group */
    from = 2 * (nx - need_lo);
    for (g = 0; g < ng; g++) {
        const int16_t *p = pos + 16 * g;
#define PPRL_BS_P(k) pl[p[k]]
        PPRL_BS_CSA(twos_a, ones, ones, PPRL_BS_P(0), PPRL_BS_P(1));
        PPRL_BS_CSA(twos_b, ones, ones, PPRL_BS_P(2), PPRL_BS_P(3));
        PPRL_BS_CSA(fours_a, twos, twos, twos_a, twos_b);
        PPRL_BS_CSA(twos_a, ones, ones, PPRL_BS_P(4), PPRL_BS_P(5));
        PPRL_BS_CSA(twos_b, ones, ones, PPRL_BS_P(6), PPRL_BS_P(7));
        PPRL_BS_CSA(fours_b, twos, twos, twos_a, twos_b);
        PPRL_BS_CSA(eights_a, fours, fours, fours_a, fours_b);
        PPRL_BS_CSA(twos_a, ones, ones, PPRL_BS_P(8), PPRL_BS_P(9));
        PPRL_BS_CSA(twos_b, ones, ones, PPRL_BS_P(10), PPRL_BS_P(11));
        PPRL_BS_CSA(fours_a, twos, twos, twos_a, twos_b);
        PPRL_BS_CSA(twos_a, ones, ones, PPRL_BS_P(12), PPRL_BS_P(13));
        PPRL_BS_CSA(twos_b, ones, ones, PPRL_BS_P(14), PPRL_BS_P(15));
        PPRL_BS_CSA(fours_b, twos, twos, twos_a, twos_b);
        PPRL_BS_CSA(eights_b, fours, fours, fours_a, fours_b);
        PPRL_BS_CSA(sixteens, eights, eights, eights_a, eights_b);
#undef PPRL_BS_P
        for (i = 0; i < levels; i++) {
            pprl_bsv carry = hi[i] & sixteens;
            hi[i] ^= sixteens;
            sixteens = carry;
        }
        if (16 * (g + 1) >= from && g + 1 < ng) {
            /* exact bound: every bit of x still to come is common */
            live = PPRL_BS_GE(ones, twos, fours, eights, hi, levels,
                                    need_lo - (nx - 16 * (g + 1)), live);
            if (!PPRL_BS_ANY(live)) return 0;
        }
    }
    live = PPRL_BS_GE(ones, twos, fours, eights, hi, levels, need_lo, live);
    if (!PPRL_BS_ANY(live)) return 0;
    {
        /* the lanes left: their counts, tested exactly */
        uint64_t lw[4], dw[4 + PPRL_BS_HI][4];
        int w;
        memcpy(lw, &live, sizeof lw);
        memcpy(dw[0], &ones, sizeof dw[0]);
        memcpy(dw[1], &twos, sizeof dw[0]);
        memcpy(dw[2], &fours, sizeof dw[0]);
        memcpy(dw[3], &eights, sizeof dw[0]);
        for (i = 0; i < levels; i++) memcpy(dw[4 + i], &hi[i], sizeof dw[0]);
        for (w = 0; w < 4; w++) {
            uint64_t m = lw[w];
            while (m) {
                int b = __builtin_ctzll(m);
                int64_t j = base + 64 * w + b;
                int32_t c = 0;
                m &= m - 1;
                for (i = 0; i < 4 + levels; i++) c |= (int32_t)((dw[i][w] >> b) & 1u) << i;
                if (c >= cmin_p[pb[j]]) {
                    hit_j[h] = (int32_t)(j - j0);
                    hit_c[h] = c;
                    h++;
                }
            }
        }
    }
    return h;
}

static PPRL_BS_TARGET int64_t PPRL_BS_NAME(const int16_t *pos, int32_t nx, const uint64_t *b_bits,
                                           int64_t nbits, int64_t j0, int64_t j1,
                                           const int32_t *pb, const int32_t *cmin_p,
                                           int32_t *hit_j, int32_t *hit_c) {
    int levels = pprl_bs_levels(nbits);
    /* the digit count as a constant for the usual widths, so the digits stay in registers */
    switch (levels) {
    case 6: return PPRL_BS_BODY(pos, nx, b_bits, nbits, j0, j1, pb, cmin_p, hit_j, hit_c, 6);
    case 7: return PPRL_BS_BODY(pos, nx, b_bits, nbits, j0, j1, pb, cmin_p, hit_j, hit_c, 7);
    case 8: return PPRL_BS_BODY(pos, nx, b_bits, nbits, j0, j1, pb, cmin_p, hit_j, hit_c, 8);
    default:
        return PPRL_BS_BODY(pos, nx, b_bits, nbits, j0, j1, pb, cmin_p, hit_j, hit_c, levels);
    }
}
