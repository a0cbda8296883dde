/*
 * Joliet (Microsoft's "Joliet Specification", 1995): a supplementary volume descriptor (ECMA-119 8.5,
 * type 2, escape sequence %/E: UCS-2 level 3) and a second ECMA-119 hierarchy over the same items
 * and the same file data, with UCS-2 big-endian identifiers (names.c: up to 64 units, case kept).
 *
 * Layout (relative blocks): the SVD after the PVD (18 when an El Torito boot record takes 17); its
 * type L and M path tables after ISO 9660's; its directories after ISO 9660's, in its own path table
 * order. Each directory's records are in ECMA-119 9.3 order of the Joliet names, so the hierarchy is
 * numbered, measured and rendered in that order (iso9660.c does the work).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "writer.h"

typedef struct jol_writer {
    fsi_hier_writer hw;             /* first: the hierarchy's writer */
    fsi_u16pool pool;
    fsi_mapped *name;               /* by item */
    uint32_t *order;                /* the j-th child of d in Joliet order: order[d->first + j] */
} jol_writer;

typedef struct sort_ctx {
    const uint16_t *pool;
    const fsi_mapped *m;            /* by item */
} sort_ctx;

static int jol_cmp(void *ctx, uint32_t a, uint32_t b)
{
    const sort_ctx *c = ctx;
    const fsi_mapped *x = &c->m[a], *y = &c->m[b];
    return fsi_ident_cmp(c->pool + x->off, x->len, x->name_len, c->pool + y->off, y->len, y->name_len);
}

/* Every directory's children named (fsi_map_children) and put in Joliet order. */
static fsi_status name_all(jol_writer *x)
{
    const fsi_snap *s = x->hw.w.s;
    fsi_node **kids = NULL;
    fsi_mapped *m = NULL;
    size_t kcap = 0, mcap = 0;
    fsi_status st = FSI_E_NOMEM;
    x->name = calloc(s->n, sizeof *x->name);
    x->order = malloc(s->n * sizeof *x->order);
    if (!x->name || !x->order)
        goto out;
    for (size_t i = 0; i < s->n; i++) {
        const fsi_pitem *d = &s->it[i];
        if (!d->node->is_dir || !d->nkids)
            continue;
        st = FSI_E_NOMEM;
        if (!FSI_GROW(kids, kcap, d->nkids) || !FSI_GROW(m, mcap, d->nkids))
            goto out;
        for (uint32_t j = 0; j < d->nkids; j++)
            kids[j] = (fsi_node *)s->it[d->first + j].node;
        size_t bad = 0;
        st = fsi_map_children(kids, d->nkids, FSI_FS_JOLIET, s->level, &x->pool, m, &bad);
        if (st == FSI_E_NO_UNIQUE_NAME)
            st = fsi_fail(s->err, st, FSI_FS_JOLIET, kids[bad]);
        if (st)
            goto out;
        for (uint32_t j = 0; j < d->nkids; j++) {
            x->name[d->first + j] = m[j];
            x->order[d->first + j] = d->first + j;
        }
        sort_ctx c = { x->pool.p, x->name };
        if (!fsi_sort_u32(x->order + d->first, d->nkids, jol_cmp, &c)) {
            st = FSI_E_NOMEM;
            goto out;
        }
    }
    st = FSI_OK;
out:
    free(kids);
    free(m);
    return st;
}

static int jol_selected(const fsi_plan_opts *o) { return (o->fs & FSI_FS_JOLIET) != 0; }

static fsi_writer *jol_create(const fsi_snap *s)
{
    jol_writer *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->hw.h.s = s;
    x->hw.h.joliet = 1;
    x->hw.h.fs = FSI_FS_JOLIET;
    x->hw.h.pool = &x->pool;
    return &x->hw.w;
}

static fsi_status jol_check(fsi_writer *w)
{
    jol_writer *x = (jol_writer *)w;
    fsi_status st = name_all(x);
    x->hw.h.name = x->name;
    x->hw.h.order = x->order;
    if (!st)
        st = fsi_hier_number(&x->hw.h, FSI_FS_JOLIET);
    return st ? st : fsi_hier_measure(&x->hw.h);
}

static uint64_t jol_item_bound(const fsi_plan_opts *o, const fsi_node *n, int level)
{
    if (!jol_selected(o))
        return 0;
    size_t jl = n->name_len < FSI_JOLIET_MAX ? n->name_len : FSI_JOLIET_MAX;
    uint64_t parts = fsi_hier_parts(level, n->is_dir ? 0 : n->u.f.size);
    return fsi_hier_item_bound(1, level, parts, fsi_dirrec_len(2 * jl + (n->is_dir ? 0 : 4)),
                               fsi_pathrec_len(2 * jl), n->is_dir);
}

static void jol_free(fsi_writer *w)
{
    jol_writer *x = (jol_writer *)w;
    fsi_hier_free(&x->hw.h);
    fsi_pool_free(&x->pool);
    free(x->name);
    free(x->order);
    free(x);
}

const fsi_writer_ops fsi_joliet_writer = {
    .name = "Joliet",
    .selected = jol_selected,
    .create = jol_create,
    .check = jol_check,
    .reserve = fsi_hier_reserve,
    .render = fsi_hier_render,
    .slack = fsi_hier_slack,
    .item_bound = jol_item_bound,
    .free = jol_free,
};
