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
    /* out: label[i] = the group of record id i, -1 when in no group of two or
       more, groups numbered 0, 1, ... by their smallest record id; order: the
       first n_grouped entries are the grouped record ids by (group, id) */
    int64_t *label; int64_t *order;
    /* scratch: n_records * (2 + (deduplicated ? ceil(n_parties / 64) : 0)) */
    int64_t *scratch;
    /* out: the number of groups of two or more, and of their records */
    int64_t n_groups; int64_t n_grouped;
} pprl_groups_args;

int pprl_solve_groups(pprl_groups_args *args);

#endif /* PPRL_GROUPS_H */
