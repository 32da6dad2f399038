#include "dice.h"
int pprl_popcount_rows(const uint8_t *x, int64_t n, int64_t nbytes, int64_t *out) {
    if (n < 0 || nbytes < 0) return -1;
    for (int64_t i = 0; i < n; i++) {
        int64_t c = 0;
        for (int64_t j = 0; j < nbytes; j++) c += __builtin_popcount(x[i * nbytes + j]);
        out[i] = c;
    }
    return 0;
}
