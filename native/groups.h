/*
 * pprl native group solver: anonlink's greedy and probabilistic greedy group
 * rules over candidate pairs in their canonical order (native/groups.c).
 *
 * Conventions: those of dice.h (C99, no Python.h, status codes PPRL_*; the
 * caller owns the inputs, outputs and the per-record scratch).  The only
 * memory the solver allocates itself is what grows with the evidence it
 * meets (a hash table of pending counts and a pool of list nodes); a failed
 * allocation returns PPRL_E_NOMEM with everything freed.
 */
#ifndef PPRL_GROUPS_H
#define PPRL_GROUPS_H

#include "dice.h"

/* kept apart from dice.h's codes (-1 .. -5) so that the two files may grow */
#define PPRL_E_NOMEM (-16)   /* a memory allocation failed */

/*
 * Rows of each party seen in pairs: row_end[p] = max(row_end[p], row + 1)
 * over both sides of n pairs.  The caller zeroes row_end (n_parties entries).
 * PPRL_E_INDEX when a party is outside [0, n_parties) or a row is negative.
 */
int pprl_group_extents(const int64_t *party_a, const int64_t *row_a,
                       const int64_t *party_b, const int64_t *row_b, int64_t n,
                       int64_t n_parties, int64_t *row_end);

/*
 * Arguments of one group solve (pprl_solve_groups).  Record (p, r) is record
 * id offset[p] + r, in [0, n_records).  Pairs are read in the order given.
 */
typedef struct pprl_groups_args {
    const int64_t *party_a; const int64_t *row_a;
    const int64_t *party_b; const int64_t *row_b; int64_t n;
    const int64_t *offset; int64_t n_parties; int64_t n_records;
    /* merge two groups when seen >= merge_threshold * |G1| * |G2| and, with
       deduplicated != 0, they share no party */
    double merge_threshold; int64_t deduplicated;
    /* out: the group of each record id (the id of one of its members), or -1
       when the record is in no group of two or more */
    int64_t *label;
    /* scratch of n_records entries each; mask: n_records * ceil(n_parties / 64)
       words when deduplicated, else unused (may be NULL) */
    int64_t *size; int64_t *adj; uint64_t *mask;
    /* out: the number of groups of two or more */
    int64_t n_groups;
} pprl_groups_args;

int pprl_solve_groups(pprl_groups_args *args);

#endif /* PPRL_GROUPS_H */
