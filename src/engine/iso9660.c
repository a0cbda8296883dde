/*
 * ISO 9660 (ECMA-119): the primary volume descriptor and the ISO 9660 directory hierarchy, and the
 * machinery of an ECMA-119 hierarchy that Joliet's (joliet.c) shares: directory numbering in path
 * table order, directory extents and path tables measured, placed and rendered.
 *
 * Layout (relative blocks; every LBA written is session_start + relative block):
 *   16               primary volume descriptor (always when ISO 9660 or Joliet is written: readers
 *                    need it; it holds the ISO 9660 tree)
 *   path tables      type L, then type M, each from a block boundary, after the UDF metadata (if any)
 *   directories      all directories in path table order, after every path table (Joliet's too)
 * The hierarchy is the snapshot's: items breadth first in ISO 9660 order (snapshot.c), every child
 * of a directory in it. A file's records point at its data (placed once by the plan, shared by every
 * tree), or at its old extents when an imported file stays in place; at level 3 a file of more than
 * 4 GiB - 2048 bytes gets one record per part of at most that (multi-extent, 9.1.6 bit 7).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "writer.h"

#define PART_BYTES UINT64_C(0xFFFFF800)     /* multi-extent part size (level 3) */
#define PART_BLOCKS (uint32_t)(PART_BYTES / FSI_BLOCK_SIZE)
/* Bytes the records of a directory's other items can grow when one is added: a name that was unique
 * gets a numeric tail, and a tail moving up a digit (~9 -> ~10) takes one more character where the
 * name part is short (names.c); a handful of records, one or two bytes each (Joliet: twice). */
#define RENUMBER 64u
#define ID_MAX (2 * FSI_JOLIET_MAX + 8 + 2 * FSI_NAME_MAX)

uint64_t fsi_hier_parts(int level, uint64_t size)
{
    return level == 3 && size > UINT32_MAX ? (size + PART_BYTES - 1) / PART_BYTES : 1;
}

/* ISO 9660 directory records of a file: one per part (level 3), of its data or its old runs. */
static uint64_t parts_of(const fsi_hier *h, const fsi_pitem *c)
{
    const fsi_snap *s = h->s;
    if (!c->ref_n)
        return fsi_hier_parts(s->level, c->node->u.f.size);
    uint64_t n = 0;
    for (uint32_t k = 0; k < c->ref_n; k++)
        n += fsi_hier_parts(s->level, s->rext[c->ref_first + k].len);
    return n;
}

static const fsi_pitem *child(const fsi_hier *h, const fsi_pitem *d, uint32_t j)
{
    return &h->s->it[h->order ? h->order[d->first + j] : d->first + j];
}

/* The identifier of item c (";1" after a file's name) into out; its length in bytes. */
static size_t ident(const fsi_hier *h, const fsi_pitem *c, uint8_t *out)
{
    const fsi_mapped *m = &h->name[c - h->s->it];
    const uint16_t *s = h->pool->p + m->off;
    size_t n = m->len;
    for (size_t i = 0; i < n; i++) {
        if (h->joliet)
            fsi_put_be16(out + 2 * i, s[i]);
        else
            out[i] = (uint8_t)s[i];
    }
    n *= h->joliet ? 2 : 1;
    if (!c->node->is_dir) {
        static const uint8_t v1[2][4] = { { ';', '1' }, { 0, ';', 0, '1' } };
        memcpy(out + n, v1[h->joliet], h->joliet ? 4 : 2);
        n += h->joliet ? 4 : 2;
    }
    return n;
}

static size_t ident_len(const fsi_hier *h, const fsi_pitem *c)
{
    size_t n = h->name[c - h->s->it].len;
    return h->joliet ? 2 * n + (c->node->is_dir ? 0u : 4u) : n + (c->node->is_dir ? 0u : 2u);
}

/* ---- numbering and measuring ---------------------------------------------------------------- */

fsi_status fsi_hier_number(fsi_hier *h, unsigned number_fs)
{
    const fsi_snap *s = h->s;
    size_t nd = 0;
    for (size_t i = 0; i < s->n; i++)
        nd += s->it[i].node->is_dir;
    h->ndirs = nd;
    h->dirs = malloc(nd * sizeof *h->dirs);
    h->d = calloc(s->n, sizeof *h->d);
    if (!h->dirs || !h->d)
        return FSI_E_NOMEM;
    /* breadth first in record order (for ISO 9660 the snapshot's own order) */
    size_t w = 0;
    h->dirs[w++] = 0;
    h->d[0].num = 1;
    for (size_t r = 0; r < w; r++) {
        const fsi_pitem *d = &s->it[h->dirs[r]];
        for (uint32_t j = 0; j < d->nkids; j++) {
            const fsi_pitem *c = child(h, d, j);
            if (c->node->is_dir) {
                h->dirs[w] = (uint32_t)(c - s->it);
                h->d[h->dirs[w]].num = (uint32_t)(w + 1);
                w++;
            }
        }
    }
    /* Path table parent numbers are 16 bits (ECMA-119 9.4.5). Strict mode refuses a directory
     * whose parent number exceeds 65535; otherwise the number is clamped to 65535 when written
     * (readers that matter locate directories through the directory records, not through the
     * path table parent numbers, and accept such tables). */
    if (s->o->strict)
        for (size_t i = 1; i < nd; i++) {
            const fsi_pitem *d = &s->it[h->dirs[i]];
            if (h->d[d->parent].num > 65535)
                return fsi_fail(s->err, FSI_E_TOO_MANY_DIRS, number_fs, d->node);
        }
    return FSI_OK;
}

/* Bytes of a directory's extent with its records in record order, or (snap_order) in the snapshot's
 * order: packed without straddling blocks. */
static uint64_t pack(const fsi_hier *h, const fsi_pitem *d, int snap_order)
{
    uint64_t pos = 2 * fsi_dirrec_len(1);
    for (uint32_t j = 0; j < d->nkids; j++) {
        const fsi_pitem *c = snap_order ? &h->s->it[d->first + j] : child(h, d, j);
        size_t len = fsi_dirrec_len(ident_len(h, c));
        uint64_t parts = c->node->is_dir ? 1 : parts_of(h, c);
        for (uint64_t p = 0; p < parts; p++)
            pos = fsi_dirrec_place(pos, len) + len;
    }
    return fsi_blocks_of(pos) * FSI_BLOCK_SIZE;
}

fsi_status fsi_hier_measure(fsi_hier *h)
{
    const fsi_snap *s = h->s;
    uint64_t pt = 0;
    for (size_t i = 0; i < h->ndirs; i++) {
        const fsi_pitem *d = &s->it[h->dirs[i]];
        /* Joliet's records are in Joliet order; its extent is never made smaller than they take in
         * ISO 9660 order, in which it was measured before: where that was enough, images stay as
         * they were */
        uint64_t size = pack(h, d, 0);
        if (h->order) {
            uint64_t snap = pack(h, d, 1);
            size = snap > size ? snap : size;
        }
        if (size > UINT32_MAX - FSI_BLOCK_SIZE)
            return fsi_fail(s->err, FSI_E_IMAGE_TOO_BIG, h->fs, d->node);
        h->d[h->dirs[i]].size = (uint32_t)size;
        pt += fsi_pathrec_len(i == 0 ? 1 : ident_len(h, d));
    }
    if (pt > UINT32_MAX)
        return fsi_fail(s->err, FSI_E_IMAGE_TOO_BIG, 0, NULL);
    h->pt_size = (uint32_t)pt;
    return FSI_OK;
}

/* ---- placing and rendering ------------------------------------------------------------------ */

static int render_tables(const fsi_hier *h, fsi_meta_store *ms)
{
    const fsi_snap *s = h->s;
    uint32_t ss = s->o->session_start;
    size_t nb = (size_t)fsi_blocks_of(h->pt_size);
    uint8_t *buf = malloc(nb * FSI_BLOCK_SIZE);
    uint8_t id[ID_MAX];
    int ok = buf != NULL;
    for (int msb = 0; ok && msb < 2; msb++) {
        memset(buf, 0, nb * FSI_BLOCK_SIZE);
        size_t off = 0;
        for (size_t i = 0; i < h->ndirs; i++) {
            const fsi_pitem *d = &s->it[h->dirs[i]];
            size_t idl = 1;
            if (i == 0)
                id[0] = 0;
            else
                idl = ident(h, d, id);
            uint32_t pn = h->d[d->parent].num;
            uint16_t parent = (uint16_t)(pn > 65535 ? 65535 : pn);    /* relaxed mode: clamped */
            off += fsi_write_pathrec(buf + off, msb, ss + h->d[h->dirs[i]].lba, parent, id, idl);
        }
        ok = fsi_store_blocks(ms, buf, nb);
    }
    free(buf);
    return ok;
}

/* The records of a file c with identifier id (idl bytes) from pos in buf; the new position. */
static uint64_t file_records(const fsi_hier *h, const fsi_plan *p, uint8_t *buf, uint64_t pos,
                             const fsi_pitem *c, const uint8_t *id, size_t idl)
{
    const fsi_snap *s = h->s;
    const fsi_node *n = c->node;
    size_t len = fsi_dirrec_len(idl);
    uint8_t flags = n->hidden ? 0x01 : 0;
    fsi_time t = n->times.modification;
    /* the file's data (none: an empty file, at 0), or (imported and kept in place) its old runs;
     * each in parts */
    uint32_t nruns = c->ref_n ? c->ref_n : 1;
    int none = !c->ref_n && c->file == FSI_NONE;
    for (uint32_t k = 0; k < nruns; k++) {
        uint64_t size = c->ref_n ? s->rext[c->ref_first + k].len : n->u.f.size;
        uint64_t lba = c->ref_n ? s->rext[c->ref_first + k].lba
                                : none ? 0 : (uint32_t)(s->o->session_start + p->files[c->file].first_block);
        uint64_t parts = fsi_hier_parts(s->level, size);
        for (uint64_t q = 0; q < parts; q++) {
            uint32_t psize = (uint32_t)(q + 1 < parts ? PART_BYTES : size - q * PART_BYTES);
            int last = k + 1 == nruns && q + 1 == parts;
            pos = fsi_dirrec_place(pos, len);
            pos += fsi_write_dirrec(buf + pos, none ? 0 : (uint32_t)(lba + q * PART_BLOCKS), psize, t,
                                    (uint8_t)(flags | (last ? 0 : 0x80)), id, idl);
        }
    }
    return pos;
}

/* One directory extent into buf (zeroed, its size). */
static void render_dir(const fsi_hier *h, const fsi_plan *p, uint8_t *buf, const fsi_pitem *d)
{
    const fsi_snap *s = h->s;
    uint32_t ss = s->o->session_start;
    const fsi_ecma_dir *e = &h->d[d - s->it], *pe = &h->d[d->parent];
    static const uint8_t dot = 0, dotdot = 1;
    uint64_t pos = 0;
    pos += fsi_write_dirrec(buf + pos, ss + e->lba, e->size, d->node->times.modification, 0x02, &dot, 1);
    pos += fsi_write_dirrec(buf + pos, ss + pe->lba, pe->size, s->it[d->parent].node->times.modification, 0x02,
                            &dotdot, 1);
    uint8_t id[ID_MAX];
    for (uint32_t j = 0; j < d->nkids; j++) {
        const fsi_pitem *c = child(h, d, j);
        const fsi_node *n = c->node;
        size_t idl = ident(h, c, id);
        if (!n->is_dir) {
            pos = file_records(h, p, buf, pos, c, id, idl);
            continue;
        }
        const fsi_ecma_dir *ce = &h->d[c - s->it];
        pos = fsi_dirrec_place(pos, fsi_dirrec_len(idl));
        pos += fsi_write_dirrec(buf + pos, ss + ce->lba, ce->size, n->times.modification,
                                (uint8_t)((n->hidden ? 0x01 : 0) | 0x02), id, idl);
    }
}

static int render_dirs(const fsi_hier *h, const fsi_plan *p, fsi_meta_store *ms)
{
    size_t max = 0;
    for (size_t i = 0; i < h->ndirs; i++)
        if (h->d[h->dirs[i]].size > max)
            max = h->d[h->dirs[i]].size;
    uint8_t *buf = malloc(max);
    int ok = buf != NULL;
    for (size_t i = 0; ok && i < h->ndirs; i++) {
        const fsi_pitem *d = &h->s->it[h->dirs[i]];
        uint32_t size = h->d[h->dirs[i]].size;
        memset(buf, 0, size);
        render_dir(h, p, buf, d);
        ok = fsi_store_blocks(ms, buf, size / FSI_BLOCK_SIZE);
    }
    free(buf);
    return ok;
}

/* The hierarchy's volume descriptor: the PVD (ISO 9660) or Joliet's SVD. */
static int render_vd(const fsi_hier *h, const fsi_plan *p, fsi_meta_store *ms)
{
    const fsi_plan_opts *o = h->s->o;
    uint32_t ss = o->session_start;
    uint8_t blk[FSI_BLOCK_SIZE], vid[32];
    fsi_vd_info vi = { 0 };
    if (h->joliet)
        fsi_volume_id_joliet(o->volume_name, o->volume_name_len, vid);
    else
        fsi_volume_id_iso(o->volume_name, o->volume_name_len, vid);
    vi.joliet = h->joliet;
    vi.volume_id = vid;
    vi.volume_space = ss + p->total_blocks;
    vi.root_time = h->s->it[0].node->times.modification;
    vi.creation = o->creation_time;
    vi.path_table_size = h->pt_size;
    vi.path_l = ss + h->pt_l;
    vi.path_m = ss + h->pt_m;
    vi.root_lba = ss + h->d[0].lba;
    vi.root_size = h->d[0].size;
    fsi_write_vd(blk, &vi);
    return fsi_store_blocks(ms, blk, 1);
}

fsi_status fsi_hier_reserve(fsi_writer *w, enum fsi_phase ph, uint64_t *next)
{
    fsi_hier *h = &((fsi_hier_writer *)w)->h;
    if (ph == FSI_PH_DESC) {
        h->vd = (uint32_t)(*next)++;
    } else if (ph == FSI_PH_TABLES) {
        uint64_t nb = fsi_blocks_of(h->pt_size);
        h->pt_l = (uint32_t)*next;
        h->pt_m = (uint32_t)(*next + nb);
        *next += 2 * nb;
    } else if (ph == FSI_PH_DIRS) {
        for (size_t i = 0; i < h->ndirs && *next <= UINT32_MAX; i++) {
            fsi_ecma_dir *e = &h->d[h->dirs[i]];
            e->lba = (uint32_t)*next;
            *next += e->size / FSI_BLOCK_SIZE;
        }
    }
    return FSI_OK;
}

int fsi_hier_render(fsi_writer *w, enum fsi_phase ph, const fsi_plan *p, fsi_meta_store *ms)
{
    const fsi_hier *h = &((fsi_hier_writer *)w)->h;
    return ph == FSI_PH_DESC ? render_vd(h, p, ms) : ph == FSI_PH_TABLES ? render_tables(h, ms) : render_dirs(h, p, ms);
}

void fsi_hier_free(fsi_hier *h)
{
    free(h->dirs);
    free(h->d);
}

/* ---- size bound (engine.h: fsi_size_bound) ------------------------------------------------------ */

/* The longest directory record of an ISO 9660 level (a file's "8.3;1" or 30 + ";1") or of Joliet (64
 * units and ";1"); directories' are shorter. */
static size_t rec_max(int joliet, int level) { return fsi_dirrec_len(joliet ? 132 : level == 1 ? 14 : 32); }

/* A record does not straddle blocks (ECMA-119 6.8.1.1), so a directory block ends only before a
 * record that does not fit: every block but the last holds more than BLOCK - rec_max bytes, and a
 * directory of S bytes of records takes at most S / fill + 1 blocks. Adding a record of r bytes
 * raises that by r / fill; its slack is the rest. */
static uint64_t dir_fill(int joliet, int level) { return FSI_BLOCK_SIZE - rec_max(joliet, level) + 1; }

uint64_t fsi_hier_slack(const fsi_writer *w)
{
    const fsi_hier *h = &((const fsi_hier_writer *)w)->h;
    uint64_t s = 0, fill = dir_fill(h->joliet, w->s->level);
    for (size_t i = 0; i < h->ndirs; i++) {
        const fsi_pitem *d = &h->s->it[h->dirs[i]];
        uint64_t sum = 2 * fsi_dirrec_len(1);
        for (uint32_t j = 0; j < d->nkids; j++) {
            const fsi_pitem *c = &h->s->it[d->first + j];
            sum += (c->node->is_dir ? 1 : parts_of(h, c)) * fsi_dirrec_len(ident_len(h, c));
        }
        s += fsi_bytes_slack(sum, fill, h->d[h->dirs[i]].size / FSI_BLOCK_SIZE);
    }
    return s + 2 * fsi_bytes_slack(h->pt_size, FSI_BLOCK_SIZE, fsi_blocks_of(h->pt_size));  /* L and M */
}

uint64_t fsi_hier_item_bound(int joliet, int level, uint64_t parts, size_t rec, size_t pathrec, int is_dir)
{
    uint64_t fill = dir_fill(joliet, level);
    uint64_t u = fsi_units(parts * rec + RENUMBER, fill);
    if (is_dir)                                 /* its extent: "." and "..", the last block; path tables */
        u += fsi_units(2 * fsi_dirrec_len(1), fill) + FSI_ONE + 2 * fsi_units(pathrec + RENUMBER, FSI_BLOCK_SIZE);
    return u;
}

/* ---- the ISO 9660 writer ---------------------------------------------------------------------- */

static int iso_selected(const fsi_plan_opts *o) { return (o->fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET)) != 0; }

static fsi_writer *iso_create(const fsi_snap *s)
{
    fsi_hier_writer *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->h.s = s;
    x->h.fs = FSI_FS_ISO9660;
    x->h.pool = &s->pool;
    return &x->w;
}

static fsi_status iso_check(fsi_writer *w)
{
    fsi_hier *h = &((fsi_hier_writer *)w)->h;
    const fsi_snap *s = w->s;
    h->name = s->iso;                           /* the snapshot's, now that it is taken */
    fsi_status st = fsi_hier_number(h, s->o->fs & FSI_FS_ISO9660 ? FSI_FS_ISO9660 : FSI_FS_JOLIET);
    return st ? st : fsi_hier_measure(h);
}

/* The ISO 9660 records are counted whenever ISO 9660 or Joliet is written: Joliet's path table
 * order needs them. */
static uint64_t iso_item_bound(const fsi_plan_opts *o, const fsi_node *n, int level)
{
    if (!iso_selected(o))
        return 0;
    uint64_t parts = fsi_hier_parts(level, n->is_dir ? 0 : n->u.f.size);
    return fsi_hier_item_bound(0, level, parts, rec_max(0, level), fsi_pathrec_len(level == 1 ? 8 : 31), n->is_dir);
}

static void iso_free(fsi_writer *w)
{
    fsi_hier_free(&((fsi_hier_writer *)w)->h);
    free(w);
}

const fsi_writer_ops fsi_iso9660_writer = {
    .name = "ISO 9660",
    .selected = iso_selected,
    .create = iso_create,
    .check = iso_check,
    .reserve = fsi_hier_reserve,
    .render = fsi_hier_render,
    .slack = fsi_hier_slack,
    .item_bound = iso_item_bound,
    .free = iso_free,
};
