#ifndef PPRL_DICE_H
#define PPRL_DICE_H
#include <stdint.h>
#include <stddef.h>
int pprl_popcount_rows(const uint8_t *x, int64_t n, int64_t nbytes, int64_t *out);
#endif
