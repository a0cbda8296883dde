/*
 * Layout planning (fsi_plan_build): the snapshot of the tree (snapshot.c), the writer chain of the
 * selected formats (writer.h), the block allocator and the file data; every metadata block is
 * rendered here once, into the plan's store, and the plan is immutable after.
 *
 * Image layout (relative blocks, every LBA written is session_start + relative block):
 *   0..15            system area (zero)
 *   16 ..            the volume recognition area: the writers' ECMA-119 descriptors (PVD, El Torito
 *                    boot record, Joliet SVD), the set terminator, the UDF recognition sequence
 *   metadata         the writers' reservations of the META, TABLES and DIRS phases, in block order:
 *                    boot catalog, UDF volume structures and metadata, path tables, directories
 *   file data        El Torito boot images first, in entry order; then the files in depth-first
 *                    order of the snapshot (ISO 9660 order), each from a block boundary and written
 *                    once (every tree points at the same extent; empty files have none), each
 *                    file's named streams right after it (UDF 2.00+). A file of 1 MiB or more
 *                    (FSI_ALIGN_MIN) starts on an even absolute block (a 4 KiB boundary of the
 *                    image; one zero block before it at most), one of 8 MiB or more (FSI_ALIGN_BIG)
 *                    on a multiple of 32 blocks (a 64 KiB boundary; at most 31 zero blocks, under
 *                    0.8 % of the file). Its pages then line up with those of an image file, so
 *                    that a front end can have the kernel copy it whole (copy_file_range) into
 *                    large page-cache folios
 *                    (docs/benchmarks.md). Imported files kept in place (multisession) have none.
 *   tail             the writers' TAIL reservations (UDF: mirror, reserve VDS, last anchor)
 * Each format's own layout is at the top of its writer (iso9660.c, joliet.c, eltorito.c, udf.c).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "writer.h"

#define MAX_WRITERS 4
#define MAX_RESV (FSI_PHASES * MAX_WRITERS + 1)

static const uint16_t META_DESC[] = { 'F', 'i', 'l', 'e', ' ', 's', 'y', 's', 't', 'e', 'm', ' ',
                                      'm', 'e', 't', 'a', 'd', 'a', 't', 'a' };

static const uint16_t BOOT_DESC[] = { 'E', 'l', ' ', 'T', 'o', 'r', 'i', 't', 'o', ' ', 'b', 'o', 'o', 't', ' ',
                                      'i', 'm', 'a', 'g', 'e' };

/* The writers, in chain order: each phase's blocks are taken in this order. */
const fsi_writer_ops *const fsi_writers[] = { &fsi_iso9660_writer, &fsi_eltorito_writer, &fsi_joliet_writer,
                                              &fsi_udf_writer };
const size_t fsi_nwriters = sizeof fsi_writers / sizeof fsi_writers[0];
_Static_assert(sizeof fsi_writers / sizeof fsi_writers[0] <= MAX_WRITERS, "MAX_WRITERS");

/* A range of blocks a writer reserved in one phase (the set terminator: no writer). */
typedef struct resv {
    fsi_writer *w;
    enum fsi_phase ph;
    uint32_t first, count;
} resv;

typedef struct chain {
    fsi_snap s;
    fsi_writer *w[MAX_WRITERS];
    size_t nw;
    resv r[MAX_RESV];
    size_t nr;
    uint64_t next;                  /* the next free relative block */
} chain;

static fsi_status create_writers(chain *c)
{
    for (size_t i = 0; i < fsi_nwriters; i++) {
        const fsi_writer_ops *ops = fsi_writers[i];
        if (!ops->selected(c->s.o))
            continue;
        fsi_writer *w = ops->create(&c->s);
        if (!w)
            return FSI_E_NOMEM;
        w->ops = ops;
        w->s = &c->s;
        c->w[c->nw++] = w;
        if (w->reuse_floor > c->s.reuse_floor)
            c->s.reuse_floor = w->reuse_floor;
        if (w->rewrites)
            c->s.rewritten = w->rewrites;
    }
    return FSI_OK;
}

/* Phase ph: every writer takes its blocks from the next free one, in chain order. The descriptor
 * set is closed by its terminator. */
static fsi_status reserve(chain *c, enum fsi_phase ph)
{
    uint32_t ss = c->s.o->session_start;
    for (size_t i = 0; i < c->nw; i++) {
        fsi_writer *w = c->w[i];
        uint64_t at = c->next;
        fsi_status st = w->ops->reserve(w, ph, &c->next);
        if (st)
            return st;
        if (c->next + ss > UINT32_MAX)
            return fsi_fail(c->s.err, FSI_E_IMAGE_TOO_BIG, 0, NULL);
        if (c->next > at)
            c->r[c->nr++] = (resv){ w, ph, (uint32_t)at, (uint32_t)(c->next - at) };
    }
    if (ph == FSI_PH_DESC && c->nr)
        c->r[c->nr++] = (resv){ NULL, ph, (uint32_t)c->next++, 1 };
    return FSI_OK;
}

/* ---- file data --------------------------------------------------------------------------------- */

typedef struct placer {
    chain *c;
    fsi_plan *p;
    size_t fcap, pcap;
    size_t *poff;                   /* files[i]'s path: paths[poff[i] ..] */
    fsi_u16pool path, paths;        /* the current item's path; every file's */
    size_t plen;
    const fsi_node *n;              /* the current file */
} placer;

/* Data of size bytes from src at the next free block: the file's (name NULL) or its stream name's. */
static fsi_status place(placer *pl, fsi_source *src, uint64_t size, const uint16_t *name, size_t name_len,
                        uint32_t *file)
{
    fsi_plan *p = pl->p;
    uint64_t nb = fsi_blocks_of(size), blk = pl->c->next;
    size_t len = pl->plen + (name ? 1 + name_len : 0);
    if (blk + nb + pl->c->s.o->session_start > UINT32_MAX)
        return fsi_fail(pl->c->s.err, FSI_E_IMAGE_TOO_BIG, 0, pl->n);
    if (!FSI_GROW(p->files, pl->fcap, p->nfiles + 1) || !FSI_GROW(pl->poff, pl->pcap, p->nfiles + 1) ||
        !fsi_pool_reserve(&pl->paths, len))
        return FSI_E_NOMEM;
    fsi_plan_file *pf = &p->files[p->nfiles];
    pf->src = src;
    fsi_source_ref(src);
    pf->size = size;
    pf->first_block = (uint32_t)blk;
    pf->blocks = (uint32_t)nb;
    pl->poff[p->nfiles] = pl->paths.len;
    if (len) {                                  /* boot images have no path */
        uint16_t *d = pl->paths.p + pl->paths.len;
        memcpy(d, pl->path.p, pl->plen * sizeof *d);
        if (name) {
            d[pl->plen] = ':';
            memcpy(d + pl->plen + 1, name, name_len * sizeof *d);
        }
        pl->paths.len += len;
    }
    *file = (uint32_t)p->nfiles++;
    pl->c->next += nb;
    return FSI_OK;
}

/* A named stream's data ("\dir\file:name"), for the writers' streams(). */
static fsi_status place_stream(void *ctx, const fsi_stream *st, uint32_t *file)
{
    return place(ctx, st->src, st->size, st->name, st->name_len, file);
}

/* One file: its data (aligned when large), then what the writers record after it. */
static fsi_status place_file(placer *pl, fsi_pitem *c, uint32_t ci)
{
    const fsi_node *n = c->node;
    fsi_status st = FSI_OK;
    pl->n = n;
    if (n->u.f.size && !c->ref_n) {
        if (n->u.f.size >= FSI_ALIGN_MIN) {
            uint64_t a = n->u.f.size >= FSI_ALIGN_BIG ? 32 : 2, at = pl->c->next + pl->c->s.o->session_start;
            pl->c->next += (a - at % a) % a;
        }
        st = place(pl, n->u.f.src, n->u.f.size, NULL, 0, &c->file);
    }
    for (size_t i = 0; i < pl->c->nw && !st; i++)
        if (pl->c->w[i]->ops->streams)
            st = pl->c->w[i]->ops->streams(pl->c->w[i], ci, place_stream, pl);
    return st;
}

/* The extent list: the metadata, every file with its path. */
static fsi_status extents(placer *pl, uint32_t data_start)
{
    fsi_plan *p = pl->p;
    size_t nboot = pl->c->s.o->boot_count;
    p->next = 1 + p->nfiles;
    p->ext = calloc(p->next + 1, sizeof *p->ext);      /* + the tail, filled in by fsi_plan_build */
    if (!p->ext)
        return FSI_E_NOMEM;
    if (pl->paths.len) {
        uint16_t *shrunk = realloc(pl->paths.p, pl->paths.len * sizeof *shrunk);    /* drop the slack */
        if (shrunk)
            pl->paths.p = shrunk;
    }
    p->paths = pl->paths.p;
    pl->paths.p = NULL;
    fsi_extent_info *e = &p->ext[0];
    e->path = META_DESC;
    e->path_len = sizeof META_DESC / sizeof META_DESC[0];
    e->first_block = p->session_start;
    e->block_count = data_start;
    e->size = (uint64_t)data_start * FSI_BLOCK_SIZE;
    e->is_file = 0;
    for (size_t i = 0; i < p->nfiles; i++) {
        e = &p->ext[1 + i];
        if (i < nboot) {
            e->path = BOOT_DESC;
            e->path_len = sizeof BOOT_DESC / sizeof BOOT_DESC[0];
        } else {
            size_t end = i + 1 < p->nfiles ? pl->poff[i + 1] : pl->paths.len;
            e->path = p->paths + pl->poff[i];
            e->path_len = end - pl->poff[i];
        }
        e->first_block = p->session_start + p->files[i].first_block;
        e->block_count = p->files[i].blocks;
        e->size = p->files[i].size;
        e->is_file = 1;
    }
    return FSI_OK;
}

/* The file data from c->next: El Torito boot images first, in entry order (eltorito.c), then a
 * depth-first walk of the snapshot. */
static fsi_status place_data(chain *c, fsi_plan *p)
{
    typedef struct frame { uint32_t item, next; size_t plen; } frame;
    placer pl = { c, p, 0, 0, NULL, { 0 }, { 0 }, 0, NULL };
    uint32_t data_start = (uint32_t)c->next, file;
    frame *st = NULL;
    size_t stcap = 0, sp = 0;
    fsi_status ret = FSI_OK;
    for (size_t i = 0; i < c->s.o->boot_count && !ret; i++)
        ret = place(&pl, c->s.o->boot[i].src, c->s.o->boot[i].size, NULL, 0, &file);
    if (!ret && !FSI_GROW(st, stcap, 1))
        ret = FSI_E_NOMEM;
    if (!ret)
        st[sp++] = (frame){ 0, 0, 0 };
    while (sp && !ret) {
        frame *f = &st[sp - 1];
        const fsi_pitem *d = &c->s.it[f->item];
        if (f->next == d->nkids) {
            sp--;
            continue;
        }
        uint32_t ci = d->first + f->next++;
        fsi_pitem *it = &c->s.it[ci];
        const fsi_node *n = it->node;
        size_t base = f->plen;
        if (!fsi_pool_reserve(&pl.path, base + 1 + n->name_len)) {
            ret = FSI_E_NOMEM;
            break;
        }
        pl.path.p[base] = '\\';
        memcpy(pl.path.p + base + 1, n->name, n->name_len * sizeof(uint16_t));
        pl.plen = base + 1 + n->name_len;
        if (!n->is_dir)
            ret = place_file(&pl, it, ci);
        else if (!FSI_GROW(st, stcap, sp + 1))
            ret = FSI_E_NOMEM;
        else
            st[sp++] = (frame){ ci, 0, pl.plen };
    }
    if (!ret)
        ret = extents(&pl, data_start);
    free(st);
    free(pl.poff);
    fsi_pool_free(&pl.path);
    fsi_pool_free(&pl.paths);
    return ret;
}

/* ---- rendering ---------------------------------------------------------------------------------- */

/* Every reservation in block order, into the store: before the file data the blocks between and
 * after what writers store are stored zeros (one segment), after it they are not stored. */
static fsi_status render(chain *c, fsi_plan *p)
{
    fsi_meta_store ms;
    if (!fsi_store_init(&ms, p->data_start - 16u + 32u))
        return FSI_E_NOMEM;
    int ok = 1;
    for (size_t i = 0; i < c->nr && ok; i++) {
        const resv *r = &c->r[i];
        int front = r->first < p->data_start;
        ok = front ? fsi_store_zeros_to(&ms, r->first) : fsi_store_skip_to(&ms, r->first);
        ms.end = (uint64_t)r->first + r->count;
        if (ok && r->w) {
            ok = r->w->ops->render(r->w, r->ph, p, &ms);
        } else if (ok) {
            uint8_t blk[FSI_BLOCK_SIZE];
            fsi_write_vd_terminator(blk);
            ok = fsi_store_blocks(&ms, blk, 1);
        }
        if (ok && front)
            ok = fsi_store_zeros_to(&ms, ms.end);
        ms.end = UINT64_MAX;
    }
    if (ok)
        fsi_store_give(&ms, p);
    fsi_store_free(&ms);
    return ok ? FSI_OK : FSI_E_NOMEM;
}

/* Size bound: what the layout can grow beyond what fsi_add_bound counts for later items (units):
 * each writer's slack, and the zeros before large files (place_file), wherever files come to lie. */
static uint64_t slack(const chain *c)
{
    uint64_t s = 0;
    for (size_t i = 0; i < c->nw; i++)
        if (c->w[i]->ops->slack)
            s += c->w[i]->ops->slack(c->w[i]);
    for (size_t i = 0; i < c->s.n; i++) {
        const fsi_node *n = c->s.it[i].node;
        if (!n->is_dir && !c->s.it[i].ref_n && n->u.f.size >= FSI_ALIGN_MIN)
            s += (n->u.f.size >= FSI_ALIGN_BIG ? 31 : 1) * FSI_ONE;
    }
    return s;
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

/* The options a plan cannot be built with. */
static fsi_status check_opts(const fsi_plan_opts *opts, fsi_err *err)
{
    if (!(opts->fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF)))
        return fsi_fail(err, FSI_E_NO_OUTPUT, 0, NULL);
    int trees = (opts->fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET)) != 0;
    if ((trees && (opts->iso_level < 1 || opts->iso_level > 3)) || (opts->volume_name_len && !opts->volume_name))
        return fsi_fail(err, FSI_E_INVALID_PARAM, FSI_FS_ISO9660, NULL);
    if ((opts->fs & FSI_FS_UDF) && !fsi_udf_revision_supported(opts->udf_revision))
        return fsi_fail(err, FSI_E_INVALID_PARAM, FSI_FS_UDF, NULL);
    fsi_status st = fsi_boot_check(opts);
    return st ? fsi_fail(err, st, 0, NULL) : FSI_OK;
}

/* Everything but the options' checks: the writers, the recognition area, the snapshot, the
 * writers' checks and blocks, the file data, the rendering. */
static fsi_status build(chain *c, const fsi_image *img, fsi_plan *p)
{
    const fsi_plan_opts *o = c->s.o;
    fsi_status st = create_writers(c);
    c->next = 16;
    if (!st)
        st = reserve(c, FSI_PH_DESC);
    if (!st)
        st = reserve(c, FSI_PH_VRS);
    if (st)
        return st;
    uint32_t head_new = (uint32_t)(c->next - 16), head_end = (uint32_t)c->next;
    if (o->base) {
        if (o->base_vrs_end > head_end)
            head_end = o->base_vrs_end;
        if (o->session_start < head_end || (c->s.rewritten && o->session_start <= c->s.rewritten) || o->boot_count)
            return fsi_fail(c->s.err, FSI_E_INVALID_PARAM, 0, NULL);
    }
    c->s.head_end = head_end;
    if ((st = fsi_snap_take(&c->s, img->root)))
        return st;
    for (size_t i = 0; i < c->nw; i++)
        if (c->w[i]->ops->check && (st = c->w[i]->ops->check(c->w[i])))
            return st;
    for (enum fsi_phase ph = FSI_PH_META; ph <= FSI_PH_DIRS && !st; ph++)
        st = reserve(c, ph);
    p->data_start = (uint32_t)c->next;
    if (st || (st = place_data(c, p)))
        return st;
    p->data_end = (uint32_t)c->next;
    if ((st = reserve(c, FSI_PH_TAIL)))
        return st;
    p->total_blocks = (uint32_t)c->next;
    if (p->total_blocks > p->data_end) {
        fsi_extent_info *e = &p->ext[p->next++];
        e->path = META_DESC;
        e->path_len = sizeof META_DESC / sizeof META_DESC[0];
        e->first_block = o->session_start + p->data_end;
        e->block_count = p->total_blocks - p->data_end;
        e->size = (uint64_t)e->block_count * FSI_BLOCK_SIZE;
        e->is_file = 0;
    }
    uint32_t spread = 0;
    for (size_t i = 0; i < c->nw; i++) {
        p->bound_spread |= c->w[i]->spread;
        spread += c->w[i]->spread_blocks;
    }
    p->bound_base = (uint64_t)(p->total_blocks - spread) * FSI_ONE + slack(c);
    if ((st = render(c, p)))
        return st;
    if (o->base) {
        p->base = o->base;
        fsi_medium_ref(p->base);
        p->head_end = head_end;
        p->head_new = head_new;
        for (size_t i = 0; i < c->nw; i++)
            if (c->w[i]->ops->rewrite) {
                p->rewritten = c->w[i]->rewrites;
                c->w[i]->ops->rewrite(c->w[i], p->rewritten_blk);
            }
    }
    return FSI_OK;
}

fsi_status fsi_plan_build(const fsi_image *img, const fsi_plan_opts *opts, fsi_plan **out, fsi_err *err)
{
    fsi_err_clear(err);
    if (out)
        *out = NULL;
    if (!img || !opts || !out)
        return fsi_fail(err, FSI_E_INVALID_PARAM, 0, NULL);
    fsi_status st = check_opts(opts, err);
    if (st)
        return st;
    chain c = { 0 };
    c.s.o = opts;
    c.s.err = err;
    c.s.trees = (opts->fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET)) != 0;
    c.s.level = c.s.trees ? opts->iso_level : 3;
    fsi_plan *p = calloc(1, sizeof *p);
    if (p) {
        p->session_start = opts->session_start;
        st = build(&c, img, p);
    } else {
        st = FSI_E_NOMEM;
    }
    for (size_t i = 0; i < c.nw; i++)
        c.w[i]->ops->free(c.w[i]);
    fsi_snap_free(&c.s);
    if (st) {
        if (err && err->code == FSI_OK)
            fsi_err_set(err, st, 0, NULL);
        if (p)
            plan_free(p);
        return st;
    }
    p->refs = 1;
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
    return p->base ? 2u + (p->rewritten ? 1u : 0u) : 1u;
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
        *first = p->rewritten;
        *count = 1;
    }
}

size_t fsi_plan_extent_count(const fsi_plan *p) { return p ? p->next : 0; }

const fsi_extent_info *fsi_plan_extent(const fsi_plan *p, size_t i)
{
    return (p && i < p->next) ? &p->ext[i] : NULL;
}
