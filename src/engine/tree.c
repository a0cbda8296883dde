/*
 * The item tree: reference-counted nodes, per-directory hash of children, incremental counts.
 *
 * Each directory keeps its children in insertion order in kids[] (detach leaves a hole, compacted
 * lazily, so detaching many children is not quadratic) and in an open addressing hash table of node
 * pointers (linear probing, backward-shift deletion) for O(1) lookups. Each directory also counts
 * the files and directories of its subtree, so attaching or detaching a subtree updates the image's
 * counts in O(depth).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

uint32_t fsi_name_hash(const uint16_t *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 16777619u;
    }
    return h;
}

/* ---- nodes ----------------------------------------------------------------------------------- */

static fsi_status check_name(const uint16_t *name, size_t len)
{
    if (!name || len == 0)
        return FSI_E_INVALID_PARAM;
    if (len > FSI_NAME_MAX)
        return FSI_E_INVALID_NAME;
    for (size_t i = 0; i < len; i++)
        if (name[i] == 0 || name[i] == '\\' || name[i] == '/')
            return FSI_E_INVALID_NAME;
    if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
        return FSI_E_INVALID_NAME;
    return FSI_OK;
}

static fsi_node *node_alloc(const uint16_t *name, size_t len, int is_dir)
{
    fsi_node *n = calloc(1, sizeof *n + len * sizeof(uint16_t));
    if (!n)
        return NULL;
    n->refs = 1;
    n->is_dir = (uint8_t)(is_dir != 0);
    n->name_len = (uint16_t)len;
    if (len)
        memcpy(n->name, name, len * sizeof(uint16_t));
    n->hash = fsi_name_hash(n->name, len);
    return n;
}

fsi_status fsi_node_new_dir(const uint16_t *name, size_t name_len, fsi_node **out)
{
    if (!out)
        return FSI_E_INVALID_PARAM;
    *out = NULL;
    fsi_status st = check_name(name, name_len);
    if (st)
        return st;
    fsi_node *n = node_alloc(name, name_len, 1);
    if (!n)
        return FSI_E_NOMEM;
    *out = n;
    return FSI_OK;
}

fsi_status fsi_node_new_file(const uint16_t *name, size_t name_len, uint64_t size, fsi_source *src,
                             fsi_node **out)
{
    if (!out)
        return FSI_E_INVALID_PARAM;
    *out = NULL;
    fsi_status st = check_name(name, name_len);
    if (st)
        return st;
    if (size > 0 && !src)
        return FSI_E_INVALID_PARAM;
    fsi_node *n = node_alloc(name, name_len, 0);
    if (!n)
        return FSI_E_NOMEM;
    n->u.f.size = size;
    n->u.f.src = src;                   /* kept even for an empty file; the plan ignores it */
    fsi_source_ref(src);
    *out = n;
    return FSI_OK;
}

void fsi_node_ref(fsi_node *n)
{
    if (n)
        __atomic_add_fetch(&n->refs, 1, __ATOMIC_RELAXED);
}

/* Free n (refs reached 0) and every descendant whose last reference was the tree's. Iterative: the
 * parent field of nodes waiting to be freed links them into a stack. */
static void node_destroy(fsi_node *n)
{
    fsi_node *stack = n;
    n->parent = NULL;
    while (stack) {
        fsi_node *x = stack;
        stack = x->parent;
        if (x->is_dir) {
            for (size_t i = 0; i < x->u.d.nkids; i++) {
                fsi_node *k = x->u.d.kids[i];
                if (!k)
                    continue;
                k->parent = NULL;
                if (__atomic_sub_fetch(&k->refs, 1, __ATOMIC_ACQ_REL) == 0) {
                    k->parent = stack;
                    stack = k;
                } else {
                    k->gone = 1;            /* someone holds it: it outlives its tree */
                }
            }
            free(x->u.d.kids);
            free(x->u.d.tab);
        } else {
            fsi_source_unref(x->u.f.src);
            fsi_node_free_streams(x);
        }
        free(x);
    }
}

void fsi_node_unref(fsi_node *n)
{
    if (n && __atomic_sub_fetch(&n->refs, 1, __ATOMIC_ACQ_REL) == 0)
        node_destroy(n);
}

/* ---- image ----------------------------------------------------------------------------------- */

fsi_image *fsi_image_new(void)
{
    fsi_image *img = malloc(sizeof *img);
    if (!img)
        return NULL;
    img->root = node_alloc(NULL, 0, 1);
    if (!img->root) {
        free(img);
        return NULL;
    }
    img->root->is_root = 1;
    return img;
}

void fsi_image_free(fsi_image *img)
{
    if (!img)
        return;
    fsi_node_unref(img->root);
    free(img);
}

fsi_node *fsi_image_root(fsi_image *img) { return img ? img->root : NULL; }
uint64_t fsi_image_file_count(const fsi_image *img) { return img ? img->root->u.d.sub_files : 0; }
uint64_t fsi_image_dir_count(const fsi_image *img) { return img ? img->root->u.d.sub_dirs : 0; }

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
    size_t ncap = d->u.d.kcap ? d->u.d.kcap : 4;
    while (ncap < (live + extra) * 2)
        ncap *= 2;
    if (ncap <= d->u.d.kcap)
        return 1;
    fsi_node **nk = realloc(d->u.d.kids, ncap * sizeof *nk);
    if (!nk)
        return live + extra <= d->u.d.kcap;
    d->u.d.kids = nk;
    d->u.d.kcap = ncap;
    return 1;
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

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 1;
    size_t ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(*p, ncap * elem);
    if (!np)
        return 0;
    *p = np;
    *cap = ncap;
    return 1;
}

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
    if (!grow((void **)&st, &stcap, 1, sizeof *st) || !grow((void **)&rv, &rvcap, 1, sizeof *rv))
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
            if (!grow((void **)&rv, &rvcap, nrv + 1, sizeof *rv) ||
                !grow((void **)&st, &stcap, sp + 1, sizeof *st))
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

int fsi_node_is_dir(const fsi_node *n) { return n && n->is_dir; }

int fsi_node_standing(const fsi_image *img, const fsi_node *n)
{
    if (!n)
        return -1;
    while (n->parent)
        n = n->parent;
    if (img && n == img->root)
        return 1;
    return n->gone || n->is_root ? -1 : 0;
}
fsi_node *fsi_node_parent(const fsi_node *n) { return n ? n->parent : NULL; }

const uint16_t *fsi_node_name(const fsi_node *n, size_t *len)
{
    if (len)
        *len = n ? n->name_len : 0;
    return n ? n->name : NULL;
}

size_t fsi_node_path(const fsi_node *n, uint16_t *buf, size_t cap)
{
    if (!n)
        return 0;
    size_t total = 0;
    for (const fsi_node *a = n; a; a = a->parent)
        if (!a->is_root)
            total += 1 + a->name_len;
    if (total == 0) {
        if (cap > 0)
            buf[0] = '\\';
        return 1;
    }
    size_t end = total;
    for (const fsi_node *a = n; a; a = a->parent) {
        if (a->is_root)
            continue;
        size_t start = end - a->name_len;
        for (size_t k = 0; k < a->name_len; k++)
            if (start + k < cap)
                buf[start + k] = a->name[k];
        if (start - 1 < cap)
            buf[start - 1] = '\\';
        end = start - 1;
    }
    return total;
}

uint64_t fsi_node_size(const fsi_node *n) { return (n && !n->is_dir) ? n->u.f.size : 0; }
fsi_source *fsi_node_source(const fsi_node *n) { return (n && !n->is_dir) ? n->u.f.src : NULL; }

void fsi_node_get_times(const fsi_node *n, fsi_times *t)
{
    if (n && t)
        *t = n->times;
}

void fsi_node_set_times(fsi_node *n, const fsi_times *t)
{
    if (n && t)
        n->times = *t;
}

int fsi_node_hidden(const fsi_node *n) { return n && n->hidden; }

void fsi_node_set_hidden(fsi_node *n, int hidden)
{
    if (n)
        n->hidden = (uint8_t)(hidden != 0);
}

/* ---- errors ---------------------------------------------------------------------------------- */

void fsi_err_clear(fsi_err *err)
{
    if (!err)
        return;
    err->code = FSI_OK;
    err->fs = 0;
    err->path_len = 0;
    err->expected = err->found = 0;
}

void fsi_err_set_path(fsi_err *err, fsi_status code, unsigned fs, const uint16_t *path, size_t len)
{
    if (!err)
        return;
    err->code = code;
    err->fs = fs;
    if (len > FSI_ERR_PATH_MAX)
        len = FSI_ERR_PATH_MAX;
    if (len)
        memcpy(err->path, path, len * sizeof(uint16_t));
    err->path_len = len;
}

void fsi_err_set(fsi_err *err, fsi_status code, unsigned fs, const fsi_node *n)
{
    if (!err)
        return;
    err->code = code;
    err->fs = fs;
    err->path_len = 0;
    if (n) {
        size_t l = fsi_node_path(n, err->path, FSI_ERR_PATH_MAX);
        err->path_len = l > FSI_ERR_PATH_MAX ? FSI_ERR_PATH_MAX : l;
    }
}

/* ---- small shared utilities ------------------------------------------------------------------ */

int fsi_pool_reserve(fsi_u16pool *pool, size_t extra)
{
    if (pool->len + extra <= pool->cap)
        return 1;
    size_t ncap = pool->cap ? pool->cap * 2 : 1024;
    while (ncap < pool->len + extra)
        ncap *= 2;
    uint16_t *np = realloc(pool->p, ncap * sizeof *np);
    if (!np)
        return 0;
    pool->p = np;
    pool->cap = ncap;
    return 1;
}

void fsi_pool_free(fsi_u16pool *pool)
{
    free(pool->p);
    pool->p = NULL;
    pool->len = pool->cap = 0;
}

int fsi_sort_u32(uint32_t *a, size_t n, fsi_cmp_fn cmp, void *ctx)
{
    if (n < 2)
        return 1;
    /* insertion sort for runs of 16, then bottom-up merges */
    const size_t run = 16;
    for (size_t lo = 0; lo < n; lo += run) {
        size_t hi = lo + run < n ? lo + run : n;
        for (size_t i = lo + 1; i < hi; i++) {
            uint32_t v = a[i];
            size_t j = i;
            while (j > lo && cmp(ctx, a[j - 1], v) > 0) {
                a[j] = a[j - 1];
                j--;
            }
            a[j] = v;
        }
    }
    if (n <= run)
        return 1;
    uint32_t *tmp = malloc(n * sizeof *tmp);
    if (!tmp)
        return 0;
    uint32_t *s = a, *d = tmp;
    for (size_t w = run; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = lo + w < n ? lo + w : n;
            size_t hi = lo + 2 * w < n ? lo + 2 * w : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                d[k++] = cmp(ctx, s[j], s[i]) < 0 ? s[j++] : s[i++];
            while (i < mid)
                d[k++] = s[i++];
            while (j < hi)
                d[k++] = s[j++];
        }
        uint32_t *t = s;
        s = d;
        d = t;
    }
    if (s != a)
        memcpy(a, s, n * sizeof *a);
    free(tmp);
    return 1;
}

fsi_status fsi_image_merge(fsi_image *img, fsi_node *dir, fsi_image *src)
{
    /* src's root becomes a detached directory merged at once; src gets a new, empty root */
    fsi_node *old = src->root, *fresh = node_alloc(NULL, 0, 1);
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
