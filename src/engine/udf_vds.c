/*
 * UDF volume structures (ECMA-167 parts 2 and 3): the Volume Recognition Sequence, the Volume
 * Descriptor Sequences (PVD, IUVD, PD, LVD, USD, TD), the Logical Volume Integrity Sequence (LVID,
 * TD), the Anchor Volume Descriptor Pointers, and the volume identifiers they carry. Addresses come
 * from udf.c; see the top of udf.c for the layout and the choices.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "udf.h"

#define BS FSI_BLOCK_SIZE
#define LVIS_BLOCKS 4u
#define NO_ID UINT32_C(0xFFFFFFFF)

/* ---- identifiers ------------------------------------------------------------------------------- */

void fsi_udf_vol_name(const fsi_udf *x, uint16_t *out, size_t *len)
{
    const fsi_plan_opts *o = x->w.s->o;
    *len = fsi_volume_name(FSI_FS_UDF, o->volume_name, o->volume_name_len, out, 32);
    if (*len > 32)
        *len = 32;
}

/* 16 hex characters, unique per image: creation time and a hash of the volume name (UDF 2.2.2.5) */
static void vol_set_id(const fsi_udf *x, uint16_t *out)
{
    static const char hex[] = "0123456789abcdef";
    const fsi_plan_opts *o = x->w.s->o;
    int64_t secs = (o->creation_time - FSI_TIME_UNIX_EPOCH) / 10000000;
    uint32_t t = (uint32_t)secs;
    uint32_t h = fsi_name_hash(o->volume_name, o->volume_name_len) ^ (uint32_t)(o->creation_time % 10000000);
    for (int i = 0; i < 8; i++) {
        out[i] = (uint16_t)hex[(t >> (28 - 4 * i)) & 15];
        out[8 + i] = (uint16_t)hex[(h >> (28 - 4 * i)) & 15];
    }
}

void fsi_udf_lv_ident(const fsi_udf *x, uint8_t *f, size_t flen)
{
    uint16_t name[32];
    size_t n;
    fsi_udf_vol_name(x, name, &n);
    if (!n) {
        /* the logical volume identifier shall not be empty (UDF 2.2.4.3): the volume set ID */
        vol_set_id(x, name);
        n = 16;
    }
    fsi_udf_dstring(f, flen, name, n);
}

/* ---- volume descriptors ------------------------------------------------------------------------- */

static void write_pvd(const fsi_udf *x, uint8_t *d, uint32_t loc)
{
    uint16_t vsid[16 + 32];
    size_t n;
    fsi_put_le32(d + 16, 0);                    /* volume descriptor sequence number */
    fsi_put_le32(d + 20, 0);                    /* primary volume descriptor number */
    fsi_udf_lv_ident(x, d + 24, 32);
    fsi_put_le16(d + 56, 1);                    /* volume sequence number */
    fsi_put_le16(d + 58, 1);
    fsi_put_le16(d + 60, 2);                    /* interchange level: single volume (UDF 2.2.2.1) */
    fsi_put_le16(d + 62, 3);
    fsi_put_le32(d + 64, 1);                    /* character set list: CS0 */
    fsi_put_le32(d + 68, 1);
    vol_set_id(x, vsid);
    fsi_udf_vol_name(x, vsid + 16, &n);
    fsi_udf_dstring(d + 72, 128, vsid, 16 + n);
    fsi_udf_charspec(d + 200);
    fsi_udf_charspec(d + 264);
    fsi_udf_impl_id(d + 344);                   /* application identifier */
    fsi_udf_timestamp(d + 376, x->w.s->o->creation_time);
    fsi_udf_impl_id(d + 388);
    fsi_put_le16(d + 488, 1);                   /* volume set identification is common */
    fsi_udf_tag(d, 1, fsi_udf_tag_version(x->rev), loc, 512);
}

static void write_iuvd(const fsi_udf *x, uint8_t *d, uint32_t loc)
{
    fsi_put_le32(d + 16, 1);
    fsi_udf_udf_id(d + 20, "*UDF LV Info", x->rev);
    fsi_udf_charspec(d + 52);
    fsi_udf_lv_ident(x, d + 116, 128);
    /* LVInfo1..3 (owner, organization, contact): empty */
    fsi_udf_impl_id(d + 352);
    fsi_udf_tag(d, 4, fsi_udf_tag_version(x->rev), loc, 512);
}

static void write_pd(const fsi_udf *x, uint8_t *d, uint32_t loc)
{
    fsi_put_le32(d + 16, 2);
    fsi_put_le16(d + 20, 1);                    /* partition flags: space allocated */
    fsi_put_le16(d + 22, 0);                    /* partition number */
    fsi_udf_regid(d + 24, x->rev >= 0x200 ? "+NSR03" : "+NSR02", NULL);
    /* partition header descriptor: no space tables or bitmaps on read-only media */
    fsi_put_le32(d + 184, 1);                   /* access type: read only */
    fsi_put_le32(d + 188, fsi_udf_abs(x, x->part) - x->lb0);
    fsi_put_le32(d + 192, x->part_len);
    fsi_udf_impl_id(d + 196);
    fsi_udf_tag(d, 5, fsi_udf_tag_version(x->rev), loc, 512);
}

static void write_lvd(const fsi_udf *x, uint8_t *d, uint32_t loc)
{
    fsi_put_le32(d + 16, 3);
    fsi_udf_charspec(d + 20);
    fsi_udf_lv_ident(x, d + 84, 128);
    fsi_put_le32(d + 212, BS);
    fsi_udf_domain_id(d + 216, x->rev);
    fsi_udf_long_ad(d + 248, 2 * BS, x->area_lb, (uint16_t)(x->metadata ? 1 : 0), 0); /* FSD and TD */
    uint32_t mtl = x->metadata ? 6 + 64 : 6;
    fsi_put_le32(d + 264, mtl);
    fsi_put_le32(d + 268, x->metadata ? 2 : 1);
    fsi_udf_impl_id(d + 272);
    fsi_udf_extent_ad(d + 432, LVIS_BLOCKS * BS, fsi_udf_abs(x, x->lvis));
    uint8_t *m = d + 440;
    m[0] = 1;                                   /* type 1: the physical partition */
    m[1] = 6;
    fsi_put_le16(m + 2, 1);                     /* volume sequence number */
    fsi_put_le16(m + 4, 0);                     /* partition number */
    if (x->metadata) {
        m += 6;
        m[0] = 2;
        m[1] = 64;
        fsi_udf_udf_id(m + 4, "*UDF Metadata Partition", x->rev);
        fsi_put_le16(m + 36, 1);
        fsi_put_le16(m + 38, 0);
        fsi_put_le32(m + 40, x->lb0);           /* metadata file EFE: partition block 0 (+ lb0) */
        fsi_put_le32(m + 44, x->lb0 + 1);       /* metadata mirror file EFE */
        fsi_put_le32(m + 48, NO_ID);            /* no metadata bitmap file (read-only) */
        fsi_put_le32(m + 52, FSI_UDF_AU);       /* allocation unit size */
        fsi_put_le16(m + 56, FSI_UDF_AU);       /* alignment unit size */
        m[58] = (uint8_t)(x->mirror ? 1 : 0);   /* duplicate metadata flag */
    }
    fsi_udf_tag(d, 6, fsi_udf_tag_version(x->rev), loc, 440 + mtl);
}

static void write_usd(const fsi_udf *x, uint8_t *d, uint32_t loc)
{
    fsi_put_le32(d + 16, 4);
    fsi_put_le32(d + 20, 0);                    /* no unallocated volume space */
    fsi_udf_tag(d, 7, fsi_udf_tag_version(x->rev), loc, 24);
}

void fsi_udf_write_td(int rev, uint8_t *d, uint32_t loc) { fsi_udf_tag(d, 8, fsi_udf_tag_version(rev), loc, 512); }

size_t fsi_udf_write_lvid(uint8_t *d, const fsi_udf_lvid *l)
{
    uint32_t n = l->nparts;
    fsi_udf_timestamp(d + 16, l->time);
    fsi_put_le32(d + 28, 1);                    /* close integrity */
    fsi_put_le64(d + 40, l->next_unique);       /* logical volume header descriptor */
    fsi_put_le32(d + 72, n);
    fsi_put_le32(d + 76, 46);
    for (uint32_t i = 0; i < n; i++) {
        fsi_put_le32(d + 80 + 4 * i, l->free_space[i]);
        fsi_put_le32(d + 80 + 4 * n + 4 * i, l->size[i]);
    }
    uint8_t *iu = d + 80 + 8 * n;
    fsi_udf_impl_id(iu);
    fsi_put_le32(iu + 32, l->files);
    fsi_put_le32(iu + 36, l->dirs);
    int rd = l->rev >= 0x250 ? 0x250 : l->rev;  /* 2.60 without pseudo-overwrite: 2.50 readers */
    fsi_put_le16(iu + 40, (uint16_t)rd);
    fsi_put_le16(iu + 42, (uint16_t)l->rev);
    fsi_put_le16(iu + 44, (uint16_t)l->rev);
    size_t len = 80 + 8 * n + 46;
    fsi_udf_tag(d, 9, fsi_udf_tag_version(l->rev), l->location, len);
    return len;
}

void fsi_udf_write_avdp(const fsi_udf *x, uint8_t *d, uint32_t loc)
{
    fsi_udf_extent_ad(d + 16, FSI_UDF_VDS_BLOCKS * BS, fsi_udf_abs(x, x->mvds));
    fsi_udf_extent_ad(d + 24, FSI_UDF_VDS_BLOCKS * BS, fsi_udf_abs(x, x->rvds));
    fsi_udf_tag(d, 2, fsi_udf_tag_version(x->rev), loc, 512);
}

/* ---- sequences ---------------------------------------------------------------------------------- */

/* Store blk and zero it for the next descriptor. */
static int store1(fsi_meta_store *ms, uint8_t *blk)
{
    int ok = fsi_store_blocks(ms, blk, 1);
    memset(blk, 0, BS);
    return ok;
}

int fsi_udf_render_vrs(const fsi_udf *x, fsi_meta_store *ms)
{
    static const char *const vrs[3] = { "BEA01", "NSR02", "TEA01" };
    uint8_t blk[BS];
    memset(blk, 0, sizeof blk);
    for (int i = 0; i < 3; i++) {
        blk[0] = 0;
        memcpy(blk + 1, i == 1 && x->rev >= 0x200 ? "NSR03" : vrs[i], 5);
        blk[6] = 1;
        if (!store1(ms, blk))
            return 0;
    }
    return 1;
}

int fsi_udf_render_vds(const fsi_udf *x, fsi_meta_store *ms, uint32_t at)
{
    static void (*const desc[5])(const fsi_udf *, uint8_t *, uint32_t) = {
        write_pvd, write_iuvd, write_pd, write_lvd, write_usd,
    };
    uint8_t blk[BS];
    uint32_t a = fsi_udf_abs(x, at);
    memset(blk, 0, sizeof blk);
    for (uint32_t i = 0; i < 5; i++) {
        desc[i](x, blk, a + i);
        if (!store1(ms, blk))
            return 0;
    }
    fsi_udf_write_td(x->rev, blk, a + 5);
    return store1(ms, blk) && fsi_store_zeros(ms, FSI_UDF_VDS_BLOCKS - 6);
}

int fsi_udf_render_volume(const fsi_udf *x, fsi_meta_store *ms)
{
    uint8_t blk[BS];
    memset(blk, 0, sizeof blk);
    if (!fsi_store_zeros_to(ms, x->mvds) || !fsi_udf_render_vds(x, ms, x->mvds))
        return 0;
    if (!x->metadata && (!fsi_store_zeros_to(ms, x->rvds) || !fsi_udf_render_vds(x, ms, x->rvds)))
        return 0;                               /* 2.50+: after the partition (the tail) */
    if (!fsi_store_zeros_to(ms, x->lvis))
        return 0;
    fsi_udf_lvid l = { 0 };
    l.rev = x->rev;
    l.location = fsi_udf_abs(x, x->lvis);
    l.time = x->w.s->o->creation_time;
    l.next_unique = x->next_unique;
    l.nparts = x->metadata ? 2 : 1;
    l.size[0] = x->part_len;
    l.size[1] = x->area_blocks;
    l.files = x->files > UINT32_MAX ? UINT32_MAX : (uint32_t)x->files;
    l.dirs = x->dirs > UINT32_MAX ? UINT32_MAX : (uint32_t)x->dirs;
    fsi_udf_write_lvid(blk, &l);
    if (!store1(ms, blk))
        return 0;
    fsi_udf_write_td(x->rev, blk, fsi_udf_abs(x, x->lvis + 1));
    if (!store1(ms, blk) || !fsi_store_zeros_to(ms, x->avdp))
        return 0;
    fsi_udf_write_avdp(x, blk, fsi_udf_abs(x, x->avdp));
    return store1(ms, blk) && fsi_store_zeros_to(ms, x->part);
}
