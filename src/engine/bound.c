/*
 * An upper bound of an image's size for adding items one at a time (engine.h, fsi_size_bound;
 * docs/architecture.md "Size bound"): the size and slack of the last plan (fsi_plan_build keeps
 * them), plus what each item added since can add at most: each format's records and structures
 * (the writers' item_bound), its data and the alignment before it (plan.c's rule).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "writer.h"


void fsi_size_bound_start(fsi_size_bound *sb, const fsi_plan *p)
{
    sb->base = p->bound_base;
    sb->added = 0;
    sb->spread = p->bound_spread;
}

uint64_t fsi_size_bound_blocks(const fsi_size_bound *sb, uint64_t more)
{
    uint64_t t = (sb->base + sb->added + more + FSI_ONE - 1) / FSI_ONE;
    /* UDF 2.50+: the zeros that part the copies from their main ones take at most a ninth of the
     * image without them, and 104 blocks (udf.c, far apart; test_udf) */
    return sb->spread ? t + (t + 8) / 9 + 104 : t;
}

/* One item (not its children): every format's records and structures, its data. */
static uint64_t item_bound(const fsi_plan_opts *o, const fsi_node *n, int level)
{
    uint64_t u = 0, size = n->is_dir ? 0 : n->u.f.size;
    for (size_t i = 0; i < fsi_nwriters; i++)
        if (fsi_writers[i]->item_bound)
            u += fsi_writers[i]->item_bound(o, n, level);
    if (size)
        u += (fsi_blocks_of(size) + (size >= FSI_ALIGN_BIG ? 31 : size >= FSI_ALIGN_MIN ? 1 : 0)) * FSI_ONE;
    return u;
}

uint64_t fsi_add_bound(const fsi_plan_opts *o, const fsi_node *n)
{
    typedef struct frame { const fsi_node *d; size_t next; } frame;
    int level = o->fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET) ? o->iso_level : 3;
    uint64_t u = item_bound(o, n, level);
    size_t sp = 0, cap = 0;
    frame *st = NULL;
    if (!n->is_dir || !n->u.d.nkids)
        return u;
    if (!FSI_GROW(st, cap, 16))
        return UINT64_MAX / 4;                  /* no bound: the caller builds the exact plan */
    st[sp++] = (frame){ n, 0 };
    while (sp) {
        frame *f = &st[sp - 1];
        if (f->next == f->d->u.d.nkids) {
            sp--;
            continue;
        }
        const fsi_node *c = f->d->u.d.kids[f->next++];
        if (!c)
            continue;
        u += item_bound(o, c, level);
        if (c->is_dir) {
            if (!FSI_GROW(st, cap, sp + 1)) {
                free(st);
                return UINT64_MAX / 4;
            }
            st[sp++] = (frame){ c, 0 };
        }
    }
    free(st);
    return u;
}

uint64_t fsi_add_stream_bound(const fsi_plan_opts *o, const uint16_t *name, size_t name_len, uint64_t size)
{
    uint64_t u = 0;
    for (size_t i = 0; i < fsi_nwriters; i++)
        if (fsi_writers[i]->stream_bound)
            u += fsi_writers[i]->stream_bound(o, name, name_len, size);
    return u;
}
