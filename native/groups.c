/*
 * pprl native group solver: anonlink's greedy and probabilistic greedy group
 * rules (the pure-Python reference is pprl/linkage/_groups.py, which states
 * the rule; this file must give the same groups, and the tests check it).
 *
 * Pairs are read once, in the order given (the candidates' canonical order,
 * best score first).  Every record seen is in one group; groups are a
 * union-find forest over record ids (label[] holds the parent links while
 * the solver runs, path halving, no recursion) with the size, the evidence
 * list and, when deduplicated, the party bitmask of each root side by side in
 * one caller-allocated run per record (one cache line to fetch, not three).
 * Candidates come best first, not by record, so nearly every step is a cache
 * miss: the parent links of the pairs PPRL_AHEAD ahead, and the roots' state
 * and hash slot of nearer pairs, are prefetched (hints only; no result
 * depends on them).  The result comes back in Groups' canonical order.
 *
 * Pending evidence -- how many candidate pairs between two groups were seen
 * without merging them -- lives in a hash table keyed by the pair of root
 * ids (smaller first).  Written by hand, open addressing with linear probing
 * and backward-shift deletion (no tombstones): C has no standard hash map,
 * the table is the solver's inner loop, and the keys are two int64 ids that
 * a generic library would box.  Each root also keeps a circular list (nodes
 * in one pool) of the roots it has evidence with, so that a merge can find
 * the dying root's entries: they are renamed to the surviving root and
 * summed with what it already has.  The smaller group (by records) dies, as
 * in the Python; which one dies changes no group.  A list may hold stale
 * nodes (a root since merged away, or a repeat): the table is the truth, a
 * node whose key is not in it is skipped.
 *
 * The table and the node pool grow by doubling (malloc / realloc, every
 * failure returned as PPRL_E_NOMEM after freeing both); everything else is
 * the caller's.
 */
#include "groups.h"

#include <stdlib.h>
#include <string.h>

typedef struct { int64_t a, b, cnt; } pprl_slot;    /* a == -1: empty */
typedef struct { int64_t other, next; } pprl_node;  /* next: circular list */

typedef struct {
    pprl_slot *slot; int64_t cap, used;   /* cap a power of two */
    pprl_node *node; int64_t n_node, cap_node;
    int64_t *root; int64_t stride;        /* the caller's per-record scratch */
} pprl_state;

static uint64_t pair_hash(int64_t a, int64_t b) {
    uint64_t h = (uint64_t)a * 0x9E3779B97F4A7C15ULL ^ (uint64_t)b;
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 29;
    h *= 0x94D049BB133111EBULL;
    return h ^ (h >> 32);
}

static int table_init(pprl_state *st, int64_t cap) {
    int64_t i;
    st->slot = (pprl_slot *)malloc((size_t)cap * sizeof(pprl_slot));
    if (!st->slot) return PPRL_E_NOMEM;
    for (i = 0; i < cap; i++) st->slot[i].a = -1;
    st->cap = cap;
    st->used = 0;
    return PPRL_OK;
}

/* the slot holding key (a, b) with a < b, or -1 */
static int64_t table_find(const pprl_state *st, int64_t a, int64_t b) {
    int64_t m = st->cap - 1, i = (int64_t)(pair_hash(a, b) & (uint64_t)m);
    for (;;) {
        const pprl_slot *s = &st->slot[i];
        if (s->a == -1) return -1;
        if (s->a == a && s->b == b) return i;
        i = (i + 1) & m;
    }
}

/* place key (a, b) = cnt; the key is absent and there is room */
static void table_place(pprl_state *st, int64_t a, int64_t b, int64_t cnt) {
    int64_t m = st->cap - 1, i = (int64_t)(pair_hash(a, b) & (uint64_t)m);
    while (st->slot[i].a != -1) i = (i + 1) & m;
    st->slot[i].a = a;
    st->slot[i].b = b;
    st->slot[i].cnt = cnt;
    st->used++;
}

static int table_grow(pprl_state *st) {
    pprl_slot *old = st->slot;
    int64_t old_cap = st->cap, i;
    if (old_cap > (int64_t)(SIZE_MAX / 2 / sizeof(pprl_slot))) return PPRL_E_NOMEM;
    if (table_init(st, 2 * old_cap) != PPRL_OK) {
        st->slot = old;
        st->cap = old_cap;
        return PPRL_E_NOMEM;
    }
    for (i = 0; i < old_cap; i++)
        if (old[i].a != -1) table_place(st, old[i].a, old[i].b, old[i].cnt);
    free(old);
    return PPRL_OK;
}

/* insert an absent key, growing first when the load would pass 1/2 */
static int table_insert(pprl_state *st, int64_t a, int64_t b, int64_t cnt) {
    if (2 * (st->used + 1) > st->cap && table_grow(st) != PPRL_OK) return PPRL_E_NOMEM;
    table_place(st, a, b, cnt);
    return PPRL_OK;
}

/* empty slot i, shifting later entries of its probe run back (no tombstones) */
static void table_delete(pprl_state *st, int64_t i) {
    int64_t m = st->cap - 1, j = i;
    for (;;) {
        int64_t home;
        j = (j + 1) & m;
        if (st->slot[j].a == -1) break;
        home = (int64_t)(pair_hash(st->slot[j].a, st->slot[j].b) & (uint64_t)m);
        /* move j into the hole at i unless its home lies cyclically in (i, j] */
        if (i <= j ? (home <= i || home > j) : (home <= i && home > j)) {
            st->slot[i] = st->slot[j];
            i = j;
        }
    }
    st->slot[i].a = -1;
    st->used--;
}

/* append a node naming `other` to a root's circular list (*tail: its last node) */
static int list_append(pprl_state *st, int64_t *tail, int64_t other) {
    int64_t k;
    if (st->n_node == st->cap_node) {
        pprl_node *grown;
        if (st->cap_node > (int64_t)(SIZE_MAX / 2 / sizeof(pprl_node))) return PPRL_E_NOMEM;
        grown = (pprl_node *)realloc(st->node, (size_t)(2 * st->cap_node) * sizeof(pprl_node));
        if (!grown) return PPRL_E_NOMEM;
        st->node = grown;
        st->cap_node *= 2;
    }
    k = st->n_node++;
    st->node[k].other = other;
    if (*tail < 0) {
        st->node[k].next = k;
    } else {
        st->node[k].next = st->node[*tail].next;
        st->node[*tail].next = k;
    }
    *tail = k;
    return PPRL_OK;
}

/* per-root state, one run of `stride` int64 per record id: size, list tail, party mask */
#define SIZE(g) (st->root[(g) * st->stride])
#define TAIL(g) (st->root[(g) * st->stride + 1])
#define MASK(g) ((uint64_t *)(st->root + (g) * st->stride + 2))

/* new pending evidence between roots g and h (no entry yet) */
static int pending_new(pprl_state *st, int64_t g, int64_t h, int64_t cnt) {
    int64_t a = g < h ? g : h, b = g < h ? h : g;
    if (table_insert(st, a, b, cnt) != PPRL_OK) return PPRL_E_NOMEM;
    if (list_append(st, &TAIL(g), h) != PPRL_OK) return PPRL_E_NOMEM;
    return list_append(st, &TAIL(h), g);
}

static int64_t find_root(int64_t *parent, int64_t i) {
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/* root d joins root s: sizes, masks, and d's pending evidence renamed to s */
static int merge_roots(pprl_state *st, int64_t *parent, int64_t nw, int64_t s, int64_t d) {
    int64_t w, tail = TAIL(d);
    parent[d] = s;
    SIZE(s) += SIZE(d);
    for (w = 0; w < nw; w++) MASK(s)[w] |= MASK(d)[w];
    if (tail < 0) return PPRL_OK;
    {
        int64_t k = st->node[tail].next;
        for (;;) {  /* every node of d's list once; appends go to other lists only */
            int64_t other = st->node[k].other, next = st->node[k].next;
            int64_t a = d < other ? d : other, b = d < other ? other : d;
            int64_t i = table_find(st, a, b);
            if (i >= 0) {
                int64_t cnt = st->slot[i].cnt;
                table_delete(st, i);
                if (other != s) {
                    int64_t a2 = s < other ? s : other, b2 = s < other ? other : s;
                    int64_t j = table_find(st, a2, b2);
                    if (j >= 0) {
                        st->slot[j].cnt += cnt;
                    } else {
                        if (table_insert(st, a2, b2, cnt) != PPRL_OK) return PPRL_E_NOMEM;
                        if (list_append(st, &TAIL(other), s) != PPRL_OK) return PPRL_E_NOMEM;
                    }
                }
            }
            if (k == tail) break;
            k = next;
        }
    }
    /* splice d's nodes (now naming s's new partners) into s's list */
    if (TAIL(s) >= 0) {
        int64_t ts = TAIL(s), hs = st->node[ts].next, hd = st->node[tail].next;
        st->node[ts].next = hd;
        st->node[tail].next = hs;
    }
    TAIL(s) = tail;
    TAIL(d) = -1;
    return PPRL_OK;
}

int pprl_group_extents(const int64_t *party_a, const int64_t *row_a,
                       const int64_t *party_b, const int64_t *row_b, int64_t n,
                       int64_t n_parties, int64_t *row_end) {
    int64_t i;
    if (n < 0 || n_parties < 0) return PPRL_E_ARG;
    if (n == 0) return PPRL_OK;
    if (!party_a || !row_a || !party_b || !row_b || !row_end) return PPRL_E_ARG;
    for (i = 0; i < n; i++) {
        int64_t p = party_a[i], q = party_b[i], r = row_a[i], t = row_b[i];
        if (p < 0 || p >= n_parties || q < 0 || q >= n_parties || r < 0 || t < 0 ||
            r == INT64_MAX || t == INT64_MAX)
            return PPRL_E_INDEX;
        if (r + 1 > row_end[p]) row_end[p] = r + 1;
        if (t + 1 > row_end[q]) row_end[q] = t + 1;
    }
    return PPRL_OK;
}

/* record id of (p, r), or -1 when out of range */
static int64_t record_id(const pprl_groups_args *g, int64_t p, int64_t r) {
    int64_t id;
    if (p < 0 || p >= g->n_parties || r < 0) return -1;
    id = g->offset[p];
    if (id < 0 || r >= g->n_records - id) return -1;
    return id + r;
}

#if defined(__GNUC__) || defined(__clang__)
#define PPRL_PREFETCH(p) __builtin_prefetch(p)
#else
#define PPRL_PREFETCH(p) ((void)0)
#endif
/* pairs ahead whose records' parent links are fetched early (random access) */
#define PPRL_AHEAD 16

/* a likely root of record i (a few links, no writes), or -1: a prefetch hint only */
static int64_t peek_root(const int64_t *parent, int64_t i) {
    int k;
    if (i < 0 || parent[i] < 0) return -1;
    for (k = 0; k < 4 && parent[i] != i; k++) i = parent[i];
    return i;
}

static int solve(pprl_state *st, pprl_groups_args *g) {
    int64_t *parent = g->label;
    int64_t nw = g->deduplicated ? (g->n_parties + 63) / 64 : 0;
    double mt = g->merge_threshold;
    int64_t i, w;
    for (i = 0; i < g->n; i++) {
        int64_t pa = g->party_a[i], pb = g->party_b[i];
        int64_t x = record_id(g, pa, g->row_a[i]), y = record_id(g, pb, g->row_b[i]);
        int64_t gx, gy;
        if (i + PPRL_AHEAD < g->n) {
            int64_t u = record_id(g, g->party_a[i + PPRL_AHEAD], g->row_a[i + PPRL_AHEAD]);
            int64_t v = record_id(g, g->party_b[i + PPRL_AHEAD], g->row_b[i + PPRL_AHEAD]);
            if (u >= 0) PPRL_PREFETCH(parent + u);
            if (v >= 0) PPRL_PREFETCH(parent + v);
        }
        if (i + PPRL_AHEAD / 2 < g->n) {  /* roots of a nearer pair: their state, their slot */
            int64_t j = i + PPRL_AHEAD / 2;
            int64_t u = peek_root(parent, record_id(g, g->party_a[j], g->row_a[j]));
            int64_t v = peek_root(parent, record_id(g, g->party_b[j], g->row_b[j]));
            if (u >= 0) PPRL_PREFETCH(&SIZE(u));
            if (v >= 0) PPRL_PREFETCH(&SIZE(v));
            if (u >= 0 && v >= 0 && u != v) {
                uint64_t h = u < v ? pair_hash(u, v) : pair_hash(v, u);
                PPRL_PREFETCH(st->slot + (int64_t)(h & (uint64_t)(st->cap - 1)));
            }
        }
        if (x < 0 || y < 0) return PPRL_E_INDEX;
        if (x == y) continue;
        gx = parent[x] >= 0 ? find_root(parent, x) : -1;
        gy = parent[y] >= 0 ? find_root(parent, y) : -1;
        if (gx >= 0 && gy >= 0) {
            int64_t a, b, slot, seen;
            int clash = 0;
            if (gx == gy) continue;
            a = gx < gy ? gx : gy;
            b = gx < gy ? gy : gx;
            slot = table_find(st, a, b);
            seen = (slot >= 0 ? st->slot[slot].cnt : 0) + 1;
            for (w = 0; w < nw; w++) clash |= (MASK(gx)[w] & MASK(gy)[w]) != 0;
            if ((double)seen >= mt * (double)(SIZE(gx) * SIZE(gy)) && !clash) {
                int64_t s = SIZE(gx) < SIZE(gy) ? gy : gx;
                if (merge_roots(st, parent, nw, s, s == gx ? gy : gx) != PPRL_OK)
                    return PPRL_E_NOMEM;
            } else if (slot >= 0) {
                st->slot[slot].cnt = seen;
            } else if (pending_new(st, gx, gy, 1) != PPRL_OK) {
                return PPRL_E_NOMEM;
            }
            continue;
        }
        if (gx < 0 && gy >= 0) {  /* make x the grouped one */
            int64_t t = x; x = y; y = t;
            t = pa; pa = pb; pb = t;
            gx = gy;
        }
        if (gx >= 0) {  /* y met for the first time */
            int clash = nw && (MASK(gx)[pb / 64] >> (pb % 64)) & 1;
            if (1.0 >= mt * (double)SIZE(gx) && !clash) {
                parent[y] = gx;
                SIZE(gx)++;
                if (nw) MASK(gx)[pb / 64] |= (uint64_t)1 << (pb % 64);
            } else {
                parent[y] = y;
                SIZE(y) = 1;
                TAIL(y) = -1;
                if (nw) {
                    for (w = 0; w < nw; w++) MASK(y)[w] = 0;
                    MASK(y)[pb / 64] |= (uint64_t)1 << (pb % 64);
                }
                if (pending_new(st, y, gx, 1) != PPRL_OK) return PPRL_E_NOMEM;
            }
            continue;
        }
        if (nw && pa == pb) continue;  /* deduplicated: one party, never a group */
        parent[x] = x;
        parent[y] = x;
        SIZE(x) = 2;
        TAIL(x) = -1;
        if (nw) {
            for (w = 0; w < nw; w++) MASK(x)[w] = 0;
            MASK(x)[pa / 64] |= (uint64_t)1 << (pa % 64);
            MASK(x)[pb / 64] |= (uint64_t)1 << (pb % 64);
        }
    }
    return PPRL_OK;
}

/*
 * The result in canonical order: label[i] = the number of i's group, groups
 * numbered 0, 1, ... by their smallest record id, -1 for records in no group
 * of two or more; order[0..n_grouped) the grouped record ids by (group, id),
 * a counting sort (the root-state scratch holds the counts).
 */
static void collect(pprl_state *st, pprl_groups_args *g) {
    int64_t *label = g->label, i, n_groups = 0, n_grouped = 0;
    for (i = 0; i < g->n_records; i++)
        if (label[i] >= 0) label[i] = find_root(label, i);
    for (i = 0; i < g->n_records; i++) {  /* every link is now to a root: no more finds */
        int64_t r = label[i];
        if (r < 0) continue;
        if (SIZE(r) < 2) {
            label[i] = -1;
            continue;
        }
        if (TAIL(r) > -2) TAIL(r) = -2 - n_groups++;  /* r's number, given at first sight */
        label[i] = -2 - TAIL(r);
        n_grouped++;
    }
    for (i = 0; i < n_groups; i++) SIZE(i) = 0;
    for (i = 0; i < g->n_records; i++)
        if (label[i] >= 0) SIZE(label[i])++;
    {
        int64_t at = 0;
        for (i = 0; i < n_groups; i++) {
            int64_t c = SIZE(i);
            SIZE(i) = at;
            at += c;
        }
    }
    for (i = 0; i < g->n_records; i++)
        if (label[i] >= 0) g->order[SIZE(label[i])++] = i;
    g->n_groups = n_groups;
    g->n_grouped = n_grouped;
}

int pprl_solve_groups(pprl_groups_args *g) {
    pprl_state st;
    int64_t i;
    int rc;
    if (!g || g->n < 0 || g->n_parties < 0 || g->n_records < 0) return PPRL_E_ARG;
    if (!(g->merge_threshold >= 0.0)) return PPRL_E_ARG;  /* NaN too */
    g->n_groups = 0;
    g->n_grouped = 0;
    if (g->n_records == 0) return g->n == 0 ? PPRL_OK : PPRL_E_INDEX;
    if (!g->label || !g->order || !g->scratch || !g->offset) return PPRL_E_ARG;
    if (g->n && (!g->party_a || !g->row_a || !g->party_b || !g->row_b)) return PPRL_E_ARG;
    for (i = 0; i < g->n_records; i++) g->label[i] = -1;
    memset(&st, 0, sizeof st);
    st.root = g->scratch;
    st.stride = 2 + (g->deduplicated ? (g->n_parties + 63) / 64 : 0);
    if (table_init(&st, 1024) != PPRL_OK) return PPRL_E_NOMEM;
    st.node = (pprl_node *)malloc(1024 * sizeof(pprl_node));
    if (!st.node) {
        free(st.slot);
        return PPRL_E_NOMEM;
    }
    st.cap_node = 1024;
    rc = solve(&st, g);
    free(st.slot);
    free(st.node);
    if (rc != PPRL_OK) return rc;
    collect(&st, g);
    return PPRL_OK;
}
