/* UDF: descriptor primitives (CRC, tags, CS0, dstrings, timestamps, extents, LVID) with known
 * values, and whole images walked by a small UDF reader that follows the structures the way a
 * reader does (AVDP -> VDS -> LVD/PD -> FSD -> root -> FIDs -> (E)FEs -> extents).
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "test_util.h"

static const int REVS[] = { 0x102, 0x150, 0x200, 0x201, 0x250, 0x260 };

/* ---- primitives --------------------------------------------------------------------------------- */

static void crc_vectors(void **state)
{
    (void)state;
    /* ECMA-167 1/7.2.6: the CRC of the bytes #70 #6A #77 is #3299 */
    const uint8_t v[] = { 0x70, 0x6A, 0x77 };
    assert_int_equal(fsi_udf_crc(v, 3), 0x3299);
    /* CRC-ITU-T with initial value 0 (CRC-16/XMODEM) check value */
    assert_int_equal(fsi_udf_crc((const uint8_t *)"123456789", 9), 0x31C3);
    assert_int_equal(fsi_udf_crc(v, 0), 0);
    uint8_t z[496] = { 0 };
    assert_int_equal(fsi_udf_crc(z, sizeof z), 0);
}

static void tag_checksum(void **state)
{
    (void)state;
    /* a Terminating Descriptor (all zero body) at sector 256, descriptor version 2 */
    uint8_t d[512] = { 0 };
    fsi_udf_tag(d, 8, 2, 256, 512);
    const uint8_t want[16] = { 0x08, 0x00, 0x02, 0x00, 0xFC, 0x00, 0x00, 0x00,
                               0x00, 0x00, 0xF0, 0x01, 0x00, 0x01, 0x00, 0x00 };
    assert_memory_equal(d, want, 16);
    /* a body with the ECMA-167 CRC example: CRC in bytes 8-9, checksum over bytes 0-3 and 5-15 */
    uint8_t e[19] = { 0 };
    e[16] = 0x70;
    e[17] = 0x6A;
    e[18] = 0x77;
    fsi_udf_tag(e, 0x101, 3, 0x12345678, sizeof e);
    assert_int_equal(rd_le16(e + 8), 0x3299);
    assert_int_equal(rd_le16(e + 10), 3);
    assert_int_equal(rd_le32(e + 12), 0x12345678);
    uint8_t sum = 0;
    for (int i = 0; i < 16; i++)
        if (i != 4)
            sum = (uint8_t)(sum + e[i]);
    assert_int_equal(e[4], sum);
    assert_int_equal(sum, (uint8_t)(0x01 + 0x01 + 0x03 + 0x99 + 0x32 + 0x03 + 0x78 + 0x56 + 0x34 + 0x12));
}

static void cs0_encoding(void **state)
{
    (void)state;
    uint8_t out[600];
    size_t l;
    const uint16_t *u = U("abc", &l);
    assert_int_equal(fsi_udf_cs0(u, l, out), 4);
    assert_memory_equal(out, "\x08" "abc", 4);
    /* every unit below U+0100: 8 bits, even for Latin-1 */
    u = U("café", &l);
    assert_int_equal(fsi_udf_cs0(u, l, out), 5);
    assert_memory_equal(out, "\x08" "caf\xE9", 5);
    /* one unit >= U+0100: 16 bits big-endian for the whole name */
    u = U("a中", &l);
    assert_int_equal(fsi_udf_cs0(u, l, out), 5);
    assert_memory_equal(out, "\x10\x00\x61\x4E\x2D", 5);
    assert_int_equal(fsi_udf_cs0_len(u, l), 5);
    /* a surrogate pair is two 16-bit units */
    u = U("\xF0\x9F\x98\x80", &l);          /* U+1F600 */
    assert_int_equal(fsi_udf_cs0(u, l, out), 5);
    assert_memory_equal(out, "\x10\xD8\x3D\xDE\x00", 5);
    /* empty: no bytes at all (no compression ID) */
    assert_int_equal(fsi_udf_cs0(u, 0, out), 0);
    /* 255 bytes at most: 254 narrow units, 127 wide ones */
    uint16_t n[300];
    for (int i = 0; i < 300; i++)
        n[i] = 'a';
    assert_true(fsi_udf_name_fits(n, 254));
    assert_false(fsi_udf_name_fits(n, 255));
    for (int i = 0; i < 300; i++)
        n[i] = 0x4E2D;
    assert_true(fsi_udf_name_fits(n, 127));
    assert_false(fsi_udf_name_fits(n, 128));
}

static void dstrings(void **state)
{
    (void)state;
    uint8_t f[32];
    size_t l;
    const uint16_t *u = U("FSI", &l);
    fsi_udf_dstring(f, 32, u, l);
    assert_memory_equal(f, "\x08" "FSI", 4);
    for (int i = 4; i < 31; i++)
        assert_int_equal(f[i], 0);
    assert_int_equal(f[31], 4);
    /* 30 narrow units fill a 32-byte dstring; a 31st is cut */
    u = U("ABCDEFGHIJKLMNOPQRSTUVWXYZ01234", &l);
    fsi_udf_dstring(f, 32, u, l);
    assert_int_equal(f[31], 31);
    assert_int_equal(f[30], '3');
    /* wide: 15 units; a surrogate pair at the cut is dropped whole */
    u = U("中中中中中中中中中中中中中中\xF0\x9F\x98\x80", &l);
    assert_int_equal(l, 16);
    fsi_udf_dstring(f, 32, u, l);
    assert_int_equal(f[0], 16);
    assert_int_equal(f[31], 1 + 2 * 14);
    assert_int_equal(rd_be16(f + 1 + 2 * 13), 0x4E2D);
    assert_int_equal(f[1 + 2 * 14], 0);
    /* empty: all zero */
    fsi_udf_dstring(f, 32, u, 0);
    for (int i = 0; i < 32; i++)
        assert_int_equal(f[i], 0);
}

static void timestamps(void **state)
{
    (void)state;
    uint8_t t[12];
    /* 2024-02-29 13:45:30.1234567 UTC */
    fsi_udf_timestamp(t, fsi_time_from_unix(1709214330, 123456700));
    const uint8_t want[12] = { 0x00, 0x10, 0xE8, 0x07, 2, 29, 13, 45, 30, 12, 34, 56 };
    assert_memory_equal(t, want, 12);
    /* before 1601 and far future are clamped */
    fsi_udf_timestamp(t, INT64_MIN / 2);
    assert_int_equal(rd_le16(t + 2), 1);
    assert_int_equal(t[4], 1);
    assert_int_equal(t[11], 0);
}

static void extent_splitting(void **state)
{
    (void)state;
    assert_int_equal(FSI_UDF_MAX_EXTENT, (1u << 30) - 2048);
    assert_int_equal(fsi_udf_extent_count(0), 0);
    assert_int_equal(fsi_udf_extent_count(1), 1);
    assert_int_equal(fsi_udf_extent_count(FSI_UDF_MAX_EXTENT), 1);
    assert_int_equal(fsi_udf_extent_count((uint64_t)FSI_UDF_MAX_EXTENT + 1), 2);
    assert_int_equal(fsi_udf_extent_count(UINT64_C(1) << 30), 2);
    assert_int_equal(fsi_udf_extent_len(UINT64_C(1) << 30, 0), 0x3FFFF800);
    assert_int_equal(fsi_udf_extent_len(UINT64_C(1) << 30, 1), 0x800);
    uint64_t five = UINT64_C(5) << 30, sum = 0, n = fsi_udf_extent_count(five);
    assert_int_equal(n, 6);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t len = fsi_udf_extent_len(five, i);
        assert_true(len > 0 && len < (1u << 30));
        if (i + 1 < n)
            assert_int_equal(len % 2048, 0);
        sum += len;
    }
    assert_int_equal(sum, five);
    assert_int_equal(fsi_udf_extent_len(five, n), 0);
}

static void check_tag(const uint8_t *d, uint16_t id, uint32_t loc, size_t avail);

static void lvid_sums(void **state)
{
    (void)state;
    uint8_t b[2048] = { 0 };
    fsi_udf_lvid l = { 0 };
    l.rev = 0x260;
    l.location = 96;
    l.time = fsi_time_from_unix(1709214330, 0);
    l.next_unique = 1234;
    l.nparts = 2;
    l.free_space[0] = 0;
    l.free_space[1] = 0;
    l.size[0] = 5000;
    l.size[1] = 64;
    l.files = 7;
    l.dirs = 3;
    size_t len = fsi_udf_write_lvid(b, &l);
    assert_int_equal(len, 80 + 16 + 46);
    check_tag(b, 9, 96, len);
    assert_int_equal(rd_le16(b + 10), len - 16);
    assert_int_equal(rd_le32(b + 28), 1);                      /* closed */
    assert_int_equal(rd_le32(b + 40), 1234);                    /* next unique ID */
    assert_int_equal(rd_le32(b + 72), 2);
    assert_int_equal(rd_le32(b + 76), 46);
    assert_int_equal(rd_le32(b + 80), 0);                       /* free space */
    assert_int_equal(rd_le32(b + 84), 0);
    assert_int_equal(rd_le32(b + 88), 5000);                    /* sizes */
    assert_int_equal(rd_le32(b + 92), 64);
    const uint8_t *iu = b + 96;
    assert_memory_equal(iu + 1, "*IMAPI2FS OPEN", 14);
    assert_int_equal(rd_le32(iu + 32), 7);
    assert_int_equal(rd_le32(iu + 36), 3);
    assert_int_equal(rd_le16(iu + 40), 0x250);                  /* min read */
    assert_int_equal(rd_le16(iu + 42), 0x260);                  /* min write */
    assert_int_equal(rd_le16(iu + 44), 0x260);                  /* max write */
    l.rev = 0x150;
    l.nparts = 1;
    memset(b, 0, sizeof b);
    len = fsi_udf_write_lvid(b, &l);
    assert_int_equal(len, 80 + 8 + 46);
    assert_int_equal(rd_le16(b + 2), 2);                        /* descriptor version 2 */
    assert_int_equal(rd_le16(b + 80 + 8 + 40), 0x150);
}

/* ---- a small UDF reader ------------------------------------------------------------------------- */

static void check_tag(const uint8_t *d, uint16_t id, uint32_t loc, size_t avail)
{
    uint8_t sum = 0;
    for (int i = 0; i < 16; i++)
        if (i != 4)
            sum = (uint8_t)(sum + d[i]);
    assert_int_equal(d[4], sum);
    assert_int_equal(d[5], 0);
    assert_int_equal(rd_le16(d), id);
    size_t crc_len = rd_le16(d + 10);
    assert_true(16 + crc_len <= avail);
    assert_int_equal(rd_le16(d + 8), fsi_udf_crc(d + 16, crc_len));
    assert_int_equal(rd_le32(d + 12), loc);
}

typedef struct mext { uint32_t lb, abs, n; } mext;     /* metadata partition blocks lb.. at abs.. */

typedef struct uimg {
    fsi_plan *p;
    fsi_cursor *c;
    uint32_t ss, total;
    int rev, meta;
    uint32_t part, part_len;
    mext mx[16];
    size_t nmx;
    uint16_t ver;
    uint32_t files, dirs;           /* counted while walking */
    uint64_t max_unique;
} uimg;

static void rdb(uimg *u, uint32_t abs, uint8_t *buf, size_t nblocks)
{
    assert_true(abs >= u->ss);
    assert_true((uint64_t)abs - u->ss + nblocks <= u->total);
    fsi_err err;
    assert_int_equal(fsi_cursor_read(u->c, (uint64_t)(abs - u->ss) * 2048, buf, nblocks * 2048, &err), FSI_OK);
}

static uint32_t map_lb(const uimg *u, uint16_t part, uint32_t lb)
{
    if (part == 0) {
        assert_true(lb < u->part_len);
        return u->part + lb;
    }
    assert_int_equal(part, 1);
    assert_true(u->meta);
    for (size_t i = 0; i < u->nmx; i++)
        if (lb >= u->mx[i].lb && lb - u->mx[i].lb < u->mx[i].n)
            return u->mx[i].abs + (lb - u->mx[i].lb);
    fail_msg("metadata block %u not mapped", lb);
    return 0;
}

typedef struct uext { uint32_t abs; uint32_t len; } uext;

typedef struct uicb {
    uint8_t type;
    uint16_t links;
    uint16_t flags;                 /* ICB tag flags */
    uint64_t size, unique, blocks;
    uint64_t obj_size;              /* EFE: object size (FE: the size) */
    uint32_t sd_len, sd_lb;         /* EFE: stream directory ICB (length 0: none) */
    uint16_t sd_part;
    uint32_t perms;
    uext ext[400];
    size_t next;
    uint32_t aeds;
} uicb;

/* Read the (E)FE at lb of partition part; follow allocation extent descriptors. */
static void read_icb(uimg *u, uint16_t part, uint32_t lb, uicb *o)
{
    uint8_t b[2048];
    memset(o, 0, sizeof *o);
    rdb(u, map_lb(u, part, lb), b, 1);
    int efe = rd_le16(b) == 0x10A;
    check_tag(b, efe ? 0x10A : 0x105, lb, 2048);
    assert_int_equal(efe, u->rev >= 0x200);
    assert_int_equal(rd_le16(b + 2), u->ver);
    assert_int_equal(rd_le16(b + 16 + 4), 4);               /* strategy 4 */
    assert_int_equal(rd_le16(b + 16 + 8), 1);
    o->type = b[16 + 11];
    uint16_t flags = rd_le16(b + 16 + 18);
    o->flags = flags;
    assert_int_equal(flags & ~(0x2000 | 7), 0);             /* only the Stream flag besides the type */
    int ad_long = (flags & 7) == 1;
    assert_true((flags & 7) <= 1);                          /* short or long: never embedded */
    assert_int_equal(rd_le32(b + 36), 0xFFFFFFFF);
    assert_int_equal(rd_le32(b + 40), 0xFFFFFFFF);
    o->perms = rd_le32(b + 44);
    o->links = rd_le16(b + 48);
    o->size = rd_le32(b + 56) | (uint64_t)rd_le32(b + 60) << 32;
    size_t hdr = efe ? 216 : 176;
    o->obj_size = o->size;
    if (efe) {
        o->obj_size = rd_le32(b + 64) | (uint64_t)rd_le32(b + 68) << 32;
        o->sd_len = rd_le32(b + 152);
        o->sd_lb = rd_le32(b + 156);
        o->sd_part = rd_le16(b + 160);
        assert_int_equal(rd_le32(b + 136), 0);               /* no extended attribute ICB */
        if (!o->sd_len)                                     /* object size: + the streams' */
            assert_int_equal(o->obj_size, o->size);
        else
            assert_int_equal(o->sd_len, 2048);
    }
    const uint8_t *blk = b + (efe ? 72 : 64);
    o->blocks = rd_le32(blk) | (uint64_t)rd_le32(blk + 4) << 32;
    assert_int_equal(o->blocks, (o->size + 2047) / 2048);
    assert_int_equal(rd_le32(b + (efe ? 128 : 108)), 1);     /* checkpoint */
    assert_memory_equal(b + (efe ? 169 : 129), "*IMAPI2FS OPEN", 14);
    const uint8_t *uq = b + (efe ? 200 : 160);
    o->unique = rd_le32(uq) | (uint64_t)rd_le32(uq + 4) << 32;
    assert_int_equal(rd_le32(b + hdr - 8), 0);              /* L_EA */
    uint32_t lad = rd_le32(b + hdr - 4);
    assert_int_equal(rd_le16(b + 10), hdr + lad - 16);       /* CRC over the whole FE */
    /* descriptors, possibly continued */
    uint8_t cont[2048];
    const uint8_t *ads = b + hdr;
    size_t sz = ad_long ? 16 : 8;
    uint64_t total = 0;
    for (;;) {
        uint32_t next_lb = 0;
        int more = 0;
        for (size_t off = 0; off < lad; off += sz) {
            uint32_t lt = rd_le32(ads + off);
            uint32_t len = lt & 0x3FFFFFFF, typ = lt >> 30;
            uint32_t pos = rd_le32(ads + off + 4);
            uint16_t pr = ad_long ? rd_le16(ads + off + 8) : part;
            if (typ == 3) {
                assert_int_equal(off + sz, lad);            /* the last one */
                assert_int_equal(len, 2048);
                assert_int_equal(pr, part);
                next_lb = pos;
                more = 1;
                break;
            }
            assert_int_equal(typ, 0);
            assert_true(len > 0);
            assert_true(o->next < 400);
            o->ext[o->next].abs = map_lb(u, pr, pos);
            o->ext[o->next].len = len;
            if (o->next)                                    /* whole blocks but the last */
                assert_int_equal(o->ext[o->next - 1].len % 2048, 0);
            o->next++;
            total += len;
        }
        if (!more)
            break;
        o->aeds++;
        rdb(u, map_lb(u, part, next_lb), cont, 1);
        lad = rd_le32(cont + 20);
        check_tag(cont, 0x102, next_lb, 2048);
        assert_int_equal(rd_le16(cont + 10), u->rev >= 0x201 ? 8 + lad : 8);
        ads = cont + 24;
    }
    assert_int_equal(total, o->size);
}

typedef struct ufid {
    char name[1024];
    uint8_t chars;
    uint32_t lb;
    uint16_t part;
    uint32_t unique;
} ufid;

static void cs0_to_utf8(const uint8_t *id, size_t len, char *out)
{
    uint16_t w[260];
    size_t n = 0;
    if (len) {
        assert_true(id[0] == 8 || id[0] == 16);
        if (id[0] == 8)
            for (size_t i = 1; i < len; i++)
                w[n++] = id[i];
        else
            for (size_t i = 1; i + 1 < len; i += 2)
                w[n++] = rd_be16(id + i);
    }
    size_t k = fsi_utf16_to_utf8(w, n, out, 1024);
    assert_true(k != (size_t)-1);
}

/* Read the directory (type 4; type 13: a stream directory) whose ICB is at (part, lb); returns the
 * FIDs after the parent FID, which must point at parent_lb. */
static size_t read_fids(uimg *u, uint16_t part, uint32_t lb, uint32_t parent_lb, ufid *out, size_t max,
                        uicb *dicb, uint8_t type)
{
    read_icb(u, part, lb, dicb);
    assert_int_equal(dicb->type, type);
    uint64_t size = dicb->size;
    uint8_t *data = malloc((size_t)size + 2048);
    assert_non_null(data);
    uint64_t pos = 0;
    uint32_t first_lb = 0;
    for (size_t i = 0; i < dicb->next; i++) {
        uint32_t nb = (dicb->ext[i].len + 2047) / 2048;
        uint8_t *tmp = malloc((size_t)nb * 2048);
        rdb(u, dicb->ext[i].abs, tmp, nb);
        memcpy(data + pos, tmp, dicb->ext[i].len);
        free(tmp);
        pos += dicb->ext[i].len;
    }
    /* the lb of the first directory block, for FID tag locations: find it back */
    {
        uint32_t abs = dicb->ext[0].abs;
        if (part == 0)
            first_lb = abs - u->part;
        else
            for (size_t i = 0; i < u->nmx; i++)
                if (abs >= u->mx[i].abs && abs - u->mx[i].abs < u->mx[i].n)
                    first_lb = u->mx[i].lb + (abs - u->mx[i].abs);
    }
    size_t n = 0;
    uint64_t off = 0;
    int first = 1;
    uint32_t subdirs = 0;
    while (off < size) {
        const uint8_t *f = data + off;
        uint8_t lfi = f[19];
        uint16_t liu = rd_le16(f + 36);
        size_t len = (38 + liu + lfi + 3) & ~(size_t)3;
        assert_true(off + len <= size);
        check_tag(f, 0x101, first_lb + (uint32_t)(off / 2048), len);
        assert_int_equal(rd_le16(f + 10), len - 16);         /* padding included */
        assert_int_equal(rd_le16(f + 16), 1);                /* file version */
        assert_int_equal(rd_le32(f + 20), 2048);             /* ICB extent */
        for (size_t q = 38 + liu + lfi; q < len; q++)
            assert_int_equal(f[q], 0);
        if (first) {
            assert_int_equal(f[18], type == 4 ? 0x0A : 0x08);  /* parent: a directory / the file */
            assert_int_equal(lfi, 0);
            assert_int_equal(rd_le32(f + 24), parent_lb);
            first = 0;
        } else {
            assert_true(n < max);
            ufid *o = &out[n++];
            o->chars = f[18];
            assert_int_equal(o->chars & ~0x03, 0);
            o->lb = rd_le32(f + 24);
            o->part = rd_le16(f + 28);
            o->unique = rd_le32(f + 32);
            assert_true(lfi > 1);
            cs0_to_utf8(f + 38 + liu, lfi, o->name);
            subdirs += (o->chars & 2) != 0;
        }
        off += len;
    }
    assert_false(first);
    if (type == 4)
        assert_int_equal(dicb->links, 1 + subdirs);
    else
        assert_int_equal(dicb->links, 0);                    /* stream directories: no link */
    free(data);
    return n;
}

static size_t read_dir(uimg *u, uint16_t part, uint32_t lb, uint32_t parent_lb, ufid *out, size_t max,
                       uicb *dicb)
{
    return read_fids(u, part, lb, parent_lb, out, max, dicb, 4);
}

/* A descriptor sequence of 16 blocks: PVD, IUVD, PD, LVD, USD, TD. Returns the LVD copy. */
static void read_vds(uimg *u, uint32_t at, uint8_t *vds)
{
    rdb(u, at, vds, 16);
    static const uint16_t ids[6] = { 1, 4, 5, 6, 7, 8 };
    for (int i = 0; i < 6; i++)
        check_tag(vds + i * 2048, ids[i], at + i, 2048);
    for (int i = 6; i < 16; i++)
        for (int k = 0; k < 2048; k++)
            assert_int_equal(vds[i * 2048 + k], 0);
}

/* Open: AVDPs, both VDSs (equivalent), LVID, partition, metadata file. Returns the LVD block. */
static void uopen(uimg *u, fsi_plan *p, uint32_t ss, int rev, uint8_t *lvd_out, uint8_t *lvid_out)
{
    memset(u, 0, sizeof *u);
    u->p = p;
    u->c = fsi_cursor_new(p);
    u->ss = ss;
    u->total = fsi_plan_total_blocks(p);
    u->rev = rev;
    u->meta = rev >= 0x250;
    u->ver = rev >= 0x200 ? 3 : 2;
    uint8_t a1[2048], a2[2048];
    rdb(u, ss + 256, a1, 1);
    check_tag(a1, 2, ss + 256, 2048);
    assert_int_equal(rd_le16(a1 + 10), 496);
    rdb(u, ss + u->total - 1, a2, 1);
    check_tag(a2, 2, ss + u->total - 1, 2048);
    assert_memory_equal(a1 + 16, a2 + 16, 16);
    uint32_t mlen = rd_le32(a1 + 16), mloc = rd_le32(a1 + 20), rlen = rd_le32(a1 + 24), rloc = rd_le32(a1 + 28);
    assert_int_equal(mlen, 16 * 2048);
    assert_int_equal(rlen, 16 * 2048);
    uint8_t *m = malloc(16 * 2048), *r = malloc(16 * 2048);
    read_vds(u, mloc, m);
    read_vds(u, rloc, r);
    /* equivalent: the same bytes but for the tag (location, checksum) */
    for (int i = 0; i < 6; i++) {
        assert_memory_equal(m + i * 2048 + 16, r + i * 2048 + 16, 2048 - 16);
        assert_memory_equal(m + i * 2048 + 6, r + i * 2048 + 6, 6);
    }
    const uint8_t *pvd = m, *pd = m + 2 * 2048, *lvd = m + 3 * 2048, *iuvd = m + 2048;
    assert_int_equal(rd_le16(pvd + 2), u->ver);
    assert_memory_equal(iuvd + 21, "*UDF LV Info", 12);
    assert_int_equal(rd_le16(iuvd + 20 + 24), rev);
    /* partition */
    assert_memory_equal(pd + 25, rev >= 0x200 ? "+NSR03" : "+NSR02", 6);
    assert_int_equal(rd_le32(pd + 184), 1);                 /* read only */
    u->part = rd_le32(pd + 188);
    u->part_len = rd_le32(pd + 192);
    if (u->meta) {      /* up to the reserve VDS, which is right before the last AVDP */
        assert_int_equal(u->part + u->part_len, rloc);
        assert_int_equal(rloc + 16, ss + u->total - 1);
    } else {            /* up to the last AVDP; the reserve VDS at 64 */
        assert_int_equal(u->part + u->part_len, ss + u->total - 1);
        assert_int_equal(rloc, ss + 64);
    }
    assert_int_equal(mloc, ss + 32);
    /* logical volume */
    assert_int_equal(rd_le32(lvd + 212), 2048);
    assert_memory_equal(lvd + 217, "*OSTA UDF Compliant", 19);
    assert_int_equal(rd_le16(lvd + 216 + 24), rev);
    uint32_t maps = rd_le32(lvd + 268);
    assert_int_equal(maps, u->meta ? 2 : 1);
    assert_int_equal(rd_le32(lvd + 264), u->meta ? 70 : 6);
    assert_int_equal(lvd[440], 1);
    assert_int_equal(lvd[441], 6);
    memcpy(lvd_out, lvd, 2048);
    /* integrity */
    uint32_t ilen = rd_le32(lvd + 432), iloc = rd_le32(lvd + 436);
    assert_true(ilen >= 2 * 2048);
    uint8_t ib[2 * 2048];
    rdb(u, iloc, ib, 2);
    check_tag(ib, 9, iloc, 2048);
    check_tag(ib + 2048, 8, iloc + 1, 2048);
    assert_int_equal(rd_le32(ib + 28), 1);                  /* closed */
    assert_int_equal(rd_le32(ib + 72), maps);
    assert_int_equal(rd_le32(ib + 80), 0);                  /* no free space on read-only media */
    assert_int_equal(rd_le32(ib + 80 + 4 * maps), u->part_len);
    memcpy(lvid_out, ib, 2048);
    if (u->meta) {
        const uint8_t *mp = lvd + 446;
        assert_int_equal(mp[0], 2);
        assert_int_equal(mp[1], 64);
        assert_memory_equal(mp + 5, "*UDF Metadata Partition", 23);
        assert_int_equal(rd_le16(mp + 28), rev);
        assert_int_equal(rd_le32(mp + 48), 0xFFFFFFFF);     /* no bitmap */
        uint32_t au = rd_le32(mp + 52);
        assert_int_equal(au, 32);
        /* the metadata file maps the metadata partition */
        uicb fe;
        uint32_t mfl = rd_le32(mp + 40);
        u->rev = rev;
        read_icb(u, 0, mfl, &fe);
        assert_int_equal(fe.type, 250);
        uint32_t lb = 0;
        for (size_t i = 0; i < fe.next; i++) {
            assert_int_equal((fe.ext[i].abs - u->part) % au, 0);
            assert_int_equal(fe.ext[i].len % (au * 2048), 0);
            u->mx[u->nmx++] = (mext){ lb, fe.ext[i].abs, fe.ext[i].len / 2048 };
            lb += fe.ext[i].len / 2048;
        }
        assert_int_equal(rd_le32(ib + 80 + 4 * maps + 4), lb);  /* size of the metadata partition */
    }
    free(m);
    free(r);
}

static void uclose(uimg *u) { fsi_cursor_free(u->c); }

/* ---- test trees --------------------------------------------------------------------------------- */

static uint8_t g_small[3][5000];

static fsi_image *small_tree(void)
{
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 5000; i++)
            g_small[k][i] = (uint8_t)(i * (k + 7) + k * 13);
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_times rt = { fsi_time_from_unix(1600000000, 0), fsi_time_from_unix(1600000001, 0),
                     fsi_time_from_unix(1600000002, 0) };
    fsi_node_set_times(r, &rt);
    mkfile_in(img, r, "readme.txt", g_small[0], 100);
    mkfile_in(img, r, "empty", NULL, 0);
    fsi_node *d = mkdir_in(img, r, "dir");
    mkfile_in(img, d, "b.bin", g_small[1], 5000);
    fsi_node *h = mkfile_in(img, d, "hidden", g_small[2], 2048);
    fsi_node_set_hidden(h, 1);
    fsi_node *s = mkdir_in(img, d, "sub");
    mkfile_in(img, s, "中文.txt", g_small[2] + 1, 7);
    mkdir_in(img, r, "emptydir");
    return img;
}

static fsi_plan_opts uopts(unsigned fs, int rev)
{
    static uint16_t vol[32];
    size_t l;
    const uint16_t *u = U("UDF Test", &l);
    memcpy(vol, u, l * 2);
    fsi_plan_opts o = { 0 };
    o.fs = fs;
    o.iso_level = 2;
    o.udf_revision = rev;
    o.udf_redundant_metadata = 1;
    o.volume_name = vol;
    o.volume_name_len = l;
    o.creation_time = fsi_time_from_unix(1709214330, 0);
    return o;
}

static fsi_plan *ubuild(const fsi_image *img, const fsi_plan_opts *o)
{
    fsi_plan *p = NULL;
    fsi_err err;
    assert_int_equal(fsi_plan_build(img, o, &p, &err), FSI_OK);
    return p;
}

/* FSD and root: returns the root ICB (part, lb) */
static void read_fsd(uimg *u, const uint8_t *lvd, uint16_t *rpart, uint32_t *rlb)
{
    uint32_t len = rd_le32(lvd + 248), lb = rd_le32(lvd + 252);
    uint16_t part = rd_le16(lvd + 256);
    assert_int_equal(part, u->meta ? 1 : 0);
    assert_true(len >= 2048);
    uint8_t f[2048], td[2048];
    rdb(u, map_lb(u, part, lb), f, 1);
    check_tag(f, 0x100, lb, 2048);
    if (!u->meta)
        assert_int_equal(lb, 0);                            /* at the start of the partition */
    rdb(u, map_lb(u, part, lb + 1), td, 1);
    check_tag(td, 8, lb + 1, 2048);
    assert_int_equal(rd_le16(f + 28), 3);
    assert_memory_equal(f + 417, "*OSTA UDF Compliant", 19);
    assert_int_equal(rd_le16(f + 416 + 24), u->rev);
    assert_int_equal(rd_le32(f + 400), 2048);
    *rlb = rd_le32(f + 404);
    *rpart = rd_le16(f + 408);
    assert_int_equal(*rpart, part);
}

typedef struct want_file { const char *path; const uint8_t *data; size_t size; int hidden; } want_file;

static const uicb *find_path(uimg *u, uint16_t rpart, uint32_t rlb, const char *path, uicb *out, ufid *fid)
{
    static ufid kids[64];
    uicb d;
    uint16_t part = rpart;
    uint32_t lb = rlb, parent = rlb;
    char comp[256];
    const char *p = path;
    for (;;) {
        const char *e = strchr(p, '/');
        size_t cl = e ? (size_t)(e - p) : strlen(p);
        memcpy(comp, p, cl);
        comp[cl] = 0;
        size_t n = read_dir(u, part, lb, parent, kids, 64, &d);
        size_t i;
        for (i = 0; i < n; i++)
            if (!strcmp(kids[i].name, comp))
                break;
        if (i == n)
            return NULL;
        *fid = kids[i];
        parent = lb;
        part = kids[i].part;
        lb = kids[i].lb;
        if (!e) {
            read_icb(u, part, lb, out);
            assert_int_equal(out->unique & 0xFFFFFFFF, fid->unique);
            return out;
        }
        p = e + 1;
    }
}

static void check_file(uimg *u, uint16_t rpart, uint32_t rlb, const want_file *w)
{
    uicb f;
    ufid fid;
    assert_non_null(find_path(u, rpart, rlb, w->path, &f, &fid));
    assert_int_equal(f.type, 5);
    assert_int_equal(f.links, 1);
    assert_int_equal(f.perms, 0x14A5);
    assert_int_equal(f.size, w->size);
    assert_int_equal(fid.chars, w->hidden ? 0x01 : 0);
    assert_true(f.unique >= 16);
    uint64_t pos = 0;
    for (size_t i = 0; i < f.next; i++) {
        uint32_t nb = (f.ext[i].len + 2047) / 2048;
        uint8_t *b = malloc((size_t)nb * 2048);
        rdb(u, f.ext[i].abs, b, nb);
        assert_memory_equal(b, w->data + pos, f.ext[i].len);
        for (size_t k = f.ext[i].len; k < (size_t)nb * 2048; k++)
            assert_int_equal(b[k], 0);
        free(b);
        pos += f.ext[i].len;
        assert_true(f.ext[i].abs >= u->part && f.ext[i].abs + nb <= u->part + u->part_len);
    }
}

/* Every revision, alone and with ISO 9660 + Joliet: structures, tree, contents, counts. */
static void whole_images(void **state)
{
    (void)state;
    fsi_image *img = small_tree();
    const want_file files[] = {
        { "readme.txt", g_small[0], 100, 0 },
        { "dir/b.bin", g_small[1], 5000, 0 },
        { "dir/hidden", g_small[2], 2048, 1 },
        { "dir/sub/中文.txt", g_small[2] + 1, 7, 0 },
        { "empty", NULL, 0, 0 },
    };
    for (size_t ri = 0; ri < sizeof REVS / sizeof REVS[0]; ri++)
        for (int bridge = 0; bridge < 2; bridge++) {
            int rev = REVS[ri];
            fsi_plan_opts o = uopts(FSI_FS_UDF | (bridge ? FSI_FS_ISO9660 | FSI_FS_JOLIET : 0), rev);
            o.session_start = bridge ? 0 : 1000;
            fsi_plan *p = ubuild(img, &o);
            uimg u;
            uint8_t lvd[2048], lvid[2048];
            uopen(&u, p, o.session_start, rev, lvd, lvid);
            /* volume recognition: after the ISO terminator, or at 16 alone */
            uint8_t b[2048];
            uint32_t vrs = bridge ? 19 : 16;
            const char *ids[3] = { "BEA01", rev >= 0x200 ? "NSR03" : "NSR02", "TEA01" };
            for (int i = 0; i < 3; i++) {
                rdb(&u, o.session_start + vrs + i, b, 1);
                assert_int_equal(b[0], 0);
                assert_memory_equal(b + 1, ids[i], 5);
                assert_int_equal(b[6], 1);
            }
            if (bridge) {
                rdb(&u, 16, b, 1);
                assert_memory_equal(b + 1, "CD001", 5);
                assert_int_equal(rd_both32(b + 80), u.total);
            }
            uint16_t rpart;
            uint32_t rlb;
            read_fsd(&u, lvd, &rpart, &rlb);
            uicb root;
            ufid kids[16];
            size_t n = read_dir(&u, rpart, rlb, rlb, kids, 16, &root);
            assert_int_equal(n, 4);
            assert_int_equal(root.unique, 0);
            assert_int_equal(root.links, 1 + 2);
            for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
                check_file(&u, rpart, rlb, &files[i]);
            uicb e;
            ufid ef;
            assert_non_null(find_path(&u, rpart, rlb, "emptydir", &e, &ef));
            assert_int_equal(e.type, 4);
            assert_int_equal(ef.chars, 0x02);
            assert_int_equal(e.size, 40);                   /* the parent FID alone */
            /* LVID: counts (root included), next unique ID past all used */
            const uint8_t *iu = lvid + 80 + 8 * (u.meta ? 2 : 1);
            assert_int_equal(rd_le32(iu + 32), 5);
            assert_int_equal(rd_le32(iu + 36), 4);
            assert_int_equal(rd_le32(lvid + 40), 16 + 8);   /* 8 items besides the root */
            assert_int_equal(rd_le16(iu + 40), rev >= 0x250 ? 0x250 : rev);
            assert_int_equal(rd_le16(iu + 44), rev);
            /* the extent table: sorted, disjoint, covering the image */
            size_t ne = fsi_plan_extent_count(p);
            uint32_t prev_end = 0, last = 0;
            for (size_t i = 0; i < ne; i++) {
                const fsi_extent_info *x = fsi_plan_extent(p, i);
                assert_true(x->first_block >= prev_end);
                prev_end = x->first_block + x->block_count;
                if (!x->is_file)
                    last = prev_end;
            }
            assert_int_equal(last, o.session_start + u.total);     /* the last AVDP is metadata */
            assert_false(fsi_plan_extent(p, ne - 1)->is_file);
            uclose(&u);
            fsi_plan_unref(p);
        }
    fsi_image_free(img);
}

/* Bridge: ISO 9660, Joliet and UDF records point at the same blocks. */
static void shared_extents(void **state)
{
    (void)state;
    fsi_image *img = small_tree();
    fsi_plan_opts o = uopts(FSI_FS_UDF | FSI_FS_ISO9660 | FSI_FS_JOLIET, 0x201);
    fsi_plan *p = ubuild(img, &o);
    iso_img im = { 0 };
    iso_load(p, &im);
    uimg u;
    uint8_t lvd[2048], lvid[2048];
    uopen(&u, p, 0, 0x201, lvd, lvid);
    uint16_t rpart;
    uint32_t rlb;
    read_fsd(&u, lvd, &rpart, &rlb);
    uicb f;
    ufid fid;
    iso_rec a, j;
    assert_non_null(find_path(&u, rpart, rlb, "dir/b.bin", &f, &fid));
    assert_true(iso_find(&im, 0, "DIR/B.BIN;1", &a));
    assert_true(iso_find(&im, 1, "dir/b.bin;1", &j));
    assert_int_equal(a.lba, f.ext[0].abs);
    assert_int_equal(j.lba, f.ext[0].abs);
    /* every file's blocks once: the image is metadata + one copy of the data */
    uint64_t data = 0;
    for (size_t i = 0; i < fsi_plan_extent_count(p); i++)
        if (fsi_plan_extent(p, i)->is_file)
            data += fsi_plan_extent(p, i)->block_count;
    assert_int_equal(data, 1 + 3 + 1 + 1);
    free(im.b);
    uclose(&u);
    fsi_plan_unref(p);
    fsi_image_free(img);
}

/* 2.50+: the metadata mirror file's data equals the metadata file's (or shares its extents). */
static void metadata_mirror(void **state)
{
    (void)state;
    fsi_image *img = small_tree();
    for (int rev = 0x250; rev <= 0x260; rev += 0x10)
        for (int redundant = 0; redundant < 2; redundant++) {
            fsi_plan_opts o = uopts(FSI_FS_UDF | (redundant ? FSI_FS_ISO9660 : 0), rev);
            o.udf_redundant_metadata = redundant;
            fsi_plan *p = ubuild(img, &o);
            uimg u;
            uint8_t lvd[2048], lvid[2048];
            uopen(&u, p, 0, rev, lvd, lvid);
            const uint8_t *mp = lvd + 446;
            assert_int_equal(mp[58], redundant);            /* duplicate metadata flag */
            uicb mf, mm;
            read_icb(&u, 0, rd_le32(mp + 40), &mf);
            read_icb(&u, 0, rd_le32(mp + 44), &mm);
            assert_int_equal(mf.type, 250);
            assert_int_equal(mm.type, 251);
            assert_int_equal(mf.size, mm.size);
            assert_int_equal(mf.next, mm.next);
            assert_int_equal(mf.unique, 0);
            for (size_t i = 0; i < mf.next; i++) {
                assert_int_equal(mf.ext[i].len, mm.ext[i].len);
                if (redundant)
                    assert_true(mf.ext[i].abs != mm.ext[i].abs);
                else
                    assert_int_equal(mf.ext[i].abs, mm.ext[i].abs);
                uint32_t nb = mf.ext[i].len / 2048;
                uint8_t *x = malloc((size_t)nb * 2048), *y = malloc((size_t)nb * 2048);
                rdb(&u, mf.ext[i].abs, x, nb);
                rdb(&u, mm.ext[i].abs, y, nb);
                assert_memory_equal(x, y, (size_t)nb * 2048);
                check_tag(x, 0x100, 0, 2048);               /* metadata block 0: the FSD */
                free(x);
                free(y);
            }
            /* file data outside the metadata partition, FEs inside */
            uint16_t rpart;
            uint32_t rlb;
            read_fsd(&u, lvd, &rpart, &rlb);
            uicb f;
            ufid fid;
            assert_non_null(find_path(&u, rpart, rlb, "dir/b.bin", &f, &fid));
            assert_int_equal(fid.part, 1);
            assert_true(f.ext[0].abs >= mf.ext[0].abs + mf.size / 2048 || f.ext[0].abs < mf.ext[0].abs);
            uclose(&u);
            fsi_plan_unref(p);
        }
    fsi_image_free(img);
}

/* ---- large files: several extents, allocation extent descriptors, the ISO size rule -------------- */

/* size bytes of a pattern; one source per file (static, never freed) */
typedef struct pat_source { fsi_source base; uint64_t size; } pat_source;
static fsi_status p_open(fsi_source *s, void **h) { *h = s; return FSI_OK; }
static fsi_status p_read(fsi_source *s, void *h, uint64_t off, void *buf, size_t len, size_t *got)
{
    (void)h;
    uint64_t size = ((pat_source *)s)->size;
    size_t n = off >= size ? 0 : size - off < len ? (size_t)(size - off) : len;
    for (size_t i = 0; i < n; i++)
        ((uint8_t *)buf)[i] = (uint8_t)((off + i) * 7);
    *got = n;
    return FSI_OK;
}
static void p_close(fsi_source *s, void *h) { (void)s; (void)h; }
static void p_destroy(fsi_source *s) { (void)s; }
static const fsi_source_ops pat_ops = { p_open, p_read, p_close, p_destroy };
static pat_source g_pat[8];
static int g_npat;

static fsi_node *add_big(fsi_image *img, fsi_node *dir, const char *name, uint64_t size)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    fsi_node *n = NULL;
    assert_true(g_npat < 8);
    pat_source *ps = &g_pat[g_npat++];
    ps->base.ops = &pat_ops;
    ps->base.refs = 1;
    ps->size = size;
    assert_int_equal(fsi_node_new_file(u, l, size, &ps->base, &n), FSI_OK);
    assert_int_equal(fsi_dir_attach(img, dir, n, 0), FSI_OK);
    fsi_node_unref(n);
    return n;
}

static void big_files(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    uint64_t five = UINT64_C(5) << 30;
    add_big(img, r, "five.bin", five);
    mkfile_in(img, r, "small.txt", "hello", 5);
    /* ISO 9660 or Joliet at level 2, with UDF or not: Windows' ceiling (2 GiB) fails the image,
     * naming the file systems that have it */
    static const unsigned bridged[][2] = {
        { FSI_FS_ISO9660 | FSI_FS_JOLIET, FSI_FS_ISO9660 | FSI_FS_JOLIET },
        { FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF, FSI_FS_ISO9660 | FSI_FS_JOLIET },
        { FSI_FS_ISO9660 | FSI_FS_UDF, FSI_FS_ISO9660 },
        { FSI_FS_JOLIET | FSI_FS_UDF, FSI_FS_JOLIET },
    };
    fsi_plan_opts o;
    fsi_plan *p = NULL;
    fsi_err err;
    for (size_t i = 0; i < sizeof bridged / sizeof bridged[0]; i++) {
        o = uopts(bridged[i][0], 0x250);
        assert_int_equal(fsi_plan_build(img, &o, &p, &err), FSI_E_DATA_TOO_BIG);
        assert_null(p);
        assert_int_equal(err.fs, bridged[i][1]);
    }
    for (size_t ri = 0; ri < sizeof REVS / sizeof REVS[0]; ri++) {
        int rev = REVS[ri];
        /* UDF alone takes any size */
        o = uopts(FSI_FS_UDF, rev);
        p = ubuild(img, &o);
        uimg u;
        uint8_t lvd[2048], lvid[2048];
        uopen(&u, p, 0, rev, lvd, lvid);
        uint16_t rpart;
        uint32_t rlb;
        read_fsd(&u, lvd, &rpart, &rlb);
        uicb f;
        ufid fid;
        assert_non_null(find_path(&u, rpart, rlb, "five.bin", &f, &fid));
        assert_int_equal(f.size, five);
        assert_int_equal(f.next, 6);
        for (size_t i = 0; i + 1 < f.next; i++) {
            assert_int_equal(f.ext[i].len, FSI_UDF_MAX_EXTENT);
            assert_int_equal(f.ext[i + 1].abs, f.ext[i].abs + FSI_UDF_MAX_EXTENT / 2048);   /* contiguous */
        }
        /* first and last data bytes through the cursor */
        uint8_t b[2048];
        rdb(&u, f.ext[0].abs, b, 1);
        assert_int_equal(b[1], 7);
        rdb(&u, f.ext[5].abs + (f.ext[5].len - 1) / 2048, b, 1);
        assert_int_equal(b[(five - 1) % 2048], (uint8_t)((five - 1) * 7));
        assert_non_null(find_path(&u, rpart, rlb, "small.txt", &f, &fid));
        uclose(&u);
        fsi_plan_unref(p);
    }
    /* level 3: the file is in the ISO trees too (multi-extent) */
    o = uopts(FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF, 0x250);
    o.iso_level = 3;
    p = ubuild(img, &o);
    iso_img im = { 0 };
    (void)im;
    fsi_cursor *c = fsi_cursor_new(p);
    uint8_t b[2048], d[2048];
    assert_int_equal(fsi_cursor_read(c, 16 * 2048, b, 2048, &err), FSI_OK);
    assert_int_equal(fsi_cursor_read(c, (uint64_t)rd_both32(b + 156 + 2) * 2048, d, 2048, &err), FSI_OK);
    assert_memory_equal(d + 68 + 33, "FIVE.BIN;1", 10);
    fsi_cursor_free(c);
    fsi_plan_unref(p);
    fsi_image_free(img);
}

/* ---- 2.50+: the copies far apart (the Philips verifier's rule) ------------------------------------ */

/* Whole ECC blocks (16 sectors) strictly between the extent [a, a + an) and a later one at b. */
static int64_t ecc_gap(uint64_t a, uint64_t an, uint64_t b)
{
    return (int64_t)(b / 16) - (int64_t)((a + an - 1) / 16) - 1;
}

/* A tenth of a session of total blocks in ECC blocks, rounded up: the distance wanted. */
static int64_t ecc_need(uint64_t total) { return (int64_t)(((total + 15) / 16 + 9) / 10); }

/* The main and reserve VDS (from both anchors) and, with a mirror copy, the metadata file and the
 * metadata mirror file at least a tenth of the session apart in ECC blocks (tests/iso/udfplace.py
 * measures the same from image files). The copies follow the data at the first allocation unit
 * boundary where they are far enough: one unit earlier they are not, or meet the data. Below 2.50
 * the layout is the old one (reserve VDS at 64). The zeros cost at most a ninth of the image
 * (udf.c). Returns the zero blocks between the data and the tail (the mirror copy, or the reserve
 * VDS). */
static uint32_t check_far(fsi_plan *p, uint32_t ss, int rev, int mirror)
{
    uimg u;
    uint8_t lvd[2048], lvid[2048], a[2048];
    uopen(&u, p, ss, rev, lvd, lvid);
    int64_t need = ecc_need(u.total);
    uint32_t rloc = 0;
    for (int k = 0; k < 2; k++) {
        uint32_t at = k ? ss + u.total - 1 : ss + 256;
        rdb(&u, at, a, 1);
        assert_int_equal(rd_le32(a + 20), ss + 32);
        rloc = rd_le32(a + 28);
        if (rev < 0x250)
            assert_int_equal(rloc, ss + 64);
        else
            assert_true(ecc_gap(ss + 32, 16, rloc) >= need);
    }
    uint32_t tail = rloc - ss, gap = 0;
    if (rev >= 0x250) {
        const uint8_t *mp = lvd + 446;
        uicb mf, mm;
        read_icb(&u, 0, rd_le32(mp + 40), &mf);
        read_icb(&u, 0, rd_le32(mp + 44), &mm);
        uint32_t mblocks = (uint32_t)(mf.size / 2048), mfirst = mf.ext[0].abs;
        for (size_t i = 1; i < mf.next; i++)                /* contiguous, as the mirror copy */
            assert_int_equal(mf.ext[i].abs, mf.ext[i - 1].abs + mf.ext[i - 1].len / 2048);
        assert_int_equal(mp[58], mirror);
        if (mirror) {
            assert_true(mm.ext[0].abs > mfirst);
            assert_true(ecc_gap(mfirst, mblocks, mm.ext[0].abs) >= need);
            assert_int_equal(mm.ext[0].abs + mblocks, rloc);    /* the mirror, then the reserve VDS */
            assert_int_equal((mm.ext[0].abs - u.part) % 32, 0);
            tail = mm.ext[0].abs - ss;
        } else {
            assert_int_equal(mm.ext[0].abs, mfirst);
        }
        /* one allocation unit earlier: too close, or inside the data (the last extent of the
         * plan: the metadata after the data, to the end) */
        const fsi_extent_info *x = fsi_plan_extent(p, fsi_plan_extent_count(p) - 1);
        assert_false(x->is_file);
        assert_int_equal(x->first_block + x->block_count, ss + u.total);
        uint32_t data_end = x->first_block - ss;
        assert_true(tail >= data_end);
        if (tail >= 32 + data_end) {
            uint64_t t = tail - 32, total = u.total - 32;
            int far = ecc_gap(ss + 32, 16, ss + t + (mirror ? mblocks : 0)) >= ecc_need(total) &&
                      (!mirror || ecc_gap(mfirst, mblocks, ss + t) >= ecc_need(total));
            assert_false(far);
        }
        gap = tail - data_end;
        /* the cost: at most a ninth of the image the copies would make right after the data */
        uint64_t t0 = data_end + (mirror ? mblocks : 0) + 17;
        assert_true(u.total <= t0 + (t0 + 8) / 9 + 104);
    }
    uclose(&u);
    return gap;
}

static void far_apart(void **state)
{
    (void)state;
    fsi_image *small = small_tree();
    /* much metadata, almost no data: 3000 empty files and 60 folders */
    fsi_image *meta = fsi_image_new();
    for (int d = 0; d < 60; d++) {
        char name[16];
        snprintf(name, sizeof name, "d%02d", d);
        fsi_node *dn = mkdir_in(meta, fsi_image_root(meta), name);
        for (int f = 0; f < 50; f++) {
            snprintf(name, sizeof name, "f%02d", f);
            mkfile_in(meta, dn, name, NULL, 0);
        }
    }
    mkfile_in(meta, fsi_image_root(meta), "one.txt", "x", 1);
    /* much data: 2 GiB (the most ISO 9660 takes at level 2) */
    fsi_image *big = fsi_image_new();
    add_big(big, fsi_image_root(big), "two.bin", UINT64_C(2) << 30);
    fsi_image *empty = fsi_image_new();
    fsi_image *imgs[] = { small, meta, big, empty };
    static const uint32_t starts[] = { 0, 1001, 50000 };
    for (size_t ri = 0; ri < sizeof REVS / sizeof REVS[0]; ri++)
        for (size_t ii = 0; ii < sizeof imgs / sizeof imgs[0]; ii++)
            for (int bridge = 0; bridge < 2; bridge++)
                for (int mirror = 0; mirror < 2; mirror++)
                    for (size_t si = 0; si < sizeof starts / sizeof starts[0]; si++) {
                        int rev = REVS[ri];
                        if ((rev < 0x250 && !mirror) || (ii == 2 && si))
                            continue;
                        unsigned fs = FSI_FS_UDF | (bridge ? FSI_FS_ISO9660 | FSI_FS_JOLIET : 0);
                        fsi_plan_opts o = uopts(fs, rev);
                        o.udf_redundant_metadata = mirror;
                        o.session_start = starts[si];
                        fsi_plan *p = ubuild(imgs[ii], &o);
                        uint32_t zeros = check_far(p, o.session_start, rev, rev >= 0x250 && mirror);
                        /* 3000 files without data: zeros part the copies; 2 GiB of data: none
                         * beyond the allocation unit boundary */
                        if (rev >= 0x250 && ii == 1 && mirror)
                            assert_true(zeros >= 32);
                        if (ii == 2)
                            assert_true(zeros < 32);
                        fsi_plan_unref(p);
                    }
    fsi_image_free(small);
    fsi_image_free(meta);
    fsi_image_free(big);
    fsi_image_free(empty);
}

/* More extents than an (E)FE holds: allocation extent descriptors follow the FE. */
static void allocation_extents(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    uint64_t huge = (uint64_t)FSI_UDF_MAX_EXTENT * 300 + 12345;    /* 301 extents, ~300 GiB */
    add_big(img, r, "huge.bin", huge);
    add_big(img, r, "after.bin", 3000);
    for (size_t ri = 0; ri < sizeof REVS / sizeof REVS[0]; ri++) {
        int rev = REVS[ri];
        fsi_plan_opts o = uopts(FSI_FS_UDF, rev);
        fsi_plan *p = ubuild(img, &o);
        uimg u;
        uint8_t lvd[2048], lvid[2048];
        uopen(&u, p, 0, rev, lvd, lvid);
        uint16_t rpart;
        uint32_t rlb;
        read_fsd(&u, lvd, &rpart, &rlb);
        uicb f;
        ufid fid;
        assert_non_null(find_path(&u, rpart, rlb, "huge.bin", &f, &fid));
        assert_int_equal(f.next, 301);
        /* FE: 234 short (229 EFE), long: 117 (114 EFE) per block; AED 253 short / 126 long */
        int efe = rev >= 0x200, lng = rev >= 0x250;
        size_t cap0 = (2048 - (efe ? 216 : 176)) / (lng ? 16 : 8), capa = (2048 - 24) / (lng ? 16 : 8);
        size_t want = 1, rem = 301 - (cap0 - 1);
        while (rem > capa) {
            rem -= capa - 1;
            want++;
        }
        assert_int_equal(f.aeds, want);
        for (size_t i = 0; i + 1 < f.next; i++)
            assert_int_equal(f.ext[i + 1].abs, f.ext[i].abs + FSI_UDF_MAX_EXTENT / 2048);
        assert_int_equal(f.ext[300].len, 12345);
        /* the next file's FE is still found and correct */
        assert_non_null(find_path(&u, rpart, rlb, "after.bin", &f, &fid));
        assert_int_equal(f.size, 3000);
        uclose(&u);
        fsi_plan_unref(p);
    }
    fsi_image_free(img);
}

/* Names too long for 255 CS0 bytes are cut (extension kept) and made unique; others stay. */
static void long_names(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    char a[1024], b2[1024];
    /* 200 wide characters + ".txt" twice, differing at the end */
    strcpy(a, "");
    for (int i = 0; i < 200; i++)
        strcat(a, "中");
    strcpy(b2, a);
    strcat(a, "1.txt");
    strcat(b2, "2.txt");
    mkfile_in(img, r, a, "x", 1);
    mkfile_in(img, r, b2, "y", 1);
    char narrow[300];
    memset(narrow, 'n', 254);
    narrow[254] = 0;
    mkfile_in(img, r, narrow, "z", 1);                     /* exactly 255 bytes: kept */
    fsi_plan_opts o = uopts(FSI_FS_UDF, 0x201);
    fsi_plan *p = ubuild(img, &o);
    uimg u;
    uint8_t lvd[2048], lvid[2048];
    uopen(&u, p, 0, 0x201, lvd, lvid);
    uint16_t rpart;
    uint32_t rlb;
    read_fsd(&u, lvd, &rpart, &rlb);
    ufid kids[8];
    uicb d;
    size_t n = read_dir(&u, rpart, rlb, rlb, kids, 8, &d);
    assert_int_equal(n, 3);
    int cut = 0, kept = 0;
    for (size_t i = 0; i < n; i++) {
        uint16_t w[300];
        size_t wl = fsi_utf8_to_utf16(kids[i].name, strlen(kids[i].name), w, 300);
        if (wl == 254) {
            kept++;
            continue;
        }
        assert_int_equal(wl, 127);
        assert_true(wl >= 4 && w[wl - 4] == '.' && w[wl - 1] == 't');
        cut++;
    }
    assert_int_equal(cut, 2);
    assert_int_equal(kept, 1);
    assert_true(strcmp(kids[0].name, kids[1].name) && strcmp(kids[1].name, kids[2].name) &&
                strcmp(kids[0].name, kids[2].name));
    /* fsi_map_name gives the same names */
    fsi_node *an = fsi_dir_lookup(r, U(a, NULL), 205);
    assert_non_null(an);
    uint16_t mb[300];
    assert_int_equal(fsi_map_name(img, an, FSI_FS_UDF, 2, mb, 300), 127);
    uclose(&u);
    fsi_plan_unref(p);
    fsi_image_free(img);
}

/* UDF alone: nothing of ISO 9660; deterministic bytes. */
static void udf_alone(void **state)
{
    (void)state;
    fsi_image *img = small_tree();
    fsi_plan_opts o = uopts(FSI_FS_UDF, 0x102);
    fsi_plan *p1 = ubuild(img, &o), *p2 = ubuild(img, &o);
    iso_img a = { 0 }, b = { 0 };
    iso_load(p1, &a);
    iso_load(p2, &b);
    assert_int_equal(a.size, b.size);
    assert_memory_equal(a.b, b.b, a.size);
    assert_memory_equal(a.b + 16 * 2048 + 1, "BEA01", 5);
    for (size_t i = 0; i < 16 * 2048; i++)
        assert_int_equal(a.b[i], 0);
    /* no CD001 anywhere in the volume descriptor area */
    for (int blk = 16; blk < 32; blk++)
        assert_memory_not_equal(a.b + blk * 2048 + 1, "CD001", 5);
    free(a.b);
    free(b.b);
    fsi_plan_unref(p1);
    fsi_plan_unref(p2);
    fsi_image_free(img);
}

/* ---- named streams, real-time files, hidden items ------------------------------------------------- */

static void add_stream_mem(fsi_node *f, const char *name, const void *data, size_t size)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    fsi_source *src = size ? fsi_source_new_memory(data, size) : NULL;
    assert_int_equal(fsi_node_add_stream(f, u, l, size, src), FSI_OK);
    fsi_source_unref(src);
}

/* The bytes of an ICB's extents equal want (size bytes); the slack of the last block is zero. */
static void check_data(uimg *u, const uicb *f, const uint8_t *want, uint64_t size)
{
    uint64_t pos = 0;
    assert_int_equal(f->size, size);
    for (size_t i = 0; i < f->next; i++) {
        uint32_t nb = (f->ext[i].len + 2047) / 2048;
        uint8_t *b = malloc((size_t)nb * 2048);
        rdb(u, f->ext[i].abs, b, nb);
        assert_memory_equal(b, want + pos, f->ext[i].len);
        for (size_t k = f->ext[i].len; k < (size_t)nb * 2048; k++)
            assert_int_equal(b[k], 0);
        free(b);
        assert_true(f->ext[i].abs >= u->part && f->ext[i].abs + nb <= u->part + u->part_len);
        pos += f->ext[i].len;
    }
    assert_int_equal(pos, size);
}

static uint8_t g_sdata[3][6000];

static fsi_image *stream_tree(void)
{
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 6000; i++)
            g_sdata[k][i] = (uint8_t)(i * (k + 3) + 11 * k + (i >> 8));
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_node *a = mkfile_in(img, r, "a.txt", "main data", 9);
    add_stream_mem(a, "s1", g_sdata[0], 5000);
    add_stream_mem(a, "Zone.Identifier", "[ZoneTransfer]\r\nZoneId=3\r\n", 26);
    add_stream_mem(a, "empty", NULL, 0);
    add_stream_mem(a, "流", g_sdata[1], 2048);
    fsi_node *d = mkdir_in(img, r, "dir");
    fsi_node *e = mkfile_in(img, d, "empty.bin", NULL, 0);
    add_stream_mem(e, "only", g_sdata[2], 7);
    mkfile_in(img, d, "plain.bin", g_sdata[2], 3000);
    return img;
}

typedef struct want_stream { const char *name; const uint8_t *data; size_t size; } want_stream;

/* The file at path and its streams, exactly ws[0 .. n) in this order. */
static void check_streams(uimg *u, uint16_t rpart, uint32_t rlb, const char *path, const uint8_t *data,
                          size_t size, const want_stream *ws, size_t n)
{
    uicb f, sd, st;
    ufid fid, kids[16];
    assert_non_null(find_path(u, rpart, rlb, path, &f, &fid));
    check_data(u, &f, data, size);
    assert_int_equal(f.type, 5);
    if (!n) {
        assert_int_equal(f.sd_len, 0);
        assert_int_equal(f.links, 1);
        return;
    }
    assert_int_equal(f.links, 2);                           /* its FID and the stream directory's parent FID */
    assert_int_equal(f.sd_part, u->meta ? 1 : 0);
    uint64_t total = size;
    for (size_t i = 0; i < n; i++)
        total += ws[i].size;
    assert_int_equal(f.obj_size, total);
    size_t got = read_fids(u, f.sd_part, f.sd_lb, fid.lb, kids, 16, &sd, 13);
    assert_int_equal(sd.unique, f.unique);                  /* streams share the file's unique ID */
    assert_int_equal(sd.flags & 0x2000, 0);
    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(kids[i].name, ws[i].name);
        assert_int_equal(kids[i].chars, 0);
        assert_int_equal(kids[i].unique, (uint32_t)f.unique);
        read_icb(u, kids[i].part, kids[i].lb, &st);
        assert_int_equal(st.type, 5);
        assert_int_equal(st.flags & 0x2000, 0x2000);        /* ICB tag: a stream */
        assert_int_equal(st.links, 1);
        assert_int_equal(st.unique, f.unique);
        assert_int_equal(st.sd_len, 0);
        check_data(u, &st, ws[i].data, ws[i].size);
    }
}

/* 2.00+: stream directories, stream EFEs and data; below: nothing of them. Every revision, alone
 * and bridged; the extent list names each stream "\file:stream"; the ISO trees do not list them. */
static void named_streams(void **state)
{
    (void)state;
    fsi_image *img = stream_tree();
    const want_stream a_streams[] = {
        { "s1", g_sdata[0], 5000 },
        { "Zone.Identifier", (const uint8_t *)"[ZoneTransfer]\r\nZoneId=3\r\n", 26 },
        { "empty", NULL, 0 },
        { "流", g_sdata[1], 2048 },
    };
    const want_stream e_streams[] = { { "only", g_sdata[2], 7 } };
    for (size_t ri = 0; ri < sizeof REVS / sizeof REVS[0]; ri++)
        for (int bridge = 0; bridge < 2; bridge++) {
            int rev = REVS[ri], on = rev >= 0x200;
            fsi_plan_opts o = uopts(FSI_FS_UDF | (bridge ? FSI_FS_ISO9660 | FSI_FS_JOLIET : 0), rev);
            fsi_plan *p = ubuild(img, &o);
            uimg u;
            uint8_t lvd[2048], lvid[2048];
            uopen(&u, p, 0, rev, lvd, lvid);
            uint16_t rpart;
            uint32_t rlb;
            read_fsd(&u, lvd, &rpart, &rlb);
            check_streams(&u, rpart, rlb, "a.txt", (const uint8_t *)"main data", 9, a_streams, on ? 4 : 0);
            check_streams(&u, rpart, rlb, "dir/empty.bin", NULL, 0, e_streams, on ? 1 : 0);
            check_streams(&u, rpart, rlb, "dir/plain.bin", g_sdata[2], 3000, NULL, 0);
            /* LVID: files and directories only (streams are not counted) */
            const uint8_t *iu = lvid + 80 + 8 * (u.meta ? 2 : 1);
            assert_int_equal(rd_le32(iu + 32), 3);
            assert_int_equal(rd_le32(iu + 36), 2);
            assert_int_equal(rd_le32(lvid + 40), 16 + 4);   /* streams use no unique ID of their own */
            /* the extent list: each stream's data right after its file's, named file:stream */
            static const char *const want_ext[] = { "\\a.txt", "\\a.txt:s1", "\\a.txt:Zone.Identifier",
                                                    "\\a.txt:流", "\\dir\\empty.bin:only", "\\dir\\plain.bin" };
            size_t k = 0;
            uint32_t prev_end = 0;
            for (size_t i = 0; i < fsi_plan_extent_count(p); i++) {
                const fsi_extent_info *x = fsi_plan_extent(p, i);
                assert_true(x->first_block >= prev_end);
                prev_end = x->first_block + x->block_count;
                if (!x->is_file)
                    continue;
                while (!on && k < 6 && strchr(want_ext[k], ':'))
                    k++;
                assert_true(k < 6);
                assert_true(u16_eq(x->path, x->path_len, want_ext[k]));
                k++;
            }
            assert_int_equal(k, 6);
            if (bridge) {                                   /* ISO 9660: a.txt, dir and nothing else */
                iso_img im = { 0 };
                iso_rec rec;
                iso_load(p, &im);
                assert_true(iso_find(&im, 0, "A.TXT;1", &rec));
                assert_int_equal(rec.size, 9);
                assert_false(iso_find(&im, 1, "a.txt:s1;1", &rec));
                free(im.b);
            }
            uclose(&u);
            fsi_plan_unref(p);
        }
    /* without UDF at all: the same image as without the streams */
    fsi_plan_opts o = uopts(FSI_FS_ISO9660 | FSI_FS_JOLIET, 0x102);
    fsi_plan *p1 = ubuild(img, &o);
    fsi_node *a = fsi_dir_lookup(fsi_image_root(img), U("a.txt", NULL), 5);
    while (fsi_node_stream_count(a)) {
        size_t l;
        const uint16_t *nm = fsi_node_stream(a, 0, &l, NULL, NULL);
        uint16_t copy[64];
        memcpy(copy, nm, l * 2);
        assert_int_equal(fsi_node_remove_stream(a, copy, l), FSI_OK);
    }
    fsi_node *e = fsi_dir_lookup(fsi_dir_lookup(fsi_image_root(img), U("dir", NULL), 3), U("empty.bin", NULL), 9);
    assert_int_equal(fsi_node_remove_stream(e, U("only", NULL), 4), FSI_OK);
    fsi_plan *p2 = ubuild(img, &o);
    iso_img x1 = { 0 }, x2 = { 0 };
    iso_load(p1, &x1);
    iso_load(p2, &x2);
    assert_int_equal(x1.size, x2.size);
    assert_memory_equal(x1.b, x2.b, x1.size);
    free(x1.b);
    free(x2.b);
    fsi_plan_unref(p1);
    fsi_plan_unref(p2);
    fsi_image_free(img);
}

/* At most FSI_STREAMS_MAX streams per image: the first ones in plan order, the rest left out. */
static void stream_limit(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_node *f1 = mkfile_in(img, r, "f1", "1", 1);
    fsi_node *f2 = mkfile_in(img, r, "f2", "2", 1);
    fsi_node *f3 = mkfile_in(img, r, "f3", "3", 1);
    char name[32];
    for (int i = 0; i < 600; i++) {
        snprintf(name, sizeof name, "a%03d", i);
        add_stream_mem(f1, name, name, i % 3);              /* some empty, some with data */
    }
    for (int i = 0; i < 402; i++) {
        snprintf(name, sizeof name, "b%03d", i);
        add_stream_mem(f2, name, name, 4);
    }
    add_stream_mem(f3, "late", "late", 4);
    fsi_plan_opts o = uopts(FSI_FS_UDF, 0x250);
    fsi_plan *p = ubuild(img, &o);
    uimg u;
    uint8_t lvd[2048], lvid[2048];
    uopen(&u, p, 0, 0x250, lvd, lvid);
    uint16_t rpart;
    uint32_t rlb;
    read_fsd(&u, lvd, &rpart, &rlb);
    static ufid kids[700];
    uicb f, sd;
    ufid fid;
    assert_non_null(find_path(&u, rpart, rlb, "f1", &f, &fid));
    assert_int_equal(read_fids(&u, f.sd_part, f.sd_lb, fid.lb, kids, 700, &sd, 13), 600);
    assert_non_null(find_path(&u, rpart, rlb, "f2", &f, &fid));
    assert_int_equal(read_fids(&u, f.sd_part, f.sd_lb, fid.lb, kids, 700, &sd, 13), 400);
    assert_string_equal(kids[399].name, "b399");
    assert_int_equal(f.obj_size, 1 + 400 * 4);
    assert_non_null(find_path(&u, rpart, rlb, "f3", &f, &fid));
    assert_int_equal(f.sd_len, 0);                          /* past the limit: left out */
    assert_int_equal(f.links, 1);
    size_t data = 0;
    for (size_t i = 0; i < fsi_plan_extent_count(p); i++)
        data += fsi_plan_extent(p, i)->is_file;
    assert_int_equal(data, 3 + 400 + 400);                  /* files, f1's non-empty, f2's kept */
    uclose(&u);
    fsi_plan_unref(p);
    fsi_image_free(img);
}

/* Real-time files: file type 249 from 2.01, 5 below; hidden items: FID characteristic bit 0. */
static void realtime_hidden(void **state)
{
    (void)state;
    fsi_image *img = fsi_image_new();
    fsi_node *r = fsi_image_root(img);
    fsi_node *rt = mkfile_in(img, r, "rt.bin", "realtime", 8);
    fsi_node_set_realtime(rt, 1);
    assert_true(fsi_node_realtime(rt));
    fsi_node *hd = mkdir_in(img, r, "hdir");
    fsi_node_set_hidden(hd, 1);
    fsi_node_set_realtime(hd, 1);                           /* ignored for directories */
    assert_false(fsi_node_realtime(hd));
    fsi_node *hf = mkfile_in(img, hd, "h.txt", "h", 1);
    fsi_node_set_hidden(hf, 1);
    fsi_node_set_realtime(hf, 1);
    for (size_t ri = 0; ri < sizeof REVS / sizeof REVS[0]; ri++) {
        int rev = REVS[ri];
        fsi_plan_opts o = uopts(FSI_FS_UDF | FSI_FS_ISO9660, rev);
        fsi_plan *p = ubuild(img, &o);
        uimg u;
        uint8_t lvd[2048], lvid[2048];
        uopen(&u, p, 0, rev, lvd, lvid);
        uint16_t rpart;
        uint32_t rlb;
        read_fsd(&u, lvd, &rpart, &rlb);
        uicb f;
        ufid fid;
        assert_non_null(find_path(&u, rpart, rlb, "rt.bin", &f, &fid));
        assert_int_equal(f.type, rev >= 0x201 ? 249 : 5);
        assert_int_equal(fid.chars, 0);
        check_data(&u, &f, (const uint8_t *)"realtime", 8);
        assert_non_null(find_path(&u, rpart, rlb, "hdir", &f, &fid));
        assert_int_equal(f.type, 4);
        assert_int_equal(fid.chars, 0x03);                  /* hidden directory */
        assert_non_null(find_path(&u, rpart, rlb, "hdir/h.txt", &f, &fid));
        assert_int_equal(f.type, rev >= 0x201 ? 249 : 5);
        assert_int_equal(fid.chars, 0x01);                  /* hidden file */
        /* ISO 9660: the existence (hidden) bit */
        iso_img im = { 0 };
        iso_rec rec;
        iso_load(p, &im);
        assert_true(iso_find(&im, 0, "HDIR", &rec));
        assert_int_equal(rec.flags & 0x01, 0x01);
        assert_true(iso_find(&im, 0, "RT.BIN;1", &rec));
        assert_int_equal(rec.flags & 0x01, 0);
        free(im.b);
        uclose(&u);
        fsi_plan_unref(p);
    }
    fsi_image_free(img);
}

int main(int argc, char **argv)
{
    fsi_test_args(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc_vectors),
        cmocka_unit_test(tag_checksum),
        cmocka_unit_test(cs0_encoding),
        cmocka_unit_test(dstrings),
        cmocka_unit_test(timestamps),
        cmocka_unit_test(extent_splitting),
        cmocka_unit_test(lvid_sums),
        cmocka_unit_test(whole_images),
        cmocka_unit_test(shared_extents),
        cmocka_unit_test(metadata_mirror),
        cmocka_unit_test(big_files),
        cmocka_unit_test(far_apart),
        cmocka_unit_test(allocation_extents),
        cmocka_unit_test(long_names),
        cmocka_unit_test(udf_alone),
        cmocka_unit_test(named_streams),
        cmocka_unit_test(stream_limit),
        cmocka_unit_test(realtime_hidden),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
