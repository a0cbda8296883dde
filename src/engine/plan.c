/*
 * Layout planning: snapshot the tree, map names, order directories (ECMA-119 6.9.1 / 9.3), assign
 * every block of the image and render all metadata into memory.
 *
 * Image layout (relative blocks, every LBA written is session_start + relative block):
 *   0..15            system area (zero)
 *   16               primary volume descriptor (always: readers need it; it holds the ISO tree)
 *   17               Joliet supplementary volume descriptor (if Joliet)
 *   next             volume descriptor set terminator
 *   path tables      ISO L, ISO M, Joliet L, Joliet M, each from a block boundary
 *   directories      all ISO directories in path table order, then all Joliet directories
 *   file data        files in depth-first order of the ISO-sorted tree, each from a block boundary;
 *                    ISO and Joliet records of a file share its extent. Empty files have none. A
 *                    file of ALIGN_MIN bytes or more starts on an even absolute block (a 4 KiB
 *                    boundary of the image; one zero block before it at most), one of ALIGN_BIG
 *                    bytes or more on a multiple of 32 blocks (a 64 KiB boundary; at most 31 zero
 *                    blocks, under 0.8 % of the file). Its pages then line up with those of an
 *                    image file, so that a front end can have the kernel copy it whole
 *                    (copy_file_range) into large page-cache folios (docs/benchmarks.md).
 *
 * With UDF the volume recognition sequence, the UDF volume structures and the UDF metadata are
 * added around these (see the top of udf.c for the whole layout); without ISO 9660 and Joliet
 * there are no ISO descriptors, path tables or directories. A file of more than 2 GiB at ISO level
 * 1 or 2 is an error whenever ISO 9660 or Joliet is written (FSI_E_DATA_TOO_BIG naming both), as on
 * Windows; level 3 writes it in several extents, UDF alone takes any size.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

#define PART_BYTES UINT64_C(0xFFFFF800)     /* multi-extent part size (level 3) */
#define PART_BLOCKS (uint32_t)(PART_BYTES / FSI_BLOCK_SIZE)
#define NONE FSI_NONE
#define ALIGN_MIN (UINT64_C(1) << 20)       /* files this large start on an even block */
#define ALIGN_BIG (UINT64_C(8) << 20)       /* files this large on a multiple of 32 blocks */
/* The largest file in the ISO 9660 / Joliet trees at levels 1 and 2: Windows' ceiling (2 GiB
 * accepted, one byte more refused, UDF or not; docs/behaviour.md). Level 3 has no ceiling. */
#define ISO_FILE_MAX (UINT64_C(1) << 31)

typedef fsi_pitem pitem;
typedef fsi_builder builder;

static const uint16_t META_DESC[] = { 'F', 'i', 'l', 'e', ' ', 's', 'y', 's', 't', 'e', 'm', ' ',
                                      'm', 'e', 't', 'a', 'd', 'a', 't', 'a' };

static const uint16_t BOOT_DESC[] = { 'E', 'l', ' ', 'T', 'o', 'r', 'i', 't', 'o', ' ', 'b', 'o', 'o', 't', ' ',
                                      'i', 'm', 'a', 'g', 'e' };

static unsigned main_fs(const builder *b)
{
    return b->iso_sel ? FSI_FS_ISO9660 : b->jol_sel ? FSI_FS_JOLIET : FSI_FS_UDF;
}

static int isoj(const builder *b) { return b->iso_sel || b->jol_sel; }

/* The file systems with ISO 9660 directory records (FSI_E_DATA_TOO_BIG names them together). */
static unsigned trees_fs(const builder *b)
{
    return (b->iso_sel ? FSI_FS_ISO9660 : 0) | (b->jol_sel ? FSI_FS_JOLIET : 0);
}

static uint64_t file_parts(const builder *b, uint64_t size)
{
    if (b->level == 3 && size > UINT32_MAX)
        return (size + PART_BYTES - 1) / PART_BYTES;
    return 1;
}

static uint64_t blocks_of(uint64_t bytes) { return (bytes + FSI_BLOCK_SIZE - 1) / FSI_BLOCK_SIZE; }

typedef struct sort_ctx {
    const uint16_t *pool;
    const fsi_mapped *m;            /* by scratch index */
    const pitem *it;                /* by item index (Joliet sort) */
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

static int jol_cmp(void *ctx, uint32_t a, uint32_t b)
{
    const sort_ctx *c = ctx;
    const pitem *x = &c->it[a], *y = &c->it[b];
    return fsi_ident_cmp(c->pool + x->jol_off, x->jol_len, x->jol_nlen, c->pool + y->jol_off, y->jol_len,
                         y->jol_nlen);
}

static fsi_status fail(builder *b, fsi_status st, unsigned fs, const fsi_node *n)
{
    fsi_err_set(b->err, st, fs, n);
    return st;
}

static int scratch(builder *b, size_t k)
{
    if (k <= b->kcap)
        return 1;
    size_t c = b->kcap ? b->kcap : 64;
    while (c < k)
        c *= 2;
    fsi_node **nk = realloc(b->k, c * sizeof *nk);
    if (nk)
        b->k = nk;
    fsi_mapped *nmu = realloc(b->mu, c * sizeof *nmu);
    if (nmu)
        b->mu = nmu;
    fsi_mapped *nmi = realloc(b->mi, c * sizeof *nmi);
    if (nmi)
        b->mi = nmi;
    fsi_mapped *nmj = realloc(b->mj, c * sizeof *nmj);
    if (nmj)
        b->mj = nmj;
    uint32_t *ni = realloc(b->idx, c * sizeof *ni);
    if (ni)
        b->idx = ni;
    if (!nk || !nmu || !nmi || !nmj || !ni)
        return 0;
    b->kcap = c;
    return 1;
}

/* Phase A: breadth-first snapshot. Appending each directory's children in ISO order while visiting
 * items in index order yields the directories in ISO path table order (6.9.1: by level, then parent
 * number, then identifier). Files left out of the ISO trees follow their directory's ISO children;
 * without ISO 9660 and Joliet the children are in name order. */
static fsi_status collect(builder *b, const fsi_node *root)
{
    b->cap = 1024;
    b->it = malloc(b->cap * sizeof *b->it);
    if (!b->it)
        return FSI_E_NOMEM;
    memset(&b->it[0], 0, sizeof b->it[0]);
    b->it[0].node = root;
    b->it[0].level = 1;
    b->it[0].file = NONE;
    b->n = 1;
    unsigned mfs = main_fs(b);
    int trees = isoj(b);
    for (size_t h = 0; h < b->n; h++) {
        const fsi_node *d = b->it[h].node;
        if (!d->is_dir)
            continue;
        size_t k = 0;
        if (!scratch(b, d->u.d.nkids))
            return FSI_E_NOMEM;
        for (size_t i = 0; i < d->u.d.nkids; i++)
            if (d->u.d.kids[i])
                b->k[k++] = d->u.d.kids[i];
        b->it[h].first = (uint32_t)b->n;
        b->it[h].nkids = (uint32_t)k;
        b->it[h].niso = 0;
        b->it[h].jfirst = (uint32_t)b->njo;
        if (!k)
            continue;
        /* ke: children in the ISO 9660 / Joliet trees: all of them when those are written (a file
         * over Windows' 2 GiB ceiling at level 1 or 2 refuses the image instead) */
        size_t ke = trees ? k : 0;
        if (trees && b->level < 3)
            for (size_t i = 0; i < k; i++)
                if (!b->k[i]->is_dir && b->k[i]->u.f.size > ISO_FILE_MAX)
                    return fail(b, FSI_E_DATA_TOO_BIG, trees_fs(b), b->k[i]);
        size_t bad = 0;
        fsi_status st;
        if (ke) {
            st = fsi_map_children(b->k, ke, FSI_FS_ISO9660, b->level, &b->ipool, b->mi, &bad);
            if (st == FSI_E_NO_UNIQUE_NAME)
                return fail(b, st, FSI_FS_ISO9660, b->k[bad]);
            if (st)
                return st;
            if (b->jol_sel) {
                st = fsi_map_children(b->k, ke, FSI_FS_JOLIET, b->level, &b->jpool, b->mj, &bad);
                if (st == FSI_E_NO_UNIQUE_NAME)
                    return fail(b, st, FSI_FS_JOLIET, b->k[bad]);
                if (st)
                    return st;
            }
        }
        for (size_t i = 0; i < k; i++)
            b->idx[i] = (uint32_t)i;
        if (trees) {
            sort_ctx sc = { b->ipool.p, b->mi, NULL };
            if (!fsi_sort_u32(b->idx, ke, iso_cmp, &sc))
                return FSI_E_NOMEM;
        } else if (!fsi_sort_u32(b->idx, k, raw_cmp, b->k)) {
            return FSI_E_NOMEM;
        }
        int udf_mapped = b->udf_sel && fsi_udf_names_mapped(b->k, k);
        if (udf_mapped) {
            st = fsi_map_children(b->k, k, FSI_FS_UDF, 0, &b->upool, b->mu, &bad);
            if (st == FSI_E_NO_UNIQUE_NAME)
                return fail(b, st, FSI_FS_UDF, b->k[bad]);
            if (st)
                return st;
        }
        if (b->n + k > UINT32_MAX - 2)
            return FSI_E_IMAGE_TOO_BIG;
        if (b->n + k > b->cap) {
            size_t nc = b->cap * 2;
            while (nc < b->n + k)
                nc *= 2;
            pitem *ni = realloc(b->it, nc * sizeof *ni);
            if (!ni)
                return FSI_E_NOMEM;
            b->it = ni;
            b->cap = nc;
        }
        const pitem *par = &b->it[h];
        int strict = b->o->strict;
        for (size_t j = 0; j < k; j++) {
            size_t src = b->idx[j];
            const fsi_node *c = b->k[src];
            pitem *ci = &b->it[b->n++];
            memset(ci, 0, sizeof *ci);
            ci->node = c;
            ci->parent = (uint32_t)h;
            if (j < ke) {
                ci->iso_off = b->mi[src].off;
                ci->iso_len = b->mi[src].len;
                ci->iso_nlen = b->mi[src].name_len;
                if (b->jol_sel) {
                    ci->jol_off = b->mj[src].off;
                    ci->jol_len = b->mj[src].len;
                    ci->jol_nlen = b->mj[src].name_len;
                }
            }
            if (udf_mapped) {
                ci->udf_off = b->mu[src].off;
                ci->udf_len = b->mu[src].len;
            }
            ci->file = NONE;
            if (c->is_dir) {
                ci->level = par->level + 1;
                ci->plen = par->plen + 1 + ci->iso_len;
                /* ECMA-119 6.8.2.1: at most 8 levels and 255-character paths. Relaxed mode writes
                 * deeper trees as they are (as genisoimage -D does); readers accept them. */
                if (strict && trees && ci->level > 8)
                    return fail(b, FSI_E_ISO9660_LEVELS, mfs, c);
                if (strict && b->iso_sel && ci->plen > 255)
                    return fail(b, FSI_E_ISO9660_LEVELS, FSI_FS_ISO9660, c);
            } else {
                uint64_t size = c->u.f.size;
                if (strict && b->iso_sel && j < ke && par->plen + 1 + ci->iso_len + 2u > 255)
                    return fail(b, FSI_E_ISO9660_LEVELS, FSI_FS_ISO9660, c);
                if (size > 0)
                    b->nfiles++;
            }
        }
        b->it[h].niso = (uint32_t)ke;
        if (b->jol_sel && ke) {
            uint32_t *nj = realloc(b->jorder, (b->njo + ke) * sizeof *nj);
            if (!nj)
                return FSI_E_NOMEM;
            b->jorder = nj;
            uint32_t first = b->it[h].first;
            for (size_t j = 0; j < ke; j++)
                b->jorder[b->njo + j] = first + (uint32_t)j;
            sort_ctx jc = { b->jpool.p, NULL, b->it };
            if (!fsi_sort_u32(b->jorder + b->njo, ke, jol_cmp, &jc))
                return FSI_E_NOMEM;
            b->njo += ke;
        }
    }
    return FSI_OK;
}

/* Blocks of the new session's volume recognition area from block 16: ISO 9660 descriptors (PVD,
 * boot record, Joliet SVD, terminator) and the UDF sequence (BEA01, NSR, TEA01). */
static uint32_t head_blocks(const builder *b)
{
    uint32_t n = 0;
    if (isoj(b) || b->boot.n)
        n += 2 + (b->boot.n ? 1 : 0) + (b->jol_sel ? 1 : 0);
    if (b->udf_sel)
        n += 3;
    return n;
}

/* May a run of blocks [lba, lba + nb) of the old medium be referenced by the new session? */
static int run_reusable(const builder *b, uint64_t lba, uint64_t nb)
{
    const fsi_plan_opts *o = b->o;
    if (lba == FSI_HOLE || lba + nb > o->reuse_end || lba + nb < lba)
        return 0;
    if (b->udf_sel && lba < 32)
        return 0;                               /* the UDF partition starts on a 32-block boundary */
    if (o->base) {
        if (lba < b->head_end && lba + nb > 16)
            return 0;
        if (b->udf_sel && lba <= 256 && lba + nb > 256)
            return 0;
    }
    return 1;
}

/* Multisession: imported files whose data can stay where it is get runs in b->rext instead of
 * blocks in this session (see fsi_plan_opts.reuse_end). Contiguous extents are merged. */
static fsi_status decide_refs(builder *b)
{
    if (!b->o->reuse_end)
        return FSI_OK;
    for (size_t i = 1; i < b->n; i++) {
        pitem *c = &b->it[i];
        const fsi_node *n = c->node;
        if (n->is_dir || !n->u.f.size)
            continue;
        size_t ne;
        const fsi_disc_extent *e = fsi_source_disc_extents(n->u.f.src, &ne);
        if (!e)
            continue;
        size_t first = b->nrext, runs = 0;
        int ok = 1;
        for (size_t k = 0; k < ne && ok; k++) {
            if (!e[k].len)
                continue;
            if (e[k].lba == FSI_HOLE || (k + 1 < ne && e[k].len % FSI_BLOCK_SIZE)) {
                ok = 0;
                break;
            }
            if (runs && b->rext[b->nrext - 1].lba + b->rext[b->nrext - 1].len / FSI_BLOCK_SIZE == e[k].lba) {
                b->rext[b->nrext - 1].len += e[k].len;
                continue;
            }
            if (b->nrext == b->rcap) {
                size_t nc = b->rcap ? b->rcap * 2 : 64;
                fsi_disc_extent *nr = realloc(b->rext, nc * sizeof *nr);
                if (!nr)
                    return FSI_E_NOMEM;
                b->rext = nr;
                b->rcap = nc;
            }
            b->rext[b->nrext++] = e[k];
            runs++;
        }
        uint64_t total = 0;
        for (size_t k = first; ok && k < b->nrext; k++) {
            total += b->rext[k].len;
            ok = run_reusable(b, b->rext[k].lba, blocks_of(b->rext[k].len));
        }
        /* in the ISO 9660 / Joliet trees below level 3 a file is one extent of < 4 GiB */
        const pitem *par = &b->it[c->parent];
        int in_iso = isoj(b) && i - par->first < par->niso;
        if (ok && in_iso && b->level < 3 && (runs != 1 || total > UINT32_MAX))
            ok = 0;
        if (!ok || !runs || total != n->u.f.size || runs > UINT32_MAX) {
            b->nrext = first;                   /* copied like any other file */
            continue;
        }
        c->ref_first = (uint32_t)first;
        c->ref_n = (uint32_t)runs;
        b->nfiles--;
    }
    return FSI_OK;
}

/* ISO 9660 directory records of a file: one per part of at most PART_BYTES (level 3). */
static uint64_t iso_parts(const builder *b, const pitem *c)
{
    if (!c->ref_n)
        return file_parts(b, c->node->u.f.size);
    uint64_t n = 0;
    for (uint32_t k = 0; k < c->ref_n; k++)
        n += file_parts(b, b->rext[c->ref_first + k].len);
    return n;
}

/* Directory numbering for both path tables; parent numbers above 65535 cannot be recorded. */
static fsi_status number_dirs(builder *b)
{
    size_t nd = 0;
    for (size_t i = 0; i < b->n; i++)
        nd += b->it[i].node->is_dir;
    b->ndirs = nd;
    b->idirs = malloc(nd * sizeof *b->idirs);
    b->jdirs = b->jol_sel ? malloc(nd * sizeof *b->jdirs) : NULL;
    if (!b->idirs || (b->jol_sel && !b->jdirs))
        return FSI_E_NOMEM;
    size_t q = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->it[i].node->is_dir) {
            b->idirs[q] = (uint32_t)i;
            b->it[i].iso_num = (uint32_t)++q;
        }
    if (b->jol_sel) {
        size_t w = 0;
        b->jdirs[w++] = 0;
        b->it[0].jol_num = 1;
        for (size_t r = 0; r < w; r++) {
            const pitem *d = &b->it[b->jdirs[r]];
            for (uint32_t j = 0; j < d->niso; j++) {
                uint32_t c = b->jorder[d->jfirst + j];
                if (b->it[c].node->is_dir) {
                    b->jdirs[w++] = c;
                    b->it[c].jol_num = (uint32_t)w;
                }
            }
        }
    }
    /* Path table parent numbers are 16 bits (ECMA-119 9.4.5). Strict mode refuses a directory
     * whose parent number exceeds 65535; otherwise the number is clamped to 65535 when written
     * (readers that matter locate directories through the directory records, not through the
     * path table parent numbers, and accept such tables). */
    if (b->o->strict) {
        for (size_t i = 1; i < nd; i++) {
            const pitem *d = &b->it[b->idirs[i]];
            if (b->it[d->parent].iso_num > 65535)
                return fail(b, FSI_E_TOO_MANY_DIRS, main_fs(b), d->node);
            if (b->jol_sel) {
                const pitem *e = &b->it[b->jdirs[i]];
                if (b->it[e->parent].jol_num > 65535)
                    return fail(b, FSI_E_TOO_MANY_DIRS, FSI_FS_JOLIET, e->node);
            }
        }
    }
    return FSI_OK;
}

static size_t iso_fi_len(const pitem *c) { return c->iso_len + (c->node->is_dir ? 0u : 2u); }
static size_t jol_fi_len(const pitem *c) { return 2u * c->jol_len + (c->node->is_dir ? 0u : 4u); }

/* Bytes of a directory's extent with its records in the order they are written (Joliet: jorder),
 * or (iso_order) in ISO 9660 order: packed without straddling blocks. */
static uint64_t pack(const builder *b, const pitem *d, int joliet, int iso_order)
{
    uint64_t pos = 2 * fsi_dirrec_len(1);
    for (uint32_t j = 0; j < d->niso; j++) {
        const pitem *c = &b->it[joliet && !iso_order ? b->jorder[d->jfirst + j] : d->first + j];
        size_t len = fsi_dirrec_len(joliet ? jol_fi_len(c) : iso_fi_len(c));
        uint64_t parts = c->node->is_dir ? 1 : iso_parts(b, c);
        for (uint64_t p = 0; p < parts; p++)
            pos = fsi_dirrec_place(pos, len) + len;
    }
    return blocks_of(pos) * FSI_BLOCK_SIZE;
}

/* Size in bytes of a directory's extent. A Joliet directory is measured in Joliet order, the order
 * its records are written, and is never made smaller than they take in ISO 9660 order, in which it
 * was measured before: where that was enough the images stay as they were. */
static uint64_t dir_bytes(const builder *b, const pitem *d, int joliet)
{
    uint64_t own = pack(b, d, joliet, 0), iso = joliet ? pack(b, d, 1, 1) : own;
    return own > iso ? own : iso;
}

typedef struct layout {
    uint32_t pvd, svd, term;
    uint32_t ipt_size, jpt_size;
    uint32_t ipl, ipm, jpl, jpm;
    uint32_t data_start, data_end, total;
} layout;

static fsi_status sizes(builder *b, layout *L)
{
    uint64_t ipt = 0, jpt = 0;
    for (size_t i = 0; i < b->ndirs; i++) {
        pitem *d = &b->it[b->idirs[i]];
        uint64_t s = dir_bytes(b, d, 0);
        if (s > UINT32_MAX - FSI_BLOCK_SIZE)
            return fail(b, FSI_E_IMAGE_TOO_BIG, FSI_FS_ISO9660, d->node);
        d->iso_size = (uint32_t)s;
        ipt += fsi_pathrec_len(i == 0 ? 1 : d->iso_len);
        if (b->jol_sel) {
            s = dir_bytes(b, d, 1);
            if (s > UINT32_MAX - FSI_BLOCK_SIZE)
                return fail(b, FSI_E_IMAGE_TOO_BIG, FSI_FS_JOLIET, d->node);
            d->jol_size = (uint32_t)s;
            jpt += fsi_pathrec_len(i == 0 ? 1 : 2u * d->jol_len);
        }
    }
    if (ipt > UINT32_MAX || jpt > UINT32_MAX)
        return fail(b, FSI_E_IMAGE_TOO_BIG, 0, NULL);
    L->ipt_size = (uint32_t)ipt;
    L->jpt_size = (uint32_t)jpt;
    return FSI_OK;
}

static uint32_t round_au(uint32_t part, uint64_t blk)
{
    return (uint32_t)(part + (blk - part + FSI_UDF_AU - 1) / FSI_UDF_AU * FSI_UDF_AU);
}

/* Phase D: blocks of everything before the file data (see the layouts at the top of this file and
 * of udf.c). */
static fsi_status place_meta(builder *b, layout *L)
{
    fsi_udf_layout *U = &b->udf;
    fsi_boot_layout *B = &b->boot;
    uint64_t blk = 16;
    if (isoj(b) || B->n) {
        L->pvd = (uint32_t)blk++;
        if (B->n)
            B->brvd = (uint32_t)blk++;          /* El Torito: block 17 */
        L->svd = b->jol_sel ? (uint32_t)blk++ : 0;
        L->term = (uint32_t)blk++;
    }
    if (B->n) {                                 /* after the whole recognition sequence */
        B->catalog = (uint32_t)(blk + (b->udf_sel ? 3 : 0));
        B->catalog_blocks = fsi_boot_catalog_blocks(b->o);
        B->mini = !isoj(b);
        B->mini_pl = B->catalog + B->catalog_blocks;
        B->mini_pm = B->mini_pl + 1;
        B->mini_root = B->mini_pl + 2;
        if (!b->udf_sel)
            blk = B->catalog + B->catalog_blocks;
    }
    if (b->udf_sel) {
        U->vrs = (uint32_t)blk;
        U->mvds = 32;
        U->rvds = U->metadata ? 0 : 64;         /* 2.50+: after the partition (place_tail) */
        U->lvis = 96;
        U->avdp = 256;
        U->part = U->metadata ? 288 : 257;
        blk = U->part;
        if (U->metadata)                        /* metadata file and mirror EFEs */
            blk = round_au(U->part, blk + 2);
        U->area = (uint32_t)blk;
        /* multisession: the partition reaches down to the oldest referenced extent */
        uint64_t low = (uint64_t)b->o->session_start + U->part;
        for (size_t k = 0; k < b->nrext; k++)
            if (b->rext[k].lba < low)
                low = b->rext[k].lba;
        uint64_t down = (uint64_t)b->o->session_start + U->part - low;
        U->lb0 = (uint32_t)((down + FSI_UDF_AU - 1) / FSI_UDF_AU * FSI_UDF_AU);
        U->area_lb = U->metadata ? 0 : U->area - U->part + U->lb0;
        blk += U->area_blocks;
    }
    if (isoj(b)) {
        L->ipl = (uint32_t)blk;
        blk += blocks_of(L->ipt_size);
        L->ipm = (uint32_t)blk;
        blk += blocks_of(L->ipt_size);
        if (b->jol_sel) {
            L->jpl = (uint32_t)blk;
            blk += blocks_of(L->jpt_size);
            L->jpm = (uint32_t)blk;
            blk += blocks_of(L->jpt_size);
        }
        for (size_t i = 0; i < b->ndirs && blk <= UINT32_MAX; i++) {
            pitem *d = &b->it[b->idirs[i]];
            d->iso_lba = (uint32_t)blk;
            blk += d->iso_size / FSI_BLOCK_SIZE;
        }
        if (b->jol_sel)
            for (size_t i = 0; i < b->ndirs && blk <= UINT32_MAX; i++) {
                pitem *d = &b->it[b->jdirs[i]];
                d->jol_lba = (uint32_t)blk;
                blk += d->jol_size / FSI_BLOCK_SIZE;
            }
    }
    if (blk + b->o->session_start > UINT32_MAX)
        return fail(b, FSI_E_IMAGE_TOO_BIG, 0, NULL);
    L->data_start = (uint32_t)blk;
    return FSI_OK;
}

/* After the file data (UDF): the partition's end and the last AVDP. 2.50+: the metadata mirror
 * copy at the end of the partition, then the reserve VDS after it, both from the first allocation
 * unit boundary after the data where they are far enough from the metadata file and the main VDS
 * (fsi_udf_far_apart: zero blocks in between when the data is too short). */
static fsi_status place_tail(builder *b, layout *L)
{
    fsi_udf_layout *U = &b->udf;
    uint64_t blk = L->data_end;
    if (b->udf_sel && U->metadata) {
        uint64_t copy = U->mirror ? U->area_blocks : 0, tail = blk;
        if (tail + copy + FSI_UDF_TAIL_STORED + FSI_UDF_AU + b->o->session_start > UINT32_MAX)
            return fail(b, FSI_E_IMAGE_TOO_BIG, 0, NULL);
        tail = round_au(U->part, tail);
        while (!fsi_udf_far_apart(b, tail)) {
            tail += FSI_UDF_AU;
            if (tail + copy + FSI_UDF_TAIL_STORED + b->o->session_start > UINT32_MAX)
                return fail(b, FSI_E_IMAGE_TOO_BIG, 0, NULL);
        }
        U->mirror_at = (uint32_t)tail;
        U->gap = (uint32_t)(tail - L->data_end);
        U->rvds = (uint32_t)(tail + copy);
        blk = U->rvds;
    }
    if (b->udf_sel) {
        U->part_len = (uint32_t)(blk - U->part + U->lb0);
        if (U->metadata)
            blk += FSI_UDF_TAIL_STORED - 1;     /* the reserve VDS */
        U->avdp_last = (uint32_t)blk;
        blk++;
    }
    if (blk + b->o->session_start > UINT32_MAX)
        return fail(b, FSI_E_IMAGE_TOO_BIG, 0, NULL);
    L->total = (uint32_t)blk;
    return FSI_OK;
}

/* ---- size bound (engine.h: fsi_size_bound) ------------------------------------------------------ */

#define ONE FSI_BOUND_ONE
/* Bytes the records of a directory's other items can grow when one is added: a name that was unique
 * gets a numeric tail, and a tail moving up a digit (~9 -> ~10) takes one more character where the
 * name part is short (names.c); a handful of records, one or two bytes each (Joliet: twice). */
#define RENUMBER 64u

static uint64_t units(uint64_t bytes, uint64_t per_block) { return (bytes * ONE + per_block - 1) / per_block; }

/* The longest directory record of an ISO 9660 level (a file's "8.3;1" or 30 + ";1") or of Joliet (64
 * units and ";1"); directories' are shorter. */
static size_t rec_max(int joliet, int level) { return fsi_dirrec_len(joliet ? 132 : level == 1 ? 14 : 32); }

/* A record does not straddle blocks (ECMA-119 6.8.1.1), so a directory block ends only before a
 * record that does not fit: every block but the last holds more than BLOCK - rec_max bytes, and a
 * directory of S bytes of records takes at most S / fill + 1 blocks. Adding a record of r bytes
 * raises that by r / fill; its slack is the rest. */
static uint64_t dir_fill(int joliet, int level) { return FSI_BLOCK_SIZE - rec_max(joliet, level) + 1; }

static uint64_t rec_sum(const builder *b, const pitem *d, int joliet)
{
    uint64_t sum = 2 * fsi_dirrec_len(1);
    for (uint32_t j = 0; j < d->niso; j++) {
        const pitem *c = &b->it[d->first + j];
        uint64_t parts = c->node->is_dir ? 1 : iso_parts(b, c);
        sum += parts * fsi_dirrec_len(joliet ? jol_fi_len(c) : iso_fi_len(c));
    }
    return sum;
}

static uint64_t bytes_slack(uint64_t bytes, uint64_t per_block, uint64_t blocks)
{
    uint64_t bound = units(bytes, per_block) + ONE;
    return bound > blocks * ONE ? bound - blocks * ONE : 0;
}

/* What the layout can grow beyond what fsi_add_bound counts for later items (units). */
static uint64_t slack(const builder *b, const layout *L)
{
    uint64_t s = 0;
    if (isoj(b)) {
        for (int t = 0; t < 2; t++) {
            if (t ? !b->jol_sel : !b->iso_sel && !b->jol_sel)
                continue;
            uint64_t fill = dir_fill(t, b->level), pt = t ? L->jpt_size : L->ipt_size;
            for (size_t i = 0; i < b->ndirs; i++) {
                const pitem *d = &b->it[b->idirs[i]];
                s += bytes_slack(rec_sum(b, d, t), fill, (t ? d->jol_size : d->iso_size) / FSI_BLOCK_SIZE);
            }
            s += 2 * bytes_slack(pt, FSI_BLOCK_SIZE, blocks_of(pt));    /* type L and M tables */
        }
    }
    if (b->udf_sel)
        s += fsi_udf_slack(b);
    /* zeros before large files (place_files), wherever files come to lie; the tail's allocation unit */
    for (size_t i = 0; i < b->n; i++) {
        const fsi_node *n = b->it[i].node;
        if (!n->is_dir && !b->it[i].ref_n && n->u.f.size >= ALIGN_MIN)
            s += (n->u.f.size >= ALIGN_BIG ? 31 : 1) * ONE;
    }
    if (b->udf.metadata)
        s += (FSI_UDF_AU - 1) * ONE;
    return s;
}

void fsi_size_bound_start(fsi_size_bound *sb, const fsi_plan *p)
{
    sb->base = p->bound_base;
    sb->added = 0;
    sb->spread = p->bound_spread;
}

uint64_t fsi_size_bound_blocks(const fsi_size_bound *sb, uint64_t more)
{
    uint64_t t = (sb->base + sb->added + more + ONE - 1) / ONE;
    /* UDF 2.50+: the zeros that part the copies from their main ones take at most a ninth of the
     * image without them, and 104 blocks (udf.c, far apart; test_udf) */
    return sb->spread ? t + (t + 8) / 9 + 104 : t;
}

/* One item (not its children): its records, path table records, UDF structures and data. */
static uint64_t item_bound(const fsi_plan_opts *o, const fsi_node *n, int level)
{
    int iso = (o->fs & FSI_FS_ISO9660) != 0, jol = (o->fs & FSI_FS_JOLIET) != 0;
    uint64_t u = 0, size = n->is_dir ? 0 : n->u.f.size;
    uint64_t parts = level == 3 && size > UINT32_MAX ? (size + PART_BYTES - 1) / PART_BYTES : 1;
    size_t jl = n->name_len < FSI_JOLIET_MAX ? n->name_len : FSI_JOLIET_MAX;
    if (iso || jol) {
        /* the ISO 9660 records are counted with both trees: Joliet's path table order needs them */
        uint64_t fill = dir_fill(0, level);
        u += units(parts * rec_max(0, level) + RENUMBER, fill);
        if (n->is_dir)                          /* its extent: "." and "..", the last block; path tables */
            u += units(2 * fsi_dirrec_len(1), fill) + ONE +
                 2 * units(fsi_pathrec_len(level == 1 ? 8 : 31) + RENUMBER, FSI_BLOCK_SIZE);
    }
    if (jol) {
        uint64_t fill = dir_fill(1, level);
        u += units(parts * fsi_dirrec_len(2 * jl + (n->is_dir ? 0 : 4)) + RENUMBER, fill);
        if (n->is_dir)
            u += units(2 * fsi_dirrec_len(1), fill) + ONE + 2 * units(fsi_pathrec_len(2 * jl) + RENUMBER, FSI_BLOCK_SIZE);
    }
    if (o->fs & FSI_FS_UDF) {
        u += fsi_udf_add_bound(o, n);
        if (o->udf_revision >= 0x200 && !n->is_dir)
            for (uint32_t k = 0; k < n->u.f.nstreams; k++)
                u += blocks_of(n->u.f.streams[k].size) * ONE;
    }
    if (size)
        u += (blocks_of(size) + (size >= ALIGN_BIG ? 31 : size >= ALIGN_MIN ? 1 : 0)) * ONE;
    return u;
}

uint64_t fsi_add_bound(const fsi_plan_opts *o, const fsi_node *n)
{
    typedef struct frame { const fsi_node *d; size_t next; } frame;
    int level = o->fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET) ? o->iso_level : 3;
    uint64_t u = item_bound(o, n, level);
    size_t sp = 0, cap = 16;
    frame *st;
    if (!n->is_dir || !n->u.d.nkids)
        return u;
    if (!(st = malloc(cap * sizeof *st)))
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
            if (sp == cap) {
                frame *ns = realloc(st, 2 * cap * sizeof *ns);
                if (!ns) {
                    free(st);
                    return UINT64_MAX / 4;
                }
                st = ns;
                cap *= 2;
            }
            st[sp++] = (frame){ c, 0 };
        }
    }
    free(st);
    return u;
}

uint64_t fsi_add_stream_bound(const fsi_plan_opts *o, const uint16_t *name, size_t name_len, uint64_t size)
{
    if (!(o->fs & FSI_FS_UDF) || o->udf_revision < 0x200)
        return 0;                               /* streams are written in UDF 2.00 and later only */
    return fsi_udf_stream_bound(o, name, name_len, size) + blocks_of(size) * ONE;
}

/* Phase D (files) + F (extent list with paths): depth-first walk of the ISO-sorted tree. */
static fsi_status place_files(builder *b, layout *L, fsi_plan *p)
{
    typedef struct frame { uint32_t item, next; size_t plen; } frame;
    fsi_status ret = FSI_E_NOMEM;
    frame *st = NULL;
    size_t stcap = 64, sp = 0;
    fsi_u16pool path = { 0 }, paths = { 0 };
    size_t *poff = NULL;
    uint64_t blk = L->data_start;

    size_t nboot = b->boot.n, nall = b->nfiles + nboot;
    p->nfiles = 0;
    p->files = calloc(nall ? nall : 1, sizeof *p->files);
    poff = malloc((nall ? nall : 1) * sizeof *poff);
    st = malloc(stcap * sizeof *st);
    if (!p->files || !poff || !st)
        goto out;
    /* El Torito boot images first, in entry order (eltorito.c) */
    for (size_t i = 0; i < nboot; i++) {
        const fsi_boot_entry *be = &b->o->boot[i];
        fsi_plan_file *pf = &p->files[p->nfiles];
        pf->src = be->src;
        fsi_source_ref(pf->src);
        pf->size = be->size;
        pf->first_block = (uint32_t)blk;
        pf->blocks = (uint32_t)blocks_of(be->size);
        poff[p->nfiles++] = 0;
        blk += pf->blocks;
    }
    st[sp++] = (frame){ 0, 0, 0 };
    while (sp) {
        frame *f = &st[sp - 1];
        const pitem *d = &b->it[f->item];
        if (f->next == d->nkids) {
            sp--;
            continue;
        }
        uint32_t ci = d->first + f->next++;
        pitem *c = &b->it[ci];
        const fsi_node *n = c->node;
        size_t base = f->plen;
        if (!fsi_pool_reserve(&path, base + 1 + n->name_len))
            goto out;
        path.p[base] = '\\';
        memcpy(path.p + base + 1, n->name, n->name_len * sizeof(uint16_t));
        size_t plen = base + 1 + n->name_len;
        if (n->is_dir) {
            if (sp == stcap) {
                frame *ns = realloc(st, 2 * stcap * sizeof *ns);
                if (!ns)
                    goto out;
                st = ns;
                stcap *= 2;
            }
            st[sp++] = (frame){ ci, 0, plen };
            continue;
        }
        const fsi_psdir *sd = b->nsd ? fsi_udf_sdir(b, ci) : NULL;
        if (n->u.f.size == 0 && !sd)
            continue;
        if (n->u.f.size && !c->ref_n) {
            uint64_t nb = blocks_of(n->u.f.size);
            if (n->u.f.size >= ALIGN_MIN) {
                uint64_t a = n->u.f.size >= ALIGN_BIG ? 32 : 2, at = blk + b->o->session_start;
                blk += (a - at % a) % a;
            }
            if (blk + nb + b->o->session_start > UINT32_MAX) {
                ret = fail(b, FSI_E_IMAGE_TOO_BIG, 0, n);
                goto out;
            }
            if (!fsi_pool_reserve(&paths, plen))
                goto out;
            fsi_plan_file *pf = &p->files[p->nfiles];
            pf->src = n->u.f.src;
            fsi_source_ref(pf->src);
            pf->size = n->u.f.size;
            pf->first_block = (uint32_t)blk;
            pf->blocks = (uint32_t)nb;
            poff[p->nfiles] = paths.len;
            memcpy(paths.p + paths.len, path.p, plen * sizeof(uint16_t));
            paths.len += plen;
            c->file = (uint32_t)p->nfiles++;
            blk += nb;
        }
        /* UDF named streams: each one's data right after the file's, "\dir\file:name" */
        for (uint32_t j = 0; sd && j < sd->n; j++) {
            fsi_pstream *x = &b->ps[sd->first + j];
            const fsi_stream *sm = &n->u.f.streams[x->index];
            if (!sm->size)
                continue;
            uint64_t nb = blocks_of(sm->size);
            if (blk + nb + b->o->session_start > UINT32_MAX) {
                ret = fail(b, FSI_E_IMAGE_TOO_BIG, 0, n);
                goto out;
            }
            if (!fsi_pool_reserve(&paths, plen + 1 + sm->name_len))
                goto out;
            fsi_plan_file *pf = &p->files[p->nfiles];
            pf->src = sm->src;
            fsi_source_ref(pf->src);
            pf->size = sm->size;
            pf->first_block = (uint32_t)blk;
            pf->blocks = (uint32_t)nb;
            poff[p->nfiles] = paths.len;
            memcpy(paths.p + paths.len, path.p, plen * sizeof(uint16_t));
            paths.p[paths.len + plen] = ':';
            memcpy(paths.p + paths.len + plen + 1, sm->name, sm->name_len * sizeof(uint16_t));
            paths.len += plen + 1 + sm->name_len;
            x->file = (uint32_t)p->nfiles++;
            blk += nb;
        }
    }
    L->data_end = (uint32_t)blk;

    p->next = 1 + p->nfiles;
    p->ext = calloc(p->next + 1, sizeof *p->ext);      /* + the tail, filled in by fsi_plan_build */
    if (!p->ext)
        goto out;
    if (paths.len) {
        uint16_t *shrunk = realloc(paths.p, paths.len * sizeof *shrunk);    /* drop the slack */
        if (shrunk)
            paths.p = shrunk;
    }
    p->paths = paths.p;
    paths.p = NULL;
    fsi_extent_info *e = &p->ext[0];
    e->path = META_DESC;
    e->path_len = sizeof META_DESC / sizeof META_DESC[0];
    e->first_block = b->o->session_start;
    e->block_count = L->data_start;
    e->size = (uint64_t)L->data_start * FSI_BLOCK_SIZE;
    e->is_file = 0;
    for (size_t i = 0; i < p->nfiles; i++) {
        e = &p->ext[1 + i];
        if (i < nboot) {
            e->path = BOOT_DESC;
            e->path_len = sizeof BOOT_DESC / sizeof BOOT_DESC[0];
        } else {
            size_t end = i + 1 < p->nfiles ? poff[i + 1] : paths.len;
            e->path = p->paths + poff[i];
            e->path_len = end - poff[i];
        }
        e->first_block = b->o->session_start + p->files[i].first_block;
        e->block_count = p->files[i].blocks;
        e->size = p->files[i].size;
        e->is_file = 1;
    }
    ret = FSI_OK;
out:
    free(st);
    free(poff);
    fsi_pool_free(&path);
    fsi_pool_free(&paths);
    return ret;
}

/* ---- rendering ------------------------------------------------------------------------------- */

static size_t iso_id(const builder *b, const pitem *c, uint8_t *out)
{
    const uint16_t *s = b->ipool.p + c->iso_off;
    size_t n = c->iso_len;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)s[i];
    if (!c->node->is_dir) {
        out[n++] = ';';
        out[n++] = '1';
    }
    return n;
}

static size_t jol_id(const builder *b, const pitem *c, uint8_t *out)
{
    const uint16_t *s = b->jpool.p + c->jol_off;
    size_t n = c->jol_len;
    for (size_t i = 0; i < n; i++)
        fsi_put_be16(out + 2 * i, s[i]);
    n *= 2;
    if (!c->node->is_dir) {
        fsi_put_be16(out + n, ';');
        fsi_put_be16(out + n + 2, '1');
        n += 4;
    }
    return n;
}

int fsi_store_blocks(fsi_meta_store *ms, const uint8_t *buf, size_t nblocks)
{
    for (size_t i = 0; i < nblocks; i++) {
        const uint8_t *blk = buf + i * FSI_BLOCK_SIZE;
        size_t used = FSI_BLOCK_SIZE;
        while (used && !blk[used - 1])
            used--;
        if (ms->len + used > ms->cap) {
            size_t nc = ms->cap ? ms->cap * 2 : 65536;
            while (nc < ms->len + used)
                nc *= 2;
            uint8_t *nd = realloc(ms->data, nc);
            if (!nd)
                return 0;
            ms->data = nd;
            ms->cap = nc;
        }
        memcpy(ms->data + ms->len, blk, used);
        ms->len += used;
        ms->off[++ms->nblk] = ms->len;
    }
    return 1;
}

void fsi_store_zeros(fsi_meta_store *ms, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ms->off[++ms->nblk] = ms->len;
}

/* Render one directory extent into buf (zeroed, size bytes). */
static void render_dir(const builder *b, const fsi_plan *p, uint8_t *buf, const pitem *d, int joliet)
{
    uint32_t ss = b->o->session_start;
    uint32_t lba = joliet ? d->jol_lba : d->iso_lba;
    uint32_t size = joliet ? d->jol_size : d->iso_size;
    const pitem *pd = &b->it[d->parent];
    static const uint8_t dot = 0, dotdot = 1;
    uint64_t pos = 0;
    pos += fsi_write_dirrec(buf + pos, ss + lba, size, d->node->times.modification, 0x02, &dot, 1);
    pos += fsi_write_dirrec(buf + pos, ss + (joliet ? pd->jol_lba : pd->iso_lba),
                            joliet ? pd->jol_size : pd->iso_size, pd->node->times.modification, 0x02,
                            &dotdot, 1);
    uint8_t id[2 * FSI_JOLIET_MAX + 8 + 2 * FSI_NAME_MAX];
    for (uint32_t j = 0; j < d->niso; j++) {
        const pitem *c = &b->it[joliet ? b->jorder[d->jfirst + j] : d->first + j];
        const fsi_node *n = c->node;
        size_t idl = joliet ? jol_id(b, c, id) : iso_id(b, c, id);
        size_t len = fsi_dirrec_len(idl);
        uint8_t flags = n->hidden ? 0x01 : 0;
        fsi_time t = n->times.modification;
        if (n->is_dir) {
            pos = fsi_dirrec_place(pos, len);
            pos += fsi_write_dirrec(buf + pos, ss + (joliet ? c->jol_lba : c->iso_lba),
                                    joliet ? c->jol_size : c->iso_size, t, flags | 0x02, id, idl);
            continue;
        }
        uint64_t fsize = n->u.f.size;
        if (c->ref_n) {                         /* imported: the old extents, split in parts */
            for (uint32_t k = 0; k < c->ref_n; k++) {
                const fsi_disc_extent *r = &b->rext[c->ref_first + k];
                uint64_t parts = file_parts(b, r->len);
                for (uint64_t q = 0; q < parts; q++) {
                    uint64_t rem = r->len - q * PART_BYTES;
                    uint32_t psize = (uint32_t)(q + 1 < parts ? PART_BYTES : rem);
                    int last = k + 1 == c->ref_n && q + 1 == parts;
                    pos = fsi_dirrec_place(pos, len);
                    pos += fsi_write_dirrec(buf + pos, (uint32_t)(r->lba + q * PART_BLOCKS), psize, t,
                                            (uint8_t)(flags | (last ? 0 : 0x80)), id, idl);
                }
            }
            continue;
        }
        uint32_t flba = c->file == NONE ? 0 : ss + p->files[c->file].first_block;
        uint64_t parts = file_parts(b, fsize);
        for (uint64_t q = 0; q < parts; q++) {
            uint64_t rem = fsize - q * PART_BYTES;
            uint32_t psize = (uint32_t)(q + 1 < parts ? PART_BYTES : rem);
            uint8_t fl = (uint8_t)(flags | (q + 1 < parts ? 0x80 : 0));
            pos = fsi_dirrec_place(pos, len);
            pos += fsi_write_dirrec(buf + pos, flba ? flba + (uint32_t)q * PART_BLOCKS : 0, psize, t, fl,
                                    id, idl);
        }
    }
}

/* Render one path table (type L or M) into buf (zeroed). */
static void render_path_table(const builder *b, uint8_t *buf, int joliet, int msb)
{
    uint32_t ss = b->o->session_start;
    const uint32_t *order = joliet ? b->jdirs : b->idirs;
    uint8_t id[2 * FSI_JOLIET_MAX + 8 + 2 * FSI_NAME_MAX];
    size_t off = 0;
    for (size_t i = 0; i < b->ndirs; i++) {
        const pitem *d = &b->it[order[i]];
        size_t idl;
        if (i == 0) {
            id[0] = 0;
            idl = 1;
        } else {
            idl = joliet ? jol_id(b, d, id) : iso_id(b, d, id);
        }
        const pitem *pd = &b->it[d->parent];
        uint32_t pn = joliet ? pd->jol_num : pd->iso_num;
        uint16_t parent = (uint16_t)(pn > 65535 ? 65535 : pn);    /* relaxed mode: clamped */
        uint32_t lba = ss + (joliet ? d->jol_lba : d->iso_lba);
        off += fsi_write_pathrec(buf + off, msb, lba, parent, id, idl);
    }
}

static fsi_status render(builder *b, const layout *L, fsi_plan *p)
{
    fsi_status ret = FSI_E_NOMEM;
    fsi_meta_store ms = { 0 };
    uint64_t maxb = FSI_BLOCK_SIZE;
    uint64_t ptb = blocks_of(L->ipt_size > L->jpt_size ? L->ipt_size : L->jpt_size) * FSI_BLOCK_SIZE;
    if (ptb > maxb)
        maxb = ptb;
    for (size_t i = 0; i < b->ndirs; i++) {
        const pitem *d = &b->it[b->idirs[i]];
        if (d->iso_size > maxb)
            maxb = d->iso_size;
        if (d->jol_size > maxb)
            maxb = d->jol_size;
    }
    if (maxb > SIZE_MAX)
        return FSI_E_NOMEM;
    uint8_t *buf = malloc((size_t)maxb);
    /* the blocks before the data, + the UDF tail (reserve VDS, last AVDP), + 1 */
    ms.off = malloc(((size_t)(L->data_start - 16) + FSI_UDF_TAIL_STORED + 1) * sizeof *ms.off);
    if (!buf || !ms.off)
        goto out;
    ms.off[0] = 0;

    uint32_t ss = b->o->session_start;
    const pitem *root = &b->it[0];
    if (isoj(b) || b->boot.n) {
        uint8_t vid[32];
        fsi_vd_info vi = { 0 };
        vi.volume_space = ss + L->total;
        vi.root_time = root->node->times.modification;
        vi.creation = b->o->creation_time;

        fsi_volume_id_iso(b->o->volume_name, b->o->volume_name_len, vid);
        vi.joliet = 0;
        vi.volume_id = vid;
        if (isoj(b)) {
            vi.path_table_size = L->ipt_size;
            vi.path_l = ss + L->ipl;
            vi.path_m = ss + L->ipm;
            vi.root_lba = ss + root->iso_lba;
            vi.root_size = root->iso_size;
        } else {
            fsi_boot_mini_vd(b, &vi);           /* UDF alone, bootable: a stub ISO 9660 tree */
        }
        fsi_write_vd(buf, &vi);
        if (!fsi_store_blocks(&ms, buf, 1))
            goto out;
        if (b->boot.n) {
            fsi_boot_write_brvd(b, buf);
            if (!fsi_store_blocks(&ms, buf, 1))
                goto out;
        }
        if (b->jol_sel) {
            fsi_volume_id_joliet(b->o->volume_name, b->o->volume_name_len, vid);
            vi.joliet = 1;
            vi.path_table_size = L->jpt_size;
            vi.path_l = ss + L->jpl;
            vi.path_m = ss + L->jpm;
            vi.root_lba = ss + root->jol_lba;
            vi.root_size = root->jol_size;
            fsi_write_vd(buf, &vi);
            if (!fsi_store_blocks(&ms, buf, 1))
                goto out;
        }
        fsi_write_vd_terminator(buf);
        if (!fsi_store_blocks(&ms, buf, 1))
            goto out;
    }
    if (b->boot.n && !b->udf_sel && !fsi_boot_render_catalog(b, p, &ms))
        goto out;                               /* with UDF: after the VRS (udf.c) */
    if (b->udf_sel && (!fsi_udf_render_front(b, p, &ms) || !fsi_udf_render_area(b, p, &ms)))
        goto out;

    if (isoj(b)) {
        for (int joliet = 0; joliet <= b->jol_sel; joliet++) {
            uint64_t nb = blocks_of(joliet ? L->jpt_size : L->ipt_size);
            for (int msb = 0; msb < 2; msb++) {
                memset(buf, 0, (size_t)nb * FSI_BLOCK_SIZE);
                render_path_table(b, buf, joliet, msb);
                if (!fsi_store_blocks(&ms, buf, (size_t)nb))
                    goto out;
            }
        }
        for (int joliet = 0; joliet <= b->jol_sel; joliet++) {
            const uint32_t *order = joliet ? b->jdirs : b->idirs;
            for (size_t i = 0; i < b->ndirs; i++) {
                const pitem *d = &b->it[order[i]];
                uint32_t size = joliet ? d->jol_size : d->iso_size;
                memset(buf, 0, size);
                render_dir(b, p, buf, d, joliet);
                if (!fsi_store_blocks(&ms, buf, size / FSI_BLOCK_SIZE))
                    goto out;
            }
        }
    }
    /* blocks before the data: one run; after it (udf.c) the UDF metadata mirror sharing the
     * metadata file's blocks, the reserve VDS and the last AVDP */
    if (ms.nblk != (size_t)(L->data_start - 16)) {
        ret = FSI_E_INVALID_PARAM;      /* cannot happen: layout and rendering disagree */
        goto out;
    }
    p->nsegs = 0;
    p->segs[p->nsegs++] = (fsi_meta_seg){ 16, L->data_start - 16, 0 };
    if (b->udf_sel && !fsi_udf_render_tail(b, p, &ms))
        goto out;
    /* give back the unused part of the store */
    if (ms.len) {
        uint8_t *shrunk = realloc(ms.data, ms.len);
        if (shrunk)
            ms.data = shrunk;
    }
    p->meta = ms.data;
    p->meta_off = ms.off;
    ms.data = NULL;
    ms.off = NULL;
    ret = FSI_OK;
out:
    free(buf);
    free(ms.data);
    free(ms.off);
    return ret;
}

static void builder_free(builder *b)
{
    free(b->it);
    free(b->jorder);
    free(b->idirs);
    free(b->jdirs);
    fsi_pool_free(&b->ipool);
    fsi_pool_free(&b->jpool);
    fsi_pool_free(&b->upool);
    free(b->k);
    free(b->mi);
    free(b->mj);
    free(b->mu);
    free(b->idx);
    free(b->sd);
    free(b->ps);
    free(b->rext);
}

static void plan_free(fsi_plan *p)
{
    for (size_t i = 0; i < p->nfiles; i++)
        fsi_source_unref(p->files[i].src);
    free(p->files);
    free(p->ext);
    free(p->paths);
    free(p->meta);
    free(p->meta_off);
    fsi_medium_unref(p->base);
    free(p);
}

int fsi_udf_revision_supported(int rev)
{
    return rev == 0x102 || rev == 0x150 || rev == 0x200 || rev == 0x201 || rev == 0x250 || rev == 0x260;
}

fsi_status fsi_plan_build(const fsi_image *img, const fsi_plan_opts *opts, fsi_plan **out, fsi_err *err)
{
    fsi_err_clear(err);
    if (out)
        *out = NULL;
    if (!img || !opts || !out) {
        fsi_err_set(err, FSI_E_INVALID_PARAM, 0, NULL);
        return FSI_E_INVALID_PARAM;
    }
    if (!(opts->fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF))) {
        fsi_err_set(err, FSI_E_NO_OUTPUT, 0, NULL);
        return FSI_E_NO_OUTPUT;
    }
    int trees = (opts->fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET)) != 0;
    if ((trees && (opts->iso_level < 1 || opts->iso_level > 3)) ||
        (opts->volume_name_len && !opts->volume_name)) {
        fsi_err_set(err, FSI_E_INVALID_PARAM, FSI_FS_ISO9660, NULL);
        return FSI_E_INVALID_PARAM;
    }
    int rev = opts->udf_revision;
    if ((opts->fs & FSI_FS_UDF) && !fsi_udf_revision_supported(rev)) {
        fsi_err_set(err, FSI_E_INVALID_PARAM, FSI_FS_UDF, NULL);
        return FSI_E_INVALID_PARAM;
    }
    fsi_status bst = fsi_boot_check(opts);
    if (bst) {
        fsi_err_set(err, bst, 0, NULL);
        return bst;
    }
    builder b = { 0 };
    b.o = opts;
    b.boot.n = opts->boot_count;
    b.iso_sel = (opts->fs & FSI_FS_ISO9660) != 0;
    b.jol_sel = (opts->fs & FSI_FS_JOLIET) != 0;
    b.udf_sel = (opts->fs & FSI_FS_UDF) != 0;
    b.level = trees ? opts->iso_level : 3;
    b.err = err;
    b.udf.rev = rev;
    b.udf.metadata = b.udf_sel && rev >= 0x250;
    b.udf.mirror = b.udf.metadata && opts->udf_redundant_metadata;
    layout L = { 0 };
    fsi_plan *p = calloc(1, sizeof *p);
    fsi_status st = p ? FSI_OK : FSI_E_NOMEM;
    b.head_end = 16 + head_blocks(&b);
    if (opts->base) {
        if (opts->base_vrs_end > b.head_end)
            b.head_end = opts->base_vrs_end;
        if (opts->session_start < b.head_end || (b.udf_sel && opts->session_start < 257) || opts->boot_count) {
            fsi_err_set(err, FSI_E_INVALID_PARAM, 0, NULL);
            free(p);
            return FSI_E_INVALID_PARAM;
        }
    }
    if (!st)
        st = collect(&b, img->root);
    if (!st)
        st = decide_refs(&b);
    if (!st)
        st = fsi_udf_streams(&b);
    if (!st && trees)
        st = number_dirs(&b);
    if (!st && trees)
        st = sizes(&b, &L);
    if (!st && b.udf_sel)
        st = fsi_udf_size(&b);
    if (!st)
        st = place_meta(&b, &L);
    if (!st)
        st = place_files(&b, &L, p);
    if (!st)
        st = place_tail(&b, &L);
    if (!st && L.total > L.data_end) {
        fsi_extent_info *e = &p->ext[p->next++];
        e->path = META_DESC;
        e->path_len = sizeof META_DESC / sizeof META_DESC[0];
        e->first_block = opts->session_start + L.data_end;
        e->block_count = L.total - L.data_end;
        e->size = (uint64_t)e->block_count * FSI_BLOCK_SIZE;
        e->is_file = 0;
    }
    uint64_t growth = 0;
    if (!st)
        growth = slack(&b, &L);
    if (!st)
        st = render(&b, &L, p);
    if (!st && opts->base) {
        p->base = opts->base;
        fsi_medium_ref(p->base);
        p->head_end = b.head_end;
        p->head_new = head_blocks(&b);
        p->anchor = b.udf_sel;
        if (b.udf_sel)
            fsi_udf_anchor_at(&b, p->avdp256, 256);
    }
    builder_free(&b);
    if (st) {
        if (err && err->code == FSI_OK)
            fsi_err_set(err, st, 0, NULL);
        if (p)
            plan_free(p);
        return st;
    }
    p->refs = 1;
    p->session_start = opts->session_start;
    p->total_blocks = L.total;
    p->bound_spread = b.udf.metadata;
    p->bound_base = (uint64_t)(L.total - (b.udf.metadata ? b.udf.gap : 0)) * ONE + growth;
    p->data_start = L.data_start;
    p->data_end = L.data_end;
    *out = p;
    return FSI_OK;
}

void fsi_plan_ref(fsi_plan *p)
{
    if (p)
        __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
}

void fsi_plan_unref(fsi_plan *p)
{
    if (p && __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0)
        plan_free(p);
}

uint32_t fsi_plan_total_blocks(const fsi_plan *p)
{
    if (!p)
        return 0;
    return p->base ? p->session_start + p->total_blocks : p->total_blocks;
}

size_t fsi_plan_modified_count(const fsi_plan *p)
{
    if (!p)
        return 0;
    return p->base ? 2u + (p->anchor ? 1u : 0u) : 1u;
}

void fsi_plan_modified(const fsi_plan *p, size_t i, uint32_t *first, uint32_t *count)
{
    *first = *count = 0;
    if (!p || i >= fsi_plan_modified_count(p))
        return;
    if (!p->base || i + 1 == fsi_plan_modified_count(p)) {
        *first = p->session_start;
        *count = p->total_blocks;
    } else if (i == 0) {
        *first = 16;
        *count = p->head_end - 16;
    } else {
        *first = 256;
        *count = 1;
    }
}
size_t fsi_plan_extent_count(const fsi_plan *p) { return p ? p->next : 0; }

const fsi_extent_info *fsi_plan_extent(const fsi_plan *p, size_t i)
{
    return (p && i < p->next) ? &p->ext[i] : NULL;
}
