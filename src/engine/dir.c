/*
 * A directory's children: insertion order, lookup by name, counts, attaching, detaching, merging.
 *
 * Each directory keeps its children in insertion order in kids[] (detach leaves a hole, compacted
 * lazily, so detaching many children is not quadratic) and in an open addressing hash table of node
 * pointers (linear probing, backward-shift deletion) for O(1) lookups. Each directory also counts
 * the files and directories of its subtree, so attaching or detaching a subtree updates the image's
 * counts in O(depth). fsi_dir_merge (AddTree) reserves everything first, so it either fully happens
 * or not at all.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

/* ---- children: hash table -------------------------------------------------------------------- */

static fsi_node *tab_find(const fsi_node *d, const uint16_t *name, size_t len, uint32_t h)
{
    if (!d->u.d.tab)
        return NULL;
    size_t mask = d->u.d.tcap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        fsi_node *n = d->u.d.tab[i];
        if (!n)
            return NULL;
        if (n->hash == h && n->name_len == len && memcmp(n->name, name, len * sizeof(uint16_t)) == 0)
            return n;
    }
}

/* Capacity must have been reserved. */
static void tab_insert(fsi_node *d, fsi_node *n)
{
    size_t mask = d->u.d.tcap - 1;
    size_t i = n->hash & mask;
    while (d->u.d.tab[i])
        i = (i + 1) & mask;
    d->u.d.tab[i] = n;
    d->u.d.tcount++;
}

static void tab_remove(fsi_node *d, fsi_node *n)
{
    size_t mask = d->u.d.tcap - 1;
    fsi_node **t = d->u.d.tab;
    size_t i = n->hash & mask;
    while (t[i] != n) {
        if (!t[i])
            return;                 /* not present (cannot happen) */
        i = (i + 1) & mask;
    }
    /* backward-shift deletion */
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!t[j])
            break;
        size_t k = t[j]->hash & mask;
        /* t[j] may move into the hole at i if its home k is not cyclically within (i, j] */
        int in_range = (i <= j) ? (i < k && k <= j) : (i < k || k <= j);
        if (in_range)
            continue;
        t[i] = t[j];
        i = j;
    }
    t[i] = NULL;
    d->u.d.tcount--;
}

/* Make room for count entries at load <= 1/2. No change on failure. */
static int tab_reserve(fsi_node *d, size_t count)
{
    size_t cap = d->u.d.tcap;
    if (cap && count * 2 <= cap)
        return 1;
    size_t ncap = cap ? cap : 8;
    while (ncap < count * 2)
        ncap *= 2;
    fsi_node **nt = calloc(ncap, sizeof *nt);
    if (!nt)
        return 0;
    size_t mask = ncap - 1;
    for (size_t i = 0; i < cap; i++) {
        fsi_node *n = d->u.d.tab[i];
        if (!n)
            continue;
        size_t j = n->hash & mask;
        while (nt[j])
            j = (j + 1) & mask;
        nt[j] = n;
    }
    free(d->u.d.tab);
    d->u.d.tab = nt;
    d->u.d.tcap = ncap;
    return 1;
}

/* ---- children: insertion-ordered array ------------------------------------------------------- */

static void kids_compact(fsi_node *d)
{
    if (!d->u.d.holes)
        return;
    size_t o = 0;
    for (size_t i = 0; i < d->u.d.nkids; i++) {
        fsi_node *k = d->u.d.kids[i];
        if (!k)
            continue;
        k->slot = o;
        d->u.d.kids[o++] = k;
    }
    d->u.d.nkids = o;
    d->u.d.holes = 0;
}

/* Room for extra appended children. Compacts (not a semantic change) and grows geometrically, so
 * that after a compaction at least half of the array is free (amortised O(1)). */
static int kids_reserve(fsi_node *d, size_t extra)
{
    if (d->u.d.nkids + extra <= d->u.d.kcap)
        return 1;
    kids_compact(d);
    size_t live = d->u.d.nkids;
    if (live + extra <= d->u.d.kcap && (live + extra) * 2 <= d->u.d.kcap)
        return 1;
    return FSI_GROW(d->u.d.kids, d->u.d.kcap, (live + extra) * 2) || live + extra <= d->u.d.kcap;
}

static void totals(const fsi_node *c, uint64_t *files, uint64_t *dirs)
{
    if (c->is_dir) {
        *files = c->u.d.sub_files;
        *dirs = c->u.d.sub_dirs + 1;
    } else {
        *files = 1;
        *dirs = 0;
    }
}

/* Add (sign > 0) or subtract the totals of c to d and all its ancestors. */
static void counts_update(fsi_node *d, const fsi_node *c, int sign)
{
    uint64_t f, dd;
    totals(c, &f, &dd);
    if (sign < 0) {
        f = (uint64_t)0 - f;
        dd = (uint64_t)0 - dd;
    }
    for (; d; d = d->parent) {
        d->u.d.sub_files += f;
        d->u.d.sub_dirs += dd;
    }
}

/* Append c (detached) to d; room must have been reserved in kids and tab. */
static void link_child(fsi_node *d, fsi_node *c)
{
    c->gone = 0;
    c->parent = d;
    c->slot = d->u.d.nkids;
    d->u.d.kids[d->u.d.nkids++] = c;
    tab_insert(d, c);
    counts_update(d, c, +1);
}

/* Put c (detached) in place of e (a child of d); no allocation. The tree's reference to e is
 * transferred to nobody: e is unreferenced. */
static void replace_child(fsi_node *d, fsi_node *e, fsi_node *c)
{
    counts_update(d, e, -1);
    tab_remove(d, e);
    c->gone = 0;
    c->parent = d;
    c->slot = e->slot;
    d->u.d.kids[e->slot] = c;
    tab_insert(d, c);
    counts_update(d, c, +1);
    e->parent = NULL;
    e->gone = 1;
    fsi_node_unref(e);
}

static void unlink_child(fsi_node *d, fsi_node *c)
{
    counts_update(d, c, -1);
    tab_remove(d, c);
    d->u.d.kids[c->slot] = NULL;
    d->u.d.holes++;
    c->parent = NULL;
    c->gone = 1;
}

fsi_status fsi_dir_attach(fsi_image *img, fsi_node *dir, fsi_node *child, int replace)
{
    (void)img;
    if (!dir || !child)
        return FSI_E_INVALID_PARAM;
    if (!dir->is_dir)
        return FSI_E_NOT_DIR;
    if (child->parent || child->is_root)
        return FSI_E_INVALID_PARAM;
    for (const fsi_node *a = dir; a; a = a->parent)
        if (a == child)
            return FSI_E_INVALID_PARAM;     /* would make a cycle */
    fsi_node *e = tab_find(dir, child->name, child->name_len, child->hash);
    if (e) {
        if (!replace)
            return FSI_E_DUP_NAME;
        fsi_node_ref(child);
        replace_child(dir, e, child);
        return FSI_OK;
    }
    if (!tab_reserve(dir, dir->u.d.tcount + 1) || !kids_reserve(dir, 1))
        return FSI_E_NOMEM;
    fsi_node_ref(child);
    link_child(dir, child);
    return FSI_OK;
}

void fsi_node_detach(fsi_image *img, fsi_node *n)
{
    (void)img;
    if (!n || !n->parent)
        return;
    unlink_child(n->parent, n);
    fsi_node_unref(n);
}

/* ---- merge ----------------------------------------------------------------------------------- */

typedef struct merge_frame {
    fsi_node *dst, *src;
    size_t next;
    size_t resv;                    /* index into the reservation list */
} merge_frame;

typedef struct merge_resv {
    fsi_node *dst;
    size_t add;                     /* children appended to dst */
} merge_resv;

fsi_status fsi_dir_merge(fsi_image *img, fsi_node *dir, fsi_node *src)
{
    (void)img;
    if (!dir || !src)
        return FSI_E_INVALID_PARAM;
    if (!dir->is_dir || !src->is_dir)
        return FSI_E_NOT_DIR;
    if (src->parent || src->is_root)
        return FSI_E_INVALID_PARAM;
    for (const fsi_node *a = dir; a; a = a->parent)
        if (a == src)
            return FSI_E_INVALID_PARAM;

    merge_frame *st = NULL;
    size_t stcap = 0, sp = 0;
    merge_resv *rv = NULL;
    size_t rvcap = 0, nrv = 0;
    fsi_status ret = FSI_E_NOMEM;

    /* Pass 1 (read only): how many children each destination directory gains. */
    if (!FSI_GROW(st, stcap, 1) || !FSI_GROW(rv, rvcap, 1))
        goto out;
    rv[nrv++] = (merge_resv){ dir, 0 };
    st[sp++] = (merge_frame){ dir, src, 0, 0 };
    while (sp) {
        merge_frame *f = &st[sp - 1];
        if (f->next == f->src->u.d.nkids) {
            sp--;
            continue;
        }
        fsi_node *c = f->src->u.d.kids[f->next++];
        if (!c)
            continue;
        fsi_node *e = tab_find(f->dst, c->name, c->name_len, c->hash);
        if (!e) {
            rv[f->resv].add++;
        } else if (e->is_dir && c->is_dir) {
            size_t r = nrv;
            if (!FSI_GROW(rv, rvcap, nrv + 1) || !FSI_GROW(st, stcap, sp + 1))
                goto out;
            rv[nrv++] = (merge_resv){ e, 0 };
            st[sp++] = (merge_frame){ e, c, 0, r };
        }
    }

    /* Pass 2: reserve (growing arrays does not change the tree's contents). */
    for (size_t i = 0; i < nrv; i++) {
        fsi_node *d = rv[i].dst;
        if (!rv[i].add)
            continue;
        if (!tab_reserve(d, d->u.d.tcount + rv[i].add) || !kids_reserve(d, rv[i].add))
            goto out;
    }

    /* Pass 3: move; cannot fail. */
    sp = 0;
    st[sp++] = (merge_frame){ dir, src, 0, 0 };
    while (sp) {
        merge_frame *f = &st[sp - 1];
        if (f->next == f->src->u.d.nkids) {
            fsi_node *s = f->src;
            /* s is now empty: only holes remain */
            s->u.d.nkids = 0;
            s->u.d.holes = 0;
            if (s->u.d.tab)
                memset(s->u.d.tab, 0, s->u.d.tcap * sizeof *s->u.d.tab);
            s->u.d.tcount = 0;
            sp--;
            if (sp) {
                /* s was a directory of the source merged into an existing one: drop it */
                fsi_node *ps = st[sp - 1].src;
                counts_update(ps, s, -1);
                ps->u.d.kids[s->slot] = NULL;
                s->parent = NULL;
                fsi_node_unref(s);
            }
            continue;
        }
        fsi_node *c = f->src->u.d.kids[f->next++];
        if (!c)
            continue;
        fsi_node *e = tab_find(f->dst, c->name, c->name_len, c->hash);
        if (e && e->is_dir && c->is_dir) {
            st[sp++] = (merge_frame){ e, c, 0, 0 };
            continue;
        }
        /* move c from the source (its reference moves with it) */
        counts_update(f->src, c, -1);
        f->src->u.d.kids[c->slot] = NULL;
        c->parent = NULL;
        if (e)
            replace_child(f->dst, e, c);
        else
            link_child(f->dst, c);
    }
    src->u.d.sub_files = 0;
    src->u.d.sub_dirs = 0;
    ret = FSI_OK;
out:
    free(st);
    free(rv);
    return ret;
}

/* ---- queries --------------------------------------------------------------------------------- */

fsi_node *fsi_dir_lookup(const fsi_node *dir, const uint16_t *name, size_t name_len)
{
    if (!dir || !dir->is_dir || !name)
        return NULL;
    return tab_find(dir, name, name_len, fsi_name_hash(name, name_len));
}

fsi_status fsi_dir_walk(const fsi_node *dir, const uint16_t *path, size_t path_len, fsi_node **out)
{
    if (!dir || !out || (!path && path_len))
        return FSI_E_INVALID_PARAM;
    *out = NULL;
    const fsi_node *cur = dir;
    size_t i = 0;
    while (i < path_len) {
        if (path[i] == '\\' || path[i] == '/') {
            i++;
            continue;
        }
        size_t j = i;
        while (j < path_len && path[j] != '\\' && path[j] != '/')
            j++;
        if (!cur->is_dir)
            return FSI_E_NOT_DIR;
        fsi_node *n = fsi_dir_lookup(cur, path + i, j - i);
        if (!n)
            return FSI_E_NOT_FOUND;
        cur = n;
        i = j;
    }
    *out = (fsi_node *)cur;
    return FSI_OK;
}

size_t fsi_dir_child_count(const fsi_node *dir)
{
    if (!dir || !dir->is_dir)
        return 0;
    return dir->u.d.nkids - dir->u.d.holes;
}

fsi_node *fsi_dir_child(const fsi_node *dir, size_t index)
{
    if (!dir || !dir->is_dir)
        return NULL;
    /* The image is serialised by the caller (engine.h), so compacting here is safe. */
    kids_compact((fsi_node *)dir);
    return index < dir->u.d.nkids ? dir->u.d.kids[index] : NULL;
}

fsi_status fsi_image_merge(fsi_image *img, fsi_node *dir, fsi_image *src)
{
    /* src's root becomes a detached directory merged at once; src gets a new, empty root */
    fsi_node *old = src->root, *fresh = fsi_node_alloc(NULL, 0, 1);
    fsi_status st;
    if (!fresh)
        return FSI_E_NOMEM;
    old->is_root = 0;
    st = fsi_dir_merge(img, dir, old);
    if (st != FSI_OK) {
        old->is_root = 1;
        fsi_node_unref(fresh);
        return st;
    }
    fresh->is_root = 1;
    fresh->times = old->times;
    src->root = fresh;
    fsi_node_unref(old);
    return FSI_OK;
}
