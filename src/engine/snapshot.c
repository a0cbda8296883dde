/*
 * The snapshot a plan is built from (writer.h, fsi_snap): the tree breadth first, each directory's
 * children in ISO 9660 order, with their ISO 9660 names (names.c), and which imported files are
 * referenced where they are on the old medium (multisession).
 *
 * The ISO 9660 order is the image's order: the ECMA-119 path table order of the directories, the
 * depth-first order of the file data, the order of UDF's FEs and FIDs. Without ISO 9660 and Joliet
 * the children are in UTF-16 unit order of their names. The rules that refuse a tree for the
 * ECMA-119 hierarchies are checked as it is taken: a file over 2 GiB at level 1 or 2 whenever ISO
 * 9660 or Joliet is written (FSI_E_DATA_TOO_BIG naming both, as on Windows; level 3 writes it in
 * several extents, UDF alone takes any size), and in strict mode more than 8 levels or an ISO 9660
 * path over 255 characters (FSI_E_ISO9660_LEVELS; relaxed mode writes deeper trees as they are, as
 * genisoimage -D does, and readers accept them).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "writer.h"

/* The largest file in the ISO 9660 / Joliet trees at levels 1 and 2: Windows' ceiling (2 GiB
 * accepted, one byte more refused, UDF or not; docs/behaviour.md). Level 3 has no ceiling. */
#define ISO_FILE_MAX (UINT64_C(1) << 31)

typedef struct sort_ctx {
    const uint16_t *pool;
    const fsi_mapped *m;            /* by scratch index */
} sort_ctx;

static int iso_cmp(void *ctx, uint32_t a, uint32_t b)
{
    const sort_ctx *c = ctx;
    const fsi_mapped *x = &c->m[a], *y = &c->m[b];
    return fsi_ident_cmp(c->pool + x->off, x->len, x->name_len, c->pool + y->off, y->len, y->name_len);
}

/* UDF alone: children in UTF-16 unit order of their names (shorter first on a common prefix) */
static int raw_cmp(void *ctx, uint32_t a, uint32_t b)
{
    fsi_node *const *k = ctx;
    const fsi_node *x = k[a], *y = k[b];
    size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
    for (size_t i = 0; i < n; i++)
        if (x->name[i] != y->name[i])
            return x->name[i] < y->name[i] ? -1 : 1;
    return x->name_len < y->name_len ? -1 : x->name_len > y->name_len;
}

typedef struct scratch {
    fsi_node **k;                   /* a directory's children */
    fsi_mapped *m;                  /* their ISO 9660 names */
    uint32_t *idx;                  /* their order */
    size_t kcap, mcap, icap;
} scratch;

/* The file systems with ISO 9660 directory records (FSI_E_DATA_TOO_BIG names them together). */
static unsigned trees_fs(const fsi_snap *s) { return s->o->fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET); }

/* The file system a failure of the ECMA-119 trees is reported for. */
static unsigned main_fs(const fsi_snap *s)
{
    return s->o->fs & FSI_FS_ISO9660 ? FSI_FS_ISO9660 : s->o->fs & FSI_FS_JOLIET ? FSI_FS_JOLIET : FSI_FS_UDF;
}

/* Append the children of item h (k of them, sorted: idx[]) and check them. */
static fsi_status append(fsi_snap *s, size_t h, const scratch *sc, size_t k)
{
    int strict = s->o->strict, iso = (s->o->fs & FSI_FS_ISO9660) != 0;
    if (s->n + k > UINT32_MAX - 2)
        return FSI_E_IMAGE_TOO_BIG;
    if (!FSI_GROW(s->it, s->cap, s->n + k) || (s->trees && !FSI_GROW(s->iso, s->icap, s->n + k)))
        return FSI_E_NOMEM;
    const fsi_pitem *par = &s->it[h];
    for (size_t j = 0; j < k; j++) {
        size_t src = sc->idx[j];
        const fsi_node *c = sc->k[src];
        fsi_pitem *ci = &s->it[s->n];
        memset(ci, 0, sizeof *ci);
        ci->node = c;
        ci->parent = (uint32_t)h;
        ci->file = FSI_NONE;
        size_t ilen = 0;
        if (s->trees) {
            s->iso[s->n] = sc->m[src];
            ilen = sc->m[src].len;
        }
        s->n++;
        if (c->is_dir) {
            ci->level = par->level + 1;
            ci->plen = par->plen + 1 + (uint32_t)ilen;
            /* ECMA-119 6.8.2.1: at most 8 levels and 255-character paths */
            if (strict && s->trees && ci->level > 8)
                return fsi_fail(s->err, FSI_E_ISO9660_LEVELS, main_fs(s), c);
            if (strict && iso && ci->plen > 255)
                return fsi_fail(s->err, FSI_E_ISO9660_LEVELS, FSI_FS_ISO9660, c);
        } else if (strict && iso && par->plen + 1 + ilen + 2u > 255) {
            return fsi_fail(s->err, FSI_E_ISO9660_LEVELS, FSI_FS_ISO9660, c);
        }
    }
    return FSI_OK;
}

/* Breadth-first: appending each directory's children in order while visiting items in index order
 * gives the directories in path table order. */
static fsi_status collect(fsi_snap *s, const fsi_node *root)
{
    scratch sc = { 0 };
    fsi_status st = FSI_E_NOMEM;
    if (!FSI_GROW(s->it, s->cap, 1024) || (s->trees && !FSI_GROW(s->iso, s->icap, 1024)))
        goto out;
    memset(&s->it[0], 0, sizeof s->it[0]);
    s->it[0].node = root;
    s->it[0].level = 1;
    s->it[0].file = FSI_NONE;
    if (s->trees)
        memset(&s->iso[0], 0, sizeof s->iso[0]);
    s->n = 1;
    for (size_t h = 0; h < s->n; h++) {
        const fsi_node *d = s->it[h].node;
        if (!d->is_dir)
            continue;
        size_t k = 0;
        st = FSI_E_NOMEM;
        if (!FSI_GROW(sc.k, sc.kcap, d->u.d.nkids) || !FSI_GROW(sc.m, sc.mcap, d->u.d.nkids) ||
            !FSI_GROW(sc.idx, sc.icap, d->u.d.nkids))
            goto out;
        for (size_t i = 0; i < d->u.d.nkids; i++)
            if (d->u.d.kids[i])
                sc.k[k++] = d->u.d.kids[i];
        s->it[h].first = (uint32_t)s->n;
        s->it[h].nkids = (uint32_t)k;
        if (!k)
            continue;
        if (s->trees && s->level < 3)
            for (size_t i = 0; i < k; i++)
                if (!sc.k[i]->is_dir && sc.k[i]->u.f.size > ISO_FILE_MAX) {
                    st = fsi_fail(s->err, FSI_E_DATA_TOO_BIG, trees_fs(s), sc.k[i]);
                    goto out;
                }
        for (size_t i = 0; i < k; i++)
            sc.idx[i] = (uint32_t)i;
        if (s->trees) {
            size_t bad = 0;
            st = fsi_map_children(sc.k, k, FSI_FS_ISO9660, s->level, &s->pool, sc.m, &bad);
            if (st == FSI_E_NO_UNIQUE_NAME)
                st = fsi_fail(s->err, st, FSI_FS_ISO9660, sc.k[bad]);
            if (st)
                goto out;
            sort_ctx c = { s->pool.p, sc.m };
            st = fsi_sort_u32(sc.idx, k, iso_cmp, &c) ? FSI_OK : FSI_E_NOMEM;
        } else {
            st = fsi_sort_u32(sc.idx, k, raw_cmp, sc.k) ? FSI_OK : FSI_E_NOMEM;
        }
        if (st || (st = append(s, h, &sc, k)))
            goto out;
    }
    st = FSI_OK;
out:
    free(sc.k);
    free(sc.m);
    free(sc.idx);
    return st;
}

/* May a run of blocks [lba, lba + nb) of the old medium be referenced by the new session? */
static int run_reusable(const fsi_snap *s, uint64_t lba, uint64_t nb)
{
    const fsi_plan_opts *o = s->o;
    if (lba == FSI_HOLE || lba + nb > o->reuse_end || lba + nb < lba || lba < s->reuse_floor)
        return 0;
    if (o->base) {
        if (lba < s->head_end && lba + nb > 16)
            return 0;
        if (s->rewritten && lba <= s->rewritten && lba + nb > s->rewritten)
            return 0;
    }
    return 1;
}

/* The runs of a file's extents, contiguous ones merged, appended to s->rext: how many, or 0 when
 * the file cannot be referenced in place (-1 on out of memory). */
static int64_t runs_of(fsi_snap *s, const fsi_pitem *c)
{
    const fsi_node *n = c->node;
    size_t ne, first = s->nrext;
    int64_t runs = 0;
    const fsi_disc_extent *e = fsi_source_disc_extents(n->u.f.src, &ne);
    for (size_t k = 0; e && k < ne; k++) {
        if (!e[k].len)
            continue;
        if (e[k].lba == FSI_HOLE || (k + 1 < ne && e[k].len % FSI_BLOCK_SIZE))
            return 0;
        fsi_disc_extent *last = runs ? &s->rext[s->nrext - 1] : NULL;
        if (last && last->lba + last->len / FSI_BLOCK_SIZE == e[k].lba) {
            last->len += e[k].len;
            continue;
        }
        if (!FSI_GROW(s->rext, s->rcap, s->nrext + 1))
            return -1;
        s->rext[s->nrext++] = e[k];
        runs++;
    }
    uint64_t total = 0;
    for (size_t k = first; k < s->nrext; k++) {
        total += s->rext[k].len;
        if (!run_reusable(s, s->rext[k].lba, fsi_blocks_of(s->rext[k].len)))
            return 0;
    }
    /* in the ISO 9660 / Joliet trees below level 3 a file is one extent of < 4 GiB */
    if (s->trees && s->level < 3 && (runs != 1 || total > UINT32_MAX))
        return 0;
    if (total != n->u.f.size || runs > UINT32_MAX)
        return 0;
    return runs;
}

/* Multisession: imported files whose data can stay where it is get runs in s->rext instead of
 * blocks in this session (see fsi_plan_opts.reuse_end). */
static fsi_status decide_refs(fsi_snap *s)
{
    if (!s->o->reuse_end)
        return FSI_OK;
    for (size_t i = 1; i < s->n; i++) {
        fsi_pitem *c = &s->it[i];
        if (c->node->is_dir || !c->node->u.f.size)
            continue;
        size_t first = s->nrext;
        int64_t runs = runs_of(s, c);
        if (runs < 0)
            return FSI_E_NOMEM;
        if (!runs) {
            s->nrext = first;                   /* copied like any other file */
            continue;
        }
        c->ref_first = (uint32_t)first;
        c->ref_n = (uint32_t)runs;
    }
    return FSI_OK;
}

fsi_status fsi_snap_take(fsi_snap *s, const fsi_node *root)
{
    fsi_status st = collect(s, root);
    return st ? st : decide_refs(s);
}

void fsi_snap_free(fsi_snap *s)
{
    free(s->it);
    free(s->iso);
    fsi_pool_free(&s->pool);
    free(s->rext);
}
