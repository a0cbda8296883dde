/*
 * The UDF metadata area (ECMA-167 part 4): the File Set Descriptor and its Terminating Descriptor,
 * every item's (E)FE with its allocation extent descriptors, the stream directories' and streams'
 * EFEs, then the FID streams of every directory and stream directory; and the metadata (mirror) file
 * EFEs of UDF 2.50+. Addresses come from udf.c (fsi_udf_size there); see the top of udf.c for the
 * layout and the choices.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "udf.h"

#define BS FSI_BLOCK_SIZE
#define PERMS UINT32_C(0x14A5)
#define NO_ID UINT32_C(0xFFFFFFFF)

/* ---- (E)FEs and allocation descriptors -------------------------------------------------------- */

static size_t ad_size(int ad_long) { return ad_long ? 16 : 8; }

uint64_t fsi_udf_icb_aeds(uint64_t nad, int efe, int ad_long)
{
    uint64_t sz = ad_size(ad_long);
    uint64_t cap0 = (BS - (efe ? FSI_UDF_EFE_HDR : FSI_UDF_FE_HDR)) / sz, capa = (BS - FSI_UDF_AED_HDR) / sz;
    if (nad <= cap0)
        return 0;
    uint64_t rem = nad - (cap0 - 1);
    return 1 + (rem > capa ? (rem - capa + (capa - 1) - 1) / (capa - 1) : 0);
}

static void put_ad(uint8_t *p, const fsi_udf_icb *c, uint32_t len, uint32_t lb, uint16_t part)
{
    if (c->ad_long) {
        fsi_udf_long_ad(p, len, lb, part, 0);
    } else {
        fsi_put_le32(p, len);
        fsi_put_le32(p + 4, lb);
    }
}

/* The length of the allocation descriptors ending a FE or an AED block (cont), and the AED's tag. */
static void close_ads(uint8_t *fe, uint8_t *cont, uint32_t k, const fsi_udf_icb *c, int rev, size_t lad)
{
    if (k == 0) {
        fsi_put_le32(fe + (c->efe ? 212 : 172), (uint32_t)lad);
        return;
    }
    fsi_put_le32(cont + 20, (uint32_t)lad);
    fsi_udf_tag(cont, 0x102, fsi_udf_tag_version(rev), c->lb + k,
                rev >= 0x201 ? FSI_UDF_AED_HDR + lad : FSI_UDF_AED_HDR);
}

void fsi_udf_render_icb(uint8_t *buf, const fsi_udf_icb *c, int rev)
{
    uint8_t *fe = buf;
    size_t hdr = c->efe ? FSI_UDF_EFE_HDR : FSI_UDF_FE_HDR;
    /* ICB tag (ECMA-167 4/14.6) */
    fsi_put_le16(fe + 16 + 4, 4);               /* strategy type 4 */
    fsi_put_le16(fe + 16 + 8, 1);               /* maximum number of entries */
    fe[16 + 11] = c->file_type;
    fsi_put_le16(fe + 16 + 18, (uint16_t)(c->flags | (c->ad_long ? 1 : 0)));
    fsi_put_le32(fe + 36, NO_ID);
    fsi_put_le32(fe + 40, NO_ID);
    fsi_put_le32(fe + 44, c->perms);
    fsi_put_le16(fe + 48, c->links);
    fsi_put_le64(fe + 56, c->info_len);
    if (c->efe) {
        fsi_put_le64(fe + 64, c->obj_size ? c->obj_size : c->info_len);   /* object size: data + streams */
        fsi_put_le64(fe + 72, c->blocks);
        fsi_udf_timestamp(fe + 80, c->access);
        fsi_udf_timestamp(fe + 92, c->mod);
        fsi_udf_timestamp(fe + 104, c->create);
        fsi_udf_timestamp(fe + 116, c->mod);    /* attribute time */
        fsi_put_le32(fe + 128, 1);              /* checkpoint */
        if (c->sdir)
            fsi_udf_long_ad(fe + 152, BS, c->sdir_lb, c->sdir_part, 0);   /* stream directory ICB */
        fsi_udf_impl_id(fe + 168);
        fsi_put_le64(fe + 200, c->unique);
    } else {
        fsi_put_le64(fe + 64, c->blocks);
        fsi_udf_timestamp(fe + 72, c->access);
        fsi_udf_timestamp(fe + 84, c->mod);
        fsi_udf_timestamp(fe + 96, c->mod);
        fsi_put_le32(fe + 108, 1);
        fsi_udf_impl_id(fe + 128);
        fsi_put_le64(fe + 160, c->unique);
    }
    /* allocation descriptors, continued in AEDs when the FE is full */
    size_t sz = ad_size(c->ad_long);
    uint64_t nad = c->info_len ? (c->info_len + c->max_ext - 1) / c->max_ext : 0;
    uint32_t run = 0;                           /* runs: the current one and the offset in it */
    uint64_t rpos = 0;
    if (c->runs) {
        nad = 0;
        for (uint32_t r = 0; r < c->nruns; r++)
            nad += (c->runs[r].len + c->max_ext - 1) / c->max_ext;
    }
    uint8_t *cont = fe;
    size_t off = hdr, cap = (BS - hdr) / sz, used = 0;
    uint32_t k = 0;
    for (uint64_t i = 0; i < nad; i++) {
        if (used == cap - 1 && nad - i > 1) {
            /* next extent of allocation descriptors: the block after this one */
            put_ad(cont + off + used * sz, c, UINT32_C(3) << 30 | BS, c->lb + k + 1, c->own_part);
            used++;
            close_ads(fe, cont, k, c, rev, used * sz);
            k++;
            cont = buf + (size_t)k * BS;
            off = FSI_UDF_AED_HDR;
            cap = (BS - FSI_UDF_AED_HDR) / sz;
            used = 0;
        }
        if (c->runs) {
            const fsi_disc_extent *r = &c->runs[run];
            uint32_t len = r->len - rpos > c->max_ext ? c->max_ext : (uint32_t)(r->len - rpos);
            put_ad(cont + off + used * sz, c, len, (uint32_t)(r->lba + rpos / BS - c->part_abs), c->data_part);
            used++;
            rpos += len;
            if (rpos == r->len) {
                run++;
                rpos = 0;
            }
            continue;
        }
        uint64_t pos = i * c->max_ext;
        uint32_t len = c->info_len - pos > c->max_ext ? c->max_ext : (uint32_t)(c->info_len - pos);
        put_ad(cont + off + used * sz, c, len, c->data_lb + (uint32_t)(pos / BS), c->data_part);
        used++;
    }
    close_ads(fe, cont, k, c, rev, used * sz);
    size_t fe_lad = k == 0 ? used * sz : (BS - hdr) / sz * sz;
    fsi_udf_tag(fe, c->efe ? 0x10A : 0x105, fsi_udf_tag_version(rev), c->lb, hdr + fe_lad);
}

void fsi_udf_meta_fe(const fsi_udf *x, uint8_t *buf, int is_mirror)
{
    fsi_udf_icb c = { 0 };
    c.efe = 1;
    c.file_type = (uint8_t)(is_mirror ? 251 : 250);
    c.perms = 0;
    c.info_len = (uint64_t)x->area_blocks * BS;
    c.blocks = x->area_blocks;
    c.access = c.mod = c.create = x->w.s->o->creation_time;
    c.lb = (uint32_t)is_mirror + x->lb0;
    c.data_lb = (is_mirror && x->mirror ? x->mirror_at : x->area) - x->part + x->lb0;
    /* extents in whole allocation units */
    c.max_ext = FSI_UDF_MAX_EXTENT / (FSI_UDF_AU * BS) * (FSI_UDF_AU * BS);
    fsi_udf_render_icb(buf, &c, x->rev);
}

/* ---- the file set and directories ------------------------------------------------------------- */

static void write_fsd(const fsi_udf *x, uint8_t *d)
{
    uint16_t name[32];
    size_t n;
    fsi_udf_timestamp(d + 16, x->w.s->o->creation_time);
    fsi_put_le16(d + 28, 3);                    /* interchange level (UDF 2.3.2.1) */
    fsi_put_le16(d + 30, 3);
    fsi_put_le32(d + 32, 1);
    fsi_put_le32(d + 36, 1);
    fsi_put_le32(d + 40, 0);                    /* file set number */
    fsi_put_le32(d + 44, 0);                    /* file set descriptor number */
    fsi_udf_charspec(d + 48);
    fsi_udf_lv_ident(x, d + 112, 128);
    fsi_udf_charspec(d + 240);
    fsi_udf_vol_name(x, name, &n);
    if (n)
        fsi_udf_dstring(d + 304, 32, name, n);
    else
        fsi_udf_lv_ident(x, d + 304, 32);
    fsi_udf_long_ad(d + 400, BS, x->area_lb + x->u[0].fe, (uint16_t)(x->metadata ? 1 : 0), 0);
    fsi_udf_domain_id(d + 416, x->rev);
    fsi_udf_tag(d, 0x100, fsi_udf_tag_version(x->rev), x->area_lb, 512);
}

static size_t write_fid(uint8_t *p, int rev, uint32_t tagloc, uint8_t chars, const uint8_t *id, size_t lfi,
                        uint32_t icb_lb, uint16_t part, uint64_t unique)
{
    size_t len = fsi_udf_fid_len(lfi);
    memset(p, 0, len);
    fsi_put_le16(p + 16, 1);                    /* file version number */
    p[18] = chars;
    p[19] = (uint8_t)lfi;
    fsi_udf_long_ad(p + 20, BS, icb_lb, part, (uint32_t)unique);
    fsi_put_le16(p + 36, 0);                    /* L_IU */
    if (lfi)                                    /* the parent FID has no identifier (id NULL) */
        memcpy(p + 38, id, lfi);
    fsi_udf_tag(p, 0x101, fsi_udf_tag_version(rev), tagloc, len);
    return len;
}

/* A directory's FIDs: the parent FID, then one per child. */
static void render_dir(const fsi_udf *x, uint8_t *buf, size_t di)
{
    const fsi_pitem *it = x->w.s->it, *d = &it[di];
    uint16_t part = (uint16_t)(x->metadata ? 1 : 0);
    uint32_t base = x->area_lb + x->u[di].dir;
    uint8_t id[255];
    size_t pos = write_fid(buf, x->rev, base, 0x0A, NULL, 0, x->area_lb + x->u[d->parent].fe, part,
                           fsi_udf_unique(d->parent));
    for (uint32_t j = 0; j < d->nkids; j++) {
        size_t ci = d->first + j, nl;
        const fsi_node *n = it[ci].node;
        const uint16_t *nm = fsi_udf_name(x, ci, &nl);
        size_t lfi = fsi_udf_cs0(nm, nl, id);
        uint8_t chars = (uint8_t)((n->is_dir ? 0x02 : 0) | (n->hidden ? 0x01 : 0));
        pos += write_fid(buf + pos, x->rev, base + (uint32_t)(pos / BS), chars, id, lfi, x->area_lb + x->u[ci].fe,
                         part, fsi_udf_unique(ci));
    }
}

/* A stream directory's FIDs: the parent FID (the file, not a directory), then one per stream. */
static void render_sdir(const fsi_udf *x, uint8_t *buf, const fsi_psdir *d)
{
    uint16_t part = (uint16_t)(x->metadata ? 1 : 0);
    uint32_t base = x->area_lb + d->dir;
    uint64_t unique = fsi_udf_unique(d->item);
    uint8_t id[255];
    size_t pos = write_fid(buf, x->rev, base, 0x08, NULL, 0, x->area_lb + x->u[d->item].fe, part, unique);
    for (uint32_t j = 0; j < d->n; j++) {
        const fsi_stream *st = fsi_udf_stream(x, d, j);
        size_t lfi = fsi_udf_cs0(st->name, st->name_len, id);
        pos += write_fid(buf + pos, x->rev, base + (uint32_t)(pos / BS), 0, id, lfi,
                         x->area_lb + x->ps[d->first + j].fe, part, unique);
    }
}

/* ---- (E)FEs of items ---------------------------------------------------------------------------- */

/* What every (E)FE of item i has: permissions, times, unique ID, where it is. */
static fsi_udf_icb icb_of(const fsi_udf *x, size_t i)
{
    const fsi_node *n = x->w.s->it[i].node;
    fsi_udf_icb c = { 0 };
    c.efe = x->rev >= 0x200;
    c.perms = PERMS;
    c.access = n->times.access;
    c.mod = n->times.modification;
    c.create = n->times.creation;
    c.unique = fsi_udf_unique(i);
    c.own_part = (uint16_t)(x->metadata ? 1 : 0);
    c.max_ext = FSI_UDF_MAX_EXTENT;
    return c;
}

/* The stream directory EFE of d and its streams' EFEs (with their AEDs) into zeroed buf. */
static void render_streams(const fsi_udf *x, const fsi_plan *p, uint8_t *buf, const fsi_psdir *d)
{
    fsi_udf_icb c = icb_of(x, d->item);         /* streams share their file's unique ID */
    c.efe = 1;
    c.file_type = 13;                           /* stream directory (ECMA-167 4/14.6.6) */
    c.links = 0;                                /* no FID names it (ECMA-167 4/14.9.6) */
    c.info_len = d->dsize;
    c.blocks = fsi_blocks_of(d->dsize);
    c.lb = x->area_lb + d->fe;
    c.data_lb = x->area_lb + d->dir;
    fsi_udf_render_icb(buf, &c, x->rev);
    size_t off = BS;
    for (uint32_t j = 0; j < d->n; j++) {
        const fsi_pstream *ps = &x->ps[d->first + j];
        const fsi_stream *st = fsi_udf_stream(x, d, j);
        c.file_type = 5;
        c.flags = 0x2000;                       /* ICB tag flag: a stream (ECMA-167 4/14.6.8) */
        c.links = 1;
        c.info_len = st->size;
        c.blocks = fsi_blocks_of(st->size);
        c.lb = x->area_lb + ps->fe;
        c.ad_long = x->metadata;
        c.data_part = 0;
        c.data_lb = ps->file != FSI_NONE ? p->files[ps->file].first_block - x->part + x->lb0 : 0;
        fsi_udf_render_icb(buf + off, &c, x->rev);
        off += (size_t)(1 + ps->aeds) * BS;
    }
}

/* Item i's (E)FE (with its AEDs) into zeroed buf; its stream directory, if any: *sd. */
static void render_item(const fsi_udf *x, const fsi_plan *p, uint8_t *buf, size_t i, const fsi_psdir *sd)
{
    const fsi_pitem *c = &x->w.s->it[i];
    const fsi_node *n = c->node;
    fsi_udf_icb e = icb_of(x, i);
    e.links = x->u[i].links;
    e.lb = x->area_lb + x->u[i].fe;
    if (n->is_dir) {
        e.file_type = 4;
        e.info_len = x->u[i].dsize;
        e.data_lb = x->area_lb + x->u[i].dir;
    } else {
        /* real-time files: file type 249 from UDF 2.01 (UDF 2.01 3.3.2.1) */
        e.file_type = (uint8_t)(n->realtime && x->rev >= 0x201 ? 249 : 5);
        e.info_len = n->u.f.size;
        e.ad_long = x->metadata;
        e.data_part = 0;
        if (c->file != FSI_NONE)
            e.data_lb = p->files[c->file].first_block - x->part + x->lb0;
        if (c->ref_n) {
            e.runs = x->w.s->rext + c->ref_first;
            e.nruns = c->ref_n;
            e.part_abs = fsi_udf_abs(x, x->part) - x->lb0;
        }
        if (sd) {
            e.sdir = 1;
            e.sdir_lb = x->area_lb + sd->fe;
            e.sdir_part = e.own_part;
            e.obj_size = n->u.f.size;           /* the data stream and every named stream */
            for (uint32_t j = 0; j < sd->n; j++)
                e.obj_size += fsi_udf_stream(x, sd, j)->size;
        }
    }
    e.blocks = fsi_blocks_of(e.info_len);
    fsi_udf_render_icb(buf, &e, x->rev);
}

/* Blocks of a stream directory's EFE and its streams' EFEs with their AEDs. */
static size_t sdir_blocks(const fsi_udf *x, const fsi_psdir *d)
{
    size_t s = 1;
    for (uint32_t j = 0; j < d->n; j++)
        s += 1 + (size_t)x->ps[d->first + j].aeds;
    return s;
}

int fsi_udf_render_area(fsi_udf *x, const fsi_plan *p, fsi_meta_store *ms)
{
    const fsi_snap *s = x->w.s;
    uint64_t maxb = 2 * BS;                     /* FSD + TD */
    for (size_t i = 0; i < s->n; i++) {
        uint64_t b = (uint64_t)(1 + x->u[i].aeds) * BS;
        if (s->it[i].node->is_dir && fsi_blocks_of(x->u[i].dsize) * BS > b)
            b = fsi_blocks_of(x->u[i].dsize) * BS;
        maxb = b > maxb ? b : maxb;
    }
    for (size_t k = 0; k < x->nsd; k++) {
        uint64_t b = sdir_blocks(x, &x->sd[k]) * BS, f = fsi_blocks_of(x->sd[k].dsize) * BS;
        b = f > b ? f : b;
        maxb = b > maxb ? b : maxb;
    }
    uint8_t *buf = maxb <= SIZE_MAX ? calloc(1, (size_t)maxb) : NULL;
    if (!buf)
        return 0;
    int ok = 0;
    size_t sdi = 0;                             /* next stream directory (item order) */
    if (!fsi_store_zeros_to(ms, x->area))
        goto out;
    x->area_store = ms->nblk;
    write_fsd(x, buf);
    fsi_udf_write_td(x->rev, buf + BS, x->area_lb + 1);
    if (!fsi_store_blocks(ms, buf, 2))
        goto out;
    for (size_t i = 0; i < s->n; i++) {
        const fsi_psdir *sd = sdi < x->nsd && x->sd[sdi].item == i ? &x->sd[sdi++] : NULL;
        size_t nb = 1 + x->u[i].aeds;
        memset(buf, 0, nb * BS);
        render_item(x, p, buf, i, sd);
        if (!fsi_store_blocks(ms, buf, nb))
            goto out;
        if (sd) {
            nb = sdir_blocks(x, sd);
            memset(buf, 0, nb * BS);
            render_streams(x, p, buf, sd);
            if (!fsi_store_blocks(ms, buf, nb))
                goto out;
        }
    }
    for (size_t i = 0; i < s->n; i++) {
        if (!s->it[i].node->is_dir)
            continue;
        size_t nb = (size_t)fsi_blocks_of(x->u[i].dsize);
        memset(buf, 0, nb * BS);
        render_dir(x, buf, i);
        if (!fsi_store_blocks(ms, buf, nb))
            goto out;
    }
    for (size_t k = 0; k < x->nsd; k++) {
        size_t nb = (size_t)fsi_blocks_of(x->sd[k].dsize);
        memset(buf, 0, nb * BS);
        render_sdir(x, buf, &x->sd[k]);
        if (!fsi_store_blocks(ms, buf, nb))
            goto out;
    }
    ok = fsi_store_zeros_to(ms, x->area + x->area_blocks);
out:
    free(buf);
    return ok;
}
