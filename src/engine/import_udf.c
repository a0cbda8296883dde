/*
 * UDF import (ECMA-167 3rd edition parts 3 and 4; OSTA UDF 1.02 - 2.60): the tree of the logical
 * volume an anchor of the session describes.
 *
 * Volume: an Anchor Volume Descriptor Pointer at session_start + 256, N - 1 or N - 257 (N: blocks of
 * the medium; ECMA-167 3/8.4.2.1), the first valid one is used (the others, if their sequences
 * differ, when its sequences fail); its Main Volume Descriptor Sequence, or the Reserve one when
 * the main is unreadable or lacks a valid LVD or PD (3/8.4.2.2), following Volume Descriptor
 * Pointers; the prevailing (highest sequence number) LVD and PDs (3/8.4.3). Every descriptor used
 * is checked: tag identifier, tag checksum, descriptor CRC (when its length fits the data read) and
 * tag location (absolute in part 3, partition-relative in part 4, ECMA-167 3/7.2.1, 4/7.2.1).
 *
 * Partitions: type 1 maps and the UDF 2.50 metadata partition (its metadata file, or the metadata
 * mirror file when the metadata file's ICB is bad; when the walk of the tree fails with a damaged
 * or unreadable block, it is retried once through a mirror that has its own copy). Sparable and
 * virtual (VAT) partitions, extended allocation descriptors and a logical block size other than
 * 2048 answer FSI_E_FS_FEATURE. ICB strategy 4096 (mkudffs --strategy=4096) is followed through its
 * indirect entries to the newest direct entry.
 *
 * Tree: breadth-first from the File Set Descriptor's root ICB, without recursion; (E)FEs with
 * short_ad, long_ad or embedded data and allocation extent descriptor chains; unrecorded extents
 * become FSI_HOLE extents. Directories are read in chunks through a small window (a FID may
 * straddle blocks; a FID larger than a block is refused as Linux does). Named streams of files (an
 * EFE's stream directory) become node streams (fsi_node_add_stream; streams whose names the tree
 * refuses, such as "*UDF ..." system streams, and those past FSI_STREAMS_MAX per file are left
 * out). Symbolic links and other special files are skipped; real-time files (type 249) are marked.
 *
 * Hostile images: every location, length and count is checked; a directory ICB met twice (a loop)
 * is FSI_E_CORRUPT, and so is an allocation extent descriptor met twice in one chain; the metadata
 * blocks read (ICBs, AEDs, directories, descriptors) are limited to four times the medium's blocks
 * plus 65536 (a volume reads each at most about twice, a hard link once more), and the extents
 * made to four times the blocks plus 2^20, so time and memory stay proportional to the medium
 * whatever the pointers say.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

#ifdef FSI_IMPORT_DEBUG
#include <stdio.h>
#endif

#define BS FSI_BLOCK_SIZE
#define MAX_MAPS 8u                 /* partition maps of the LVD (more: FSI_E_FS_FEATURE) */
#define MAX_PDS 16u                 /* distinct partition numbers remembered */
#define MAX_VDS_BLOCKS 512u         /* descriptors read in one volume descriptor sequence */
#define MAX_LVIS_BLOCKS 64u         /* integrity descriptors read */
#define MAX_LVIS_HOPS 8u            /* next integrity extents followed */
#define CHUNK 16u                   /* directory blocks read at once */
#define FID_HDR 38u
#define MAX_ICB_HOPS 64u            /* strategy 4096: indirect entries followed */
#define MAX_INFO_LEN (UINT64_C(1) << 62)

enum {
    TAG_PVD = 1, TAG_AVDP = 2, TAG_VDP = 3, TAG_IUVD = 4, TAG_PD = 5, TAG_LVD = 6, TAG_USD = 7, TAG_TD = 8,
    TAG_LVID = 9, TAG_FSD = 256, TAG_FID = 257, TAG_AED = 258, TAG_IE = 259, TAG_FE = 261, TAG_EFE = 266,
};

enum { P_PHYS = 1, P_META = 2 };

typedef struct upart {
    int kind;
    uint16_t num;                   /* partition number (its PD) */
    uint64_t start, len;            /* the PD's partition: absolute first block, blocks */
    /* metadata partition */
    unsigned phys;                  /* index of the (hidden) physical entry the metadata file is in */
    uint32_t meta_loc, mirror_loc;
    int dup;                        /* Duplicate Metadata Flag */
    fsi_disc_extent *mx;            /* the metadata (mirror) file's extents: absolute, whole blocks */
    uint64_t *mcum;                 /* first metadata block of each extent */
    size_t nmx;
    uint64_t mblocks;               /* blocks of the metadata partition */
} upart;

typedef struct upd {
    uint16_t num;
    uint32_t seq;
    uint64_t start, len;
} upd;

typedef struct qent {
    fsi_node *dir;
    uint32_t lb;
    uint16_t part;
    uint32_t depth;
} qent;

typedef struct udf {
    fsi_import_ctx *ic;
    uint64_t budget;                /* metadata blocks that may still be read */
    uint64_t ext_budget;            /* extents that may still be made */
    /* volume descriptor sequence */
    uint8_t lvd[BS];
    int have_lvd;
    uint32_t lvd_seq;
    upd pd[MAX_PDS];
    unsigned npd;
    /* partitions: [0, nmaps) are the LVD's maps (partition reference numbers), then hidden
     * physical entries for metadata files */
    upart p[2 * MAX_MAPS];
    unsigned nmaps, np;
    int meta;                       /* index of the metadata partition, -1: none */
    uint32_t fsd_lb;
    uint16_t fsd_part;
    uint64_t vol_end;
    /* scratch */
    uint8_t fe[BS], aed[BS];
    fsi_disc_extent *ext;           /* extents of the ICBs being read, as a stack */
    uint32_t *elb;                  /* logical block of each (directories: FID tag locations) */
    size_t next, ecap;
    fsi_blockset seen;                    /* directory ICBs met */
    fsi_blockset aeds;                    /* allocation extent descriptors of the chain being read */
    qent *q;
    size_t qhead, qlen, qcap;
    /* the first failure when trying alternatives (anchors, sequences, mirror) */
    fsi_status first;
    fsi_err saved;
} udf;

typedef struct icbi {
    uint8_t type;
    uint16_t flags;
    uint64_t info_len;
    fsi_times t;
    int embedded;
    const uint8_t *emb;             /* embedded data (in u->fe) */
    size_t e0, ne;                  /* its extents: u->ext[e0 .. e0 + ne) */
    int sdir;                       /* EFE: a stream directory */
    uint16_t sdir_part;
    uint32_t sdir_lb;
    unsigned part;                  /* where the ICB is (short_ad partition) */
    uint32_t area, lad;             /* its allocation descriptors in u->fe */
} icbi;

/* ---- failures -------------------------------------------------------------------------------- */

static fsi_status corrupt(udf *u, const char *why) { return fsi_imp_corrupt(u->ic, why); }

static fsi_status feature(udf *u, const char *why)
{
    (void)why;
#ifdef FSI_IMPORT_DEBUG
    fprintf(stderr, "import: not supported: %s\n", why);
#endif
    fsi_err_set(u->ic->err, FSI_E_FS_FEATURE, u->ic->fs, NULL);
    return FSI_E_FS_FEATURE;
}

/* Keep the first failure of several alternatives, and clear the error for the next one. */
static void keep_failure(udf *u, fsi_status st)
{
    if (!u->first) {
        u->first = st;
        if (u->ic->err)
            u->saved = *u->ic->err;
    }
    fsi_err_clear(u->ic->err);
}

static fsi_status first_failure(udf *u)
{
    fsi_status st = u->first;
    if (u->ic->err)
        *u->ic->err = u->saved;
    u->first = FSI_OK;
    return st;
}

static int recoverable(fsi_status st) { return st == FSI_E_CORRUPT || st == FSI_E_MEDIUM_READ; }

/* ---- descriptors ----------------------------------------------------------------------------- */

static int tag_sum_ok(const uint8_t *d) { return fsi_udf_tag_checksum(d) == d[4]; }

/* Tag of a descriptor of at most avail bytes at d: checksum, identifier, CRC (when it fits) and
 * location. 1 if valid. */
static int tag_ok(const uint8_t *d, size_t avail, uint16_t id, uint64_t loc)
{
    if (avail < 16 || !tag_sum_ok(d) || fsi_le16(d) != id || fsi_le32(d + 12) != loc)
        return 0;
    size_t crc_len = fsi_le16(d + 10);
    if (16 + crc_len <= avail && fsi_udf_crc(d + 16, crc_len) != fsi_le16(d + 8))
        return 0;
    return 1;
}

/* Read count blocks of metadata at absolute lba, within the budget. */
static fsi_status rd(udf *u, uint64_t lba, uint32_t count, void *buf)
{
    if (u->budget < count)
        return corrupt(u, "too many metadata blocks read");
    u->budget -= count;
    return fsi_imp_read(u->ic, lba, count, buf);
}

/* regid (ECMA-167 1/7.4) identifier is s */
static int regid_is(const uint8_t *r, const char *s)
{
    size_t n = strlen(s);
    return memcmp(r + 1, s, n) == 0 && (n >= 23 || r[1 + n] == 0);
}

/* OSTA CS0 (UDF 2.1.1) of n bytes to UTF-16 (out: at least n units). Compression 8 and 16 (254 and
 * 255, the deleted forms of UDF 2.50, read the same). Returns the units, or (size_t)-1. */
static size_t cs0_decode(const uint8_t *s, size_t n, uint16_t *out)
{
    if (!n)
        return 0;
    size_t k = 0;
    if (s[0] == 8 || s[0] == 254) {
        for (size_t i = 1; i < n; i++)
            out[k++] = s[i];
    } else if (s[0] == 16 || s[0] == 255) {
        if ((n - 1) & 1)
            return (size_t)-1;
        for (size_t i = 1; i + 1 < n; i += 2)
            out[k++] = fsi_be16(s + i);
    } else {
        return (size_t)-1;
    }
    return k;
}

/* 1/7.3 timestamp: type 1 is local time with its offset (-2047: not specified, read as UTC);
 * types 0 and 2 are read as UTC. Invalid dates give 1970 (fsi_time_from_civil). */
static fsi_time timestamp(const uint8_t *p)
{
    uint16_t tz = fsi_le16(p);
    int off = tz & 0xFFF;
    if (off & 0x800)
        off -= 0x1000;
    if (tz >> 12 != 1 || off < -1440 || off > 1440)
        off = 0;
    int64_t ticks = 0;
    if (p[9] <= 99 && p[10] <= 99 && p[11] <= 99)
        ticks = (int64_t)p[9] * 100000 + (int64_t)p[10] * 1000 + (int64_t)p[11] * 10;
    return fsi_time_from_civil((int16_t)fsi_le16(p + 2), p[4], p[5], p[6], p[7], p[8], ticks, off);
}

/* ---- partitions ------------------------------------------------------------------------------ */

/* Absolute block of logical block lb of partition part, and how many blocks from there (at most
 * want, at least 1) are contiguous on the medium. NULL, or why not. */
static const char *map_q(const udf *u, unsigned part, uint64_t lb, uint64_t want, uint64_t *abs, uint64_t *run)
{
    if (part >= u->np)
        return "bad partition reference";
    const upart *p = &u->p[part];
    if (p->kind == P_PHYS) {
        if (lb >= p->len)
            return "block outside its partition";
        *abs = p->start + lb;
        *run = want < p->len - lb ? want : p->len - lb;
        return NULL;
    }
    if (lb >= p->mblocks)
        return "block outside the metadata partition";
    size_t lo = 0, hi = p->nmx;                     /* the last extent with mcum <= lb */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->mcum[mid] <= lb)
            lo = mid;
        else
            hi = mid;
    }
    const fsi_disc_extent *e = &p->mx[lo];
    uint64_t in = lb - p->mcum[lo], nb = (e->len + BS - 1) / BS;
    if (e->lba == FSI_HOLE || in >= nb)
        return "metadata block not recorded";
    *abs = e->lba + in;
    *run = want < nb - in ? want : nb - in;
    return NULL;
}

static fsi_status map_run(udf *u, unsigned part, uint64_t lb, uint64_t want, uint64_t *abs, uint64_t *run)
{
    const char *why = map_q(u, part, lb, want, abs, run);
    return why ? corrupt(u, why) : FSI_OK;
}

static fsi_status read_lb(udf *u, unsigned part, uint32_t lb, uint8_t *buf)
{
    uint64_t abs, run;
    fsi_status st = map_run(u, part, lb, 1, &abs, &run);
    return st ? st : rd(u, abs, 1, buf);
}

/* ---- extents --------------------------------------------------------------------------------- */

static fsi_status push(udf *u, uint64_t lba, uint64_t len, uint32_t lb)
{
    if (!u->ext_budget)
        return corrupt(u, "too many extents");
    u->ext_budget--;
    if (u->next == u->ecap) {
        size_t cap = u->ecap ? 2 * u->ecap : 64;
        fsi_disc_extent *e = realloc(u->ext, cap * sizeof *e);
        if (!e)
            return FSI_E_NOMEM;
        u->ext = e;
        uint32_t *l = realloc(u->elb, cap * sizeof *l);
        if (!l)
            return FSI_E_NOMEM;
        u->elb = l;
        u->ecap = cap;
    }
    u->ext[u->next].lba = lba;
    u->ext[u->next].len = len;
    u->elb[u->next] = lb;
    u->next++;
    return FSI_OK;
}

/* An extent of an allocation descriptor (ECMA-167 4/14.14.1.1): type 0 recorded, 1 allocated and
 * not recorded, 2 neither (holes). Recorded ones are split where the partition is not contiguous
 * on the medium and must lie inside the partition and the medium. */
static fsi_status add_ext(udf *u, unsigned part, uint32_t lb, uint32_t len, unsigned type)
{
    if (type != 0)
        return push(u, FSI_HOLE, len, 0);
    uint64_t nb = ((uint64_t)len + BS - 1) / BS, l = lb, left = len;
    while (nb) {
        uint64_t abs, run;
        fsi_status st = map_run(u, part, l, nb, &abs, &run);
        if (st)
            return st;
        if (abs > u->ic->blocks || run > u->ic->blocks - abs)
            return corrupt(u, "extent past the end of the medium");
        uint64_t bytes = run * BS < left ? run * BS : left;
        if ((st = push(u, abs, bytes, (uint32_t)l)))
            return st;
        nb -= run;
        l += run;
        left -= bytes;
    }
    return FSI_OK;
}

/* The allocation descriptors of an ICB (in its area, continued by AEDs) up to the information
 * length; the last extent is cut to it. */
static fsi_status read_ads(udf *u, icbi *ci, unsigned part, const uint8_t *area, uint32_t lad, int is_long)
{
    size_t sz = is_long ? 16 : 8;
    uint64_t got = 0, aeds = 0;
    int partial = 0;                                /* the last extent is not whole blocks */
    while (got < ci->info_len) {
        int cont = 0;
        uint32_t clen = 0, clb = 0;
        unsigned cpart = part;
        for (size_t off = 0; off + sz <= lad && got < ci->info_len; off += sz) {
            const uint8_t *a = area + off;
            uint32_t raw = fsi_le32(a), len = raw & 0x3FFFFFFFu, type = raw >> 30;
            uint32_t lb = fsi_le32(a + 4);
            unsigned pr = is_long ? fsi_le16(a + 8) : part;
            if (len == 0)
                goto end;                           /* 4/12.1: the end of the descriptors */
            if (type == 3) {                        /* the next extent of allocation descriptors */
                cont = 1;
                clen = len;
                clb = lb;
                cpart = pr;
                break;
            }
            if (partial)
                return corrupt(u, "extent before the last not whole blocks");
            fsi_status st = add_ext(u, pr, lb, len, type);
            if (st)
                return st;
            got += len;
            partial = len % BS != 0;
        }
        if (!cont)
            break;
        /* an allocation extent descriptor (4/14.5): met twice in the chain, or a chain longer
         * than the extents it gives, is a loop */
        if (!aeds++)
            fsi_blockset_clear(&u->aeds);
        int seen = fsi_blockset_add(&u->aeds, cpart, clb);
        if (seen < 0)
            return FSI_E_NOMEM;
        if (seen || aeds > (u->next - ci->e0) + 16)
            return corrupt(u, "allocation extent descriptor loop");
        fsi_status st = read_lb(u, cpart, clb, u->aed);
        if (st)
            return st;
        if (!tag_ok(u->aed, BS, TAG_AED, clb))
            return corrupt(u, "bad allocation extent descriptor");
        uint32_t n = fsi_le32(u->aed + 20);
        if (clen < 24 || n > BS - 24 || n > clen - 24)
            return corrupt(u, "bad allocation extent descriptor length");
        area = u->aed + 24;
        lad = n;
        part = cpart;
    }
end:
    if (got < ci->info_len)
        return corrupt(u, "extents shorter than the information length");
    uint64_t over = got - ci->info_len;             /* less than the last descriptor's extent */
    while (over) {
        fsi_disc_extent *e = &u->ext[u->next - 1];
        if (e->len <= over) {
            over -= e->len;
            u->next--;
        } else {
            e->len -= over;
            over = 0;
        }
    }
    ci->ne = u->next - ci->e0;
    return FSI_OK;
}

/* Read the (E)FE at lb of partition part (4/14.9, 4/14.17) into u->fe: its type, times and where
 * its allocation descriptors are (icb_data reads them). */
static fsi_status read_icb(udf *u, unsigned part, uint32_t lb, icbi *ci)
{
    memset(ci, 0, sizeof *ci);
    ci->e0 = u->next;
    ci->part = part;
    const uint8_t *fe = u->fe;
    uint16_t id;
    for (unsigned hop = 0;; hop++) {
        fsi_status st = read_lb(u, part, lb, u->fe);
        if (st)
            return st;
        id = fsi_le16(fe);
        if ((id != TAG_FE && id != TAG_EFE) || !tag_ok(fe, BS, id, lb))
            return corrupt(u, "bad file entry");
        uint16_t strategy = fsi_le16(fe + 20);
        if (strategy == 4)
            break;
        if (strategy != 4096)
            return corrupt(u, "bad ICB strategy");
        /* strategy 4096 (ECMA-167 4/A.6, UDF 2.3.5.1): the entry after this direct entry, when
         * recorded, is an indirect entry (4/14.7) to the next ICB, which has the newer direct
         * entry; the last one prevails */
        uint64_t abs, run;
        if (hop >= MAX_ICB_HOPS)
            return corrupt(u, "too many indirect entries");
        if (lb == UINT32_MAX || map_q(u, part, (uint64_t)lb + 1, 1, &abs, &run) || !u->budget)
            break;
        u->budget--;
        if (fsi_medium_read(u->ic->m, abs, 1, u->aed) || !tag_ok(u->aed, BS, TAG_IE, lb + 1))
            break;
        if (!(fsi_le32(u->aed + 36) & 0x3FFFFFFFu))
            break;
        lb = fsi_le32(u->aed + 40);
        part = fsi_le16(u->aed + 44);
        ci->part = part;
    }
    int efe = id == TAG_EFE;
    ci->type = fe[27];
    ci->flags = fsi_le16(fe + 34);
    ci->info_len = fsi_le64(fe + 56);
    if (ci->info_len > MAX_INFO_LEN)
        return corrupt(u, "information length too large");
    if (efe) {
        ci->t.modification = timestamp(fe + 92);
        ci->t.creation = timestamp(fe + 104);
        uint32_t slen = fsi_le32(fe + 152) & 0x3FFFFFFFu;
        if (slen) {
            ci->sdir = 1;
            ci->sdir_lb = fsi_le32(fe + 156);
            ci->sdir_part = fsi_le16(fe + 160);
        }
    } else {
        ci->t.modification = ci->t.creation = timestamp(fe + 84);
    }
    ci->t.access = ci->t.modification;
    size_t hdr = efe ? 216 : 176;
    uint32_t lea = fsi_le32(fe + hdr - 8), lad = fsi_le32(fe + hdr - 4);
    if (lea > BS - hdr || lad > BS - hdr - lea)
        return corrupt(u, "extended attributes or descriptors past the file entry");
    ci->area = (uint32_t)(hdr + lea);
    ci->lad = lad;
    return FSI_OK;
}

/* The data of the ICB read_icb just read (still in u->fe): the extents pushed (ci->e0, ci->ne) or
 * the embedded bytes. */
static fsi_status icb_data(udf *u, icbi *ci)
{
    const uint8_t *area = u->fe + ci->area;
    switch (ci->flags & 7) {
    case 0:
    case 1:
        return read_ads(u, ci, ci->part, area, ci->lad, ci->flags & 1);
    case 2:
        return feature(u, "extended allocation descriptors");
    case 3:
        if (ci->info_len > ci->lad)
            return corrupt(u, "embedded data longer than the descriptors");
        ci->embedded = 1;
        ci->emb = area;
        return FSI_OK;
    default:
        return corrupt(u, "bad allocation descriptor type");
    }
}

/* ---- directories ----------------------------------------------------------------------------- */

/* Iterator over the File Identifier Descriptors (4/14.4) of a directory's data. */
typedef struct fiter {
    udf *u;
    uint64_t size, pos;
    int emb;                        /* the data is embedded: buf holds it */
    uint32_t emb_lb;                /* the ICB's block: the FIDs' tag location */
    size_t e0, ne;                  /* the data's extents in u->ext */
    uint8_t *buf;                   /* CHUNK blocks of the data, or the embedded bytes */
    uint64_t cb;                    /* directory block of buf[0] */
    uint32_t cn;                    /* blocks in buf (0: none) */
    uint32_t clb;                   /* logical block of buf[0] */
    size_t xi;                      /* extent cursor: extent xi starts at directory block xblk */
    uint64_t xblk;
    /* the current FID */
    uint8_t chars;
    uint16_t icb_part;
    uint32_t icb_lb;
    const uint8_t *name;
    size_t name_len;
    uint8_t fid[BS];
} fiter;

static fiter *fit_new(udf *u, const icbi *ci, uint32_t icb_lb)
{
    fiter *it = calloc(1, sizeof *it);
    if (!it)
        return NULL;
    it->u = u;
    it->size = ci->info_len;
    if (ci->embedded) {
        it->emb = 1;
        it->emb_lb = icb_lb;
        it->buf = malloc(ci->info_len ? (size_t)ci->info_len : 1);
        if (it->buf)
            memcpy(it->buf, ci->emb, (size_t)ci->info_len);
    } else {
        it->e0 = ci->e0;
        it->ne = ci->ne;
        it->buf = malloc(CHUNK * BS);
    }
    if (!it->buf) {
        free(it);
        return NULL;
    }
    return it;
}

static void fit_free(fiter *it)
{
    if (it) {
        free(it->buf);
        free(it);
    }
}

/* Load the chunk that starts with directory block b. */
static fsi_status fit_load(fiter *it, uint64_t b)
{
    udf *u = it->u;
    if (b < it->xblk) {
        it->xi = 0;
        it->xblk = 0;
    }
    const fsi_disc_extent *e;
    uint64_t nb;
    for (;;) {
        if (it->xi >= it->ne)
            return corrupt(u, "directory data shorter than its length");
        e = &u->ext[it->e0 + it->xi];
        nb = (e->len + BS - 1) / BS;
        if (b - it->xblk < nb)
            break;
        it->xblk += nb;
        it->xi++;
    }
    if (e->lba == FSI_HOLE)
        return corrupt(u, "directory data not recorded");
    uint64_t in = b - it->xblk, n = nb - in < CHUNK ? nb - in : CHUNK;
    it->cn = 0;
    fsi_status st = rd(u, e->lba + in, (uint32_t)n, it->buf);
    if (st)
        return st;
    it->cb = b;
    it->cn = (uint32_t)n;
    it->clb = u->elb[it->e0 + it->xi] + (uint32_t)in;
    return FSI_OK;
}

static int fit_has(const fiter *it, uint64_t b) { return it->cn && b >= it->cb && b - it->cb < it->cn; }

/* Copy n bytes of the data at pos (pos + n <= size). */
static fsi_status fit_copy(fiter *it, uint64_t pos, size_t n, uint8_t *out)
{
    if (it->emb) {
        memcpy(out, it->buf + pos, n);
        return FSI_OK;
    }
    while (n) {
        uint64_t b = pos / BS;
        if (!fit_has(it, b)) {
            fsi_status st = fit_load(it, b);
            if (st)
                return st;
        }
        size_t off = (size_t)(pos - it->cb * BS), k = (size_t)it->cn * BS - off;
        if (k > n)
            k = n;
        memcpy(out, it->buf + off, k);
        out += k;
        pos += k;
        n -= k;
    }
    return FSI_OK;
}

/* The next FID: *more = 0 at the end of the data. */
static fsi_status fit_next(fiter *it, int *more)
{
    udf *u = it->u;
    *more = 0;
    if (it->pos >= it->size)
        return FSI_OK;
    uint64_t rem = it->size - it->pos;
    if (rem < FID_HDR)
        return corrupt(u, "directory data ends inside a file identifier descriptor");
    uint32_t loc = it->emb_lb;
    if (!it->emb) {
        uint64_t b = it->pos / BS;
        if (!fit_has(it, b)) {
            fsi_status st = fit_load(it, b);
            if (st)
                return st;
        }
        loc = it->clb + (uint32_t)(b - it->cb);
    }
    uint8_t *h = it->fid;
    fsi_status st = fit_copy(it, it->pos, FID_HDR, h);
    if (st)
        return st;
    if (fsi_le16(h) != TAG_FID || !tag_sum_ok(h))
        return corrupt(u, "bad file identifier descriptor");
    size_t lfi = h[19], liu = fsi_le16(h + 36);
    size_t len = (FID_HDR + liu + lfi + 3) & ~(size_t)3;
    if (len > BS || len > rem)
        return corrupt(u, "file identifier descriptor too long");
    if ((st = fit_copy(it, it->pos + FID_HDR, len - FID_HDR, h + FID_HDR)))
        return st;
    if (!tag_ok(h, len, TAG_FID, loc))
        return corrupt(u, "bad file identifier descriptor tag");
    it->chars = h[18];
    it->icb_lb = fsi_le32(h + 24);
    it->icb_part = fsi_le16(h + 28);
    it->name = h + FID_HDR + liu;
    it->name_len = lfi;
    it->pos += len;
    *more = 1;
    return FSI_OK;
}

/* The FID's name as UTF-16 (at most 254 units); characters the tree refuses in a name (NUL, '/',
 * '\') become '_'. */
static fsi_status fid_name(udf *u, const fiter *it, uint16_t *nm, size_t *n)
{
    *n = cs0_decode(it->name, it->name_len, nm);
    if (*n == (size_t)-1)
        return corrupt(u, "bad file identifier");
    for (size_t i = 0; i < *n; i++)
        if (nm[i] == 0 || nm[i] == '/' || nm[i] == '\\')
            nm[i] = '_';
    return FSI_OK;
}

/* ---- the tree -------------------------------------------------------------------------------- */

/* Remember a directory ICB; meeting one twice is a loop (or a hard link to a directory). */
static fsi_status seen_add(udf *u, unsigned part, uint32_t lb)
{
    int r = fsi_blockset_add(&u->seen, part, lb);
    return r < 0 ? FSI_E_NOMEM : r ? corrupt(u, "directory loop") : FSI_OK;
}

static fsi_status enqueue(udf *u, fsi_node *dir, unsigned part, uint32_t lb, uint32_t depth)
{
    if (u->qlen == u->qcap) {
        size_t cap = u->qcap ? 2 * u->qcap : 64;
        qent *q = realloc(u->q, cap * sizeof *q);
        if (!q)
            return FSI_E_NOMEM;
        u->q = q;
        u->qcap = cap;
    }
    qent *e = &u->q[u->qlen++];
    e->dir = dir;
    e->part = (uint16_t)part;
    e->lb = lb;
    e->depth = depth;
    return FSI_OK;
}

static int is_file_type(uint8_t t) { return t == 0 || t == 5 || t == 249; }

/* A medium source over the data of ci (icb_data read); NULL with FSI_OK for no data. */
static fsi_status make_source(udf *u, const icbi *ci, fsi_source **src)
{
    *src = NULL;
    if (!ci->info_len)
        return FSI_OK;
    if (ci->embedded)
        *src = fsi_source_new_medium(u->ic->m, NULL, 0, ci->emb, (size_t)ci->info_len);
    else
        *src = fsi_source_new_medium(u->ic->m, u->ext + ci->e0, ci->ne, NULL, 0);
    return *src ? FSI_OK : FSI_E_NOMEM;
}

/* The named streams of file n: the FIDs of the stream directory at lb of partition part. */
static fsi_status read_streams(udf *u, fsi_node *n, unsigned part, uint32_t lb)
{
    fsi_import_ctx *ic = u->ic;
    icbi sd;
    fsi_status st = read_icb(u, part, lb, &sd);
    if (st)
        return st;
    if (sd.type != 13)
        return corrupt(u, "stream directory ICB is not a stream directory");
    if ((st = icb_data(u, &sd)))
        return st;
    fiter *it = fit_new(u, &sd, lb);
    if (!it) {
        u->next = sd.e0;
        return FSI_E_NOMEM;
    }
    size_t kept = 0;
    for (;;) {
        int more;
        if ((st = fit_next(it, &more)) || !more)
            break;
        if (it->chars & 0x0C)                       /* deleted, parent */
            continue;
        if (kept >= FSI_STREAMS_MAX)
            break;
        uint16_t nm[256];
        size_t nl;
        if ((st = fid_name(u, it, nm, &nl)))
            break;
        icbi sc;
        if ((st = read_icb(u, it->icb_part, it->icb_lb, &sc)))
            break;
        if (!is_file_type(sc.type))
            continue;
        if ((st = icb_data(u, &sc)))
            break;
        if (++ic->items > FSI_IMPORT_MAX_ITEMS) {
            st = corrupt(u, "too many items");
            break;
        }
        fsi_source *src;
        st = make_source(u, &sc, &src);
        u->next = sc.e0;
        if (st)
            break;
        st = fsi_node_add_stream(n, nm, nl, sc.info_len, src);
        fsi_source_unref(src);
        if (st == FSI_E_NOMEM)
            break;
        if (st == FSI_OK)
            kept++;
        st = FSI_OK;                                /* names the tree refuses, duplicates: left out */
    }
    fit_free(it);
    u->next = sd.e0;
    return st;
}

/* Read directory e: its FIDs become nodes; subdirectories are queued. */
static fsi_status read_dir(udf *u, const qent *e)
{
    fsi_import_ctx *ic = u->ic;
    fsi_imp_dir_progress(ic, e->dir);
    icbi ci;
    fsi_status st = read_icb(u, e->part, e->lb, &ci);
    if (st)
        return st;
    if (ci.type != 4)
        return corrupt(u, "directory ICB is not a directory");
    if ((st = icb_data(u, &ci)))
        return st;
    fiter *it = fit_new(u, &ci, e->lb);
    if (!it) {
        u->next = ci.e0;
        return FSI_E_NOMEM;
    }
    size_t top = u->next;
    for (;;) {
        int more;
        if ((st = fit_next(it, &more)) || !more)
            break;
        if (it->chars & 0x0C)                       /* deleted, parent */
            continue;
        uint16_t nm[256];
        size_t nl;
        if ((st = fid_name(u, it, nm, &nl)))
            break;
        int hidden = it->chars & 0x01, is_dir = (it->chars & 0x02) != 0;
        unsigned cpart = it->icb_part;
        uint32_t clb = it->icb_lb;
        icbi cc;
        if ((st = read_icb(u, cpart, clb, &cc)))
            break;
        if (is_dir != (cc.type == 4)) {
            st = corrupt(u, "file identifier and ICB disagree on the file type");
            break;
        }
        if (is_dir) {
            if (e->depth + 1 > FSI_IMPORT_MAX_DEPTH) {
                st = corrupt(u, "directories too deep");
                break;
            }
            fsi_node *d;
            if ((st = seen_add(u, cpart, clb)) || (st = fsi_imp_add_dir(ic, e->dir, nm, nl, &cc.t, hidden, &d)))
                break;
            if (d && (st = enqueue(u, d, cpart, clb, e->depth + 1)))
                break;
            continue;
        }
        if (!is_file_type(cc.type))
            continue;                               /* symbolic links, devices, ...: skipped */
        if ((st = icb_data(u, &cc)))
            break;
        fsi_source *src;
        fsi_node *f;
        st = make_source(u, &cc, &src);
        u->next = top;
        if (st)
            break;
        st = fsi_imp_add_file(ic, e->dir, nm, nl, cc.info_len, src, &cc.t, hidden, &f);
        fsi_source_unref(src);
        if (st)
            break;
        if (f && cc.type == 249)
            fsi_node_set_realtime(f, 1);
        if (f && cc.sdir && (st = read_streams(u, f, cc.sdir_part, cc.sdir_lb)))
            break;
    }
    fit_free(it);
    u->next = ci.e0;
    return st;
}

/* From the File Set Descriptor (4/14.1) to the whole tree. */
static fsi_status walk(udf *u)
{
    fsi_import_ctx *ic = u->ic;
    fsi_status st = read_lb(u, u->fsd_part, u->fsd_lb, u->fe);
    if (st)
        return st;
    if (!tag_ok(u->fe, BS, TAG_FSD, u->fsd_lb))
        return corrupt(u, "bad file set descriptor");
    uint32_t root_lb = fsi_le32(u->fe + 404);
    unsigned root_part = fsi_le16(u->fe + 408);
    icbi ci;
    if ((st = read_icb(u, root_part, root_lb, &ci)))
        return st;
    if (ci.type != 4)
        return corrupt(u, "root ICB is not a directory");
    fsi_node_set_times(fsi_image_root(ic->img), &ci.t);
    if ((st = seen_add(u, root_part, root_lb)) || (st = enqueue(u, fsi_image_root(ic->img), root_part, root_lb, 0)))
        return st;
    while (u->qhead < u->qlen) {
        qent e = u->q[u->qhead++];
        if ((st = read_dir(u, &e)))
            return st;
    }
    return FSI_OK;
}

/* Start the walk again (through the metadata mirror): a new empty tree. */
static fsi_status reset_walk(udf *u)
{
    fsi_import_ctx *ic = u->ic;
    fsi_image_free(ic->img);
    ic->img = fsi_image_new();
    ic->items = 0;
    ic->info->files = ic->info->dirs = 0;
    u->qhead = u->qlen = 0;
    u->next = 0;
    fsi_blockset_clear(&u->seen);
    return ic->img ? FSI_OK : FSI_E_NOMEM;
}

/* ---- the volume ------------------------------------------------------------------------------ */

static void vol_end(udf *u, uint64_t end)
{
    if (end > u->vol_end)
        u->vol_end = end;
}

static void add_pd(udf *u, const uint8_t *d)
{
    uint16_t num = fsi_le16(d + 22);
    uint32_t seq = fsi_le32(d + 16);
    unsigned i;
    for (i = 0; i < u->npd && u->pd[i].num != num; i++)
        ;
    if (i == u->npd) {
        if (u->npd == MAX_PDS)
            return;                                 /* more partitions than a map can name */
        u->npd++;
    } else if (seq < u->pd[i].seq) {
        return;                                     /* not the prevailing descriptor */
    }
    u->pd[i].num = num;
    u->pd[i].seq = seq;
    u->pd[i].start = fsi_le32(d + 188);
    u->pd[i].len = fsi_le32(d + 192);
}

/* A volume descriptor sequence (3/8.4.2) from the extent at loc: the prevailing LVD and PDs. */
static fsi_status read_vds(udf *u, uint64_t loc, uint32_t len)
{
    uint8_t *b = u->aed;
    unsigned reads = 0;
    u->have_lvd = 0;
    u->npd = 0;
    for (;;) {
        uint32_t nb = len / BS;
        int pointer = 0;
        for (uint32_t i = 0; i < nb && !pointer; i++) {
            if (++reads > MAX_VDS_BLOCKS)
                return corrupt(u, "volume descriptor sequence too long");
            fsi_status st = rd(u, loc + i, 1, b);
            if (st)
                return st;
            uint16_t id = fsi_le16(b);
            /* an unrecorded or foreign block ends the sequence like a terminating descriptor */
            if (!tag_sum_ok(b) || id < TAG_PVD || id > TAG_TD || fsi_le32(b + 12) != loc + i || id == TAG_TD)
                goto done;
            if (!tag_ok(b, BS, id, loc + i))
                return corrupt(u, "bad volume descriptor CRC");
            switch (id) {
            case TAG_VDP:                           /* 3/10.3: the sequence goes on elsewhere */
                len = fsi_le32(b + 20);
                loc = fsi_le32(b + 24);
                pointer = 1;
                break;
            case TAG_PD:
                add_pd(u, b);
                break;
            case TAG_LVD:
                if (!u->have_lvd || fsi_le32(b + 16) >= u->lvd_seq) {
                    memcpy(u->lvd, b, BS);
                    u->lvd_seq = fsi_le32(b + 16);
                    u->have_lvd = 1;
                }
                break;
            default:
                break;
            }
        }
        if (!pointer)
            break;
    }
done:
    if (!u->have_lvd || !u->npd)
        return corrupt(u, "no logical volume or partition descriptor");
    return FSI_OK;
}

static const upd *find_pd(const udf *u, uint16_t num)
{
    for (unsigned i = 0; i < u->npd; i++)
        if (u->pd[i].num == num)
            return &u->pd[i];
    return NULL;
}

/* The LVD (3/10.6, UDF 2.2.4): block size, domain, volume name, partition maps, FSD. */
static fsi_status setup_lv(udf *u)
{
    fsi_import_ctx *ic = u->ic;
    const uint8_t *l = u->lvd;
    for (unsigned i = 0; i < u->np; i++) {
        free(u->p[i].mx);
        free(u->p[i].mcum);
    }
    memset(u->p, 0, sizeof u->p);
    u->np = u->nmaps = 0;
    u->meta = -1;
    if (fsi_le32(l + 212) != BS)
        return feature(u, "logical block size other than 2048");
    /* volume name: the logical volume identifier (dstring), trailing spaces removed */
    uint16_t nm[128];
    size_t dl = l[84 + 127], n;
    if (dl > 127)
        dl = 127;
    n = cs0_decode(l + 84, dl, nm);
    if (n == (size_t)-1)
        n = 0;
    while (n && nm[n - 1] == ' ')
        n--;
    memcpy(ic->info->volume_name, nm, n * sizeof *nm);
    ic->info->volume_name_len = n;
    ic->info->udf_revision = regid_is(l + 216, "*OSTA UDF Compliant") ? fsi_le16(l + 216 + 24) : 0;
    uint32_t mtl = fsi_le32(l + 264), npm = fsi_le32(l + 268);
    if (mtl > BS - 440 || npm == 0)
        return corrupt(u, "bad partition map table");
    if (npm > MAX_MAPS)
        return feature(u, "too many partition maps");
    size_t off = 440, end = 440 + mtl;
    for (uint32_t i = 0; i < npm; i++) {
        if (end - off < 2 || l[off + 1] < 2 || l[off + 1] > end - off)
            return corrupt(u, "partition map past its table");
        const uint8_t *m = l + off;
        upart *p = &u->p[u->np++];
        const upd *pd;
        if (m[0] == 1 && m[1] == 6) {               /* type 1 (3/10.7.2) */
            if (!(pd = find_pd(u, fsi_le16(m + 4))))
                return corrupt(u, "partition map without partition descriptor");
            p->kind = P_PHYS;
        } else if (m[0] == 2 && m[1] == 64) {       /* type 2 (3/10.7.3): UDF 2.2.8 - 2.2.10 */
            if (regid_is(m + 4, "*UDF Sparable Partition"))
                return feature(u, "sparable partition");
            if (regid_is(m + 4, "*UDF Virtual Partition"))
                return feature(u, "virtual partition (VAT)");
            if (!regid_is(m + 4, "*UDF Metadata Partition"))
                return feature(u, "unknown partition map");
            if (u->meta >= 0)
                return corrupt(u, "two metadata partitions");
            if (!(pd = find_pd(u, fsi_le16(m + 38))))
                return corrupt(u, "partition map without partition descriptor");
            p->kind = P_META;
            p->meta_loc = fsi_le32(m + 40);
            p->mirror_loc = fsi_le32(m + 44);
            p->dup = m[58] & 1;
            u->meta = (int)(u->np - 1);
        } else {
            return corrupt(u, "bad partition map");
        }
        p->num = pd->num;
        p->start = pd->start;
        p->len = pd->len;
        vol_end(u, pd->start + pd->len);
        off += m[1];
    }
    u->nmaps = u->np;
    if (u->meta >= 0) {
        /* the metadata files are in the physical partition of the metadata partition's PD */
        upart *p = &u->p[u->meta], *h = &u->p[u->np];
        h->kind = P_PHYS;
        h->num = p->num;
        h->start = p->start;
        h->len = p->len;
        p->phys = u->np++;
    }
    u->fsd_lb = fsi_le32(l + 252);
    u->fsd_part = fsi_le16(l + 256);
    if (u->fsd_part >= u->nmaps)
        return corrupt(u, "file set descriptor in no partition");
    return FSI_OK;
}

/* The prevailing Logical Volume Integrity Descriptor (3/10.10, UDF 2.2.6), if any: the item counts
 * for progress and the revision when the domain identifier has none. Optional: nothing read here
 * fails the import. */
static void read_lvid(udf *u)
{
    fsi_import_ctx *ic = u->ic;
    uint8_t *b = u->aed;
    uint32_t len = fsi_le32(u->lvd + 432);
    uint64_t loc = fsi_le32(u->lvd + 436);
    int have = 0;
    uint8_t *last = u->fe;
    unsigned reads = 0;
    vol_end(u, loc + len / BS);
    for (unsigned hop = 0; hop < MAX_LVIS_HOPS && len >= BS; hop++) {
        uint32_t nb = len / BS;
        int next = 0;
        for (uint32_t i = 0; i < nb && reads < MAX_LVIS_BLOCKS && u->budget; i++, reads++) {
            u->budget--;
            if (fsi_medium_read(ic->m, loc + i, 1, b) || !tag_ok(b, BS, TAG_LVID, loc + i))
                break;
            memcpy(last, b, BS);
            have = 1;
            len = fsi_le32(b + 32);                 /* next integrity extent */
            if (len >= BS) {
                loc = fsi_le32(b + 36);
                next = 1;
                break;
            }
        }
        if (!next)
            break;
    }
    if (!have)
        return;
    uint32_t np = fsi_le32(last + 72), liu = fsi_le32(last + 76);
    if (np > 255 || liu < 46 || 80 + 8 * (uint64_t)np + liu > BS)
        return;
    const uint8_t *iu = last + 80 + 8 * np;
    uint32_t files = fsi_le32(iu + 32), dirs = fsi_le32(iu + 36);
    ic->files_total = files;
    ic->dirs_total = dirs ? (int64_t)dirs - 1 : 0;      /* the LVID counts the root */
    if (!ic->info->udf_revision)
        ic->info->udf_revision = fsi_le16(iu + 42);     /* minimum UDF write revision */
}

typedef struct anchor {
    uint64_t loc;
    uint32_t mlen, mloc, rlen, rloc;
} anchor;

/* Anchors, volume descriptor sequences (main, then reserve), LVD and partitions. */
static fsi_status find_volume(udf *u)
{
    fsi_import_ctx *ic = u->ic;
    uint64_t n = ic->blocks, ss = ic->session_start, locs[3];
    unsigned nl = 0, nav = 0;
    if (ss < n && n - ss > 256)
        locs[nl++] = ss + 256;
    if (n >= 1 && n - 1 >= ss && (!nl || locs[0] != n - 1))
        locs[nl++] = n - 1;
    if (n >= 257 && n - 257 >= ss && n - 257 != ss + 256)
        locs[nl++] = n - 257;
    anchor av[3];
    int damaged = 0;
    for (unsigned i = 0; i < nl; i++) {
        fsi_status st = rd(u, locs[i], 1, u->aed);
        if (st) {
            if (st != FSI_E_MEDIUM_READ)
                return st;
            keep_failure(u, st);
            continue;
        }
        const uint8_t *b = u->aed;
        if (!tag_ok(b, BS, TAG_AVDP, locs[i])) {
            damaged |= fsi_le16(b) == TAG_AVDP;
            continue;
        }
        anchor *a = &av[nav++];
        a->loc = locs[i];
        a->mlen = fsi_le32(b + 16);
        a->mloc = fsi_le32(b + 20);
        a->rlen = fsi_le32(b + 24);
        a->rloc = fsi_le32(b + 28);
    }
    if (!nav) {
        if (damaged) {
            u->first = FSI_OK;
            return corrupt(u, "damaged anchor volume descriptor pointer");
        }
        if (u->first)
            return first_failure(u);
        fsi_err_set(ic->err, FSI_E_FS_NOT_FOUND, ic->fs, NULL);
        return FSI_E_FS_NOT_FOUND;
    }
    u->first = FSI_OK;
    fsi_err_clear(ic->err);
    for (unsigned i = 0; i < nav; i++)
        vol_end(u, av[i].loc + 1);
    for (unsigned i = 0; i < nav; i++) {
        int same = 0;
        for (unsigned j = 0; j < i; j++)
            same |= av[j].mlen == av[i].mlen && av[j].mloc == av[i].mloc && av[j].rlen == av[i].rlen &&
                    av[j].rloc == av[i].rloc;
        if (same)
            continue;
        for (int k = 0; k < 2; k++) {
            uint32_t loc = k ? av[i].rloc : av[i].mloc, len = k ? av[i].rlen : av[i].mlen;
            fsi_status st = read_vds(u, loc, len);
            if (!st)
                st = setup_lv(u);
            if (!st) {
                u->first = FSI_OK;
                fsi_err_clear(ic->err);
                vol_end(u, (uint64_t)av[i].mloc + av[i].mlen / BS);
                vol_end(u, (uint64_t)av[i].rloc + av[i].rlen / BS);
                return FSI_OK;
            }
            if (!recoverable(st))
                return st;
            keep_failure(u, st);
        }
    }
    return first_failure(u);
}

/* The metadata file (or its mirror) of the metadata partition (UDF 2.2.13): its extents. */
static fsi_status load_meta(udf *u, int mirror)
{
    upart *p = &u->p[u->meta];
    free(p->mx);
    free(p->mcum);
    p->mx = NULL;
    p->mcum = NULL;
    p->nmx = 0;
    p->mblocks = 0;
    u->next = 0;
    icbi ci;
    fsi_status st = read_icb(u, p->phys, mirror ? p->mirror_loc : p->meta_loc, &ci);
    if (st)
        return st;
    if (ci.type != 250 && ci.type != 251)
        return corrupt(u, "bad metadata file");
    if ((st = icb_data(u, &ci)))
        return st;
    if (ci.embedded || !ci.ne)
        return corrupt(u, "metadata file without extents");
    p->mx = malloc(ci.ne * sizeof *p->mx);
    p->mcum = malloc(ci.ne * sizeof *p->mcum);
    if (!p->mx || !p->mcum)
        return FSI_E_NOMEM;
    uint64_t cum = 0;
    for (size_t i = 0; i < ci.ne; i++) {
        p->mx[i] = u->ext[ci.e0 + i];
        p->mcum[i] = cum;
        cum += (p->mx[i].len + BS - 1) / BS;
    }
    p->nmx = ci.ne;
    p->mblocks = cum;
    u->next = 0;
    return FSI_OK;
}

static fsi_status walk_volume(udf *u)
{
    fsi_status st;
    if (u->meta < 0)
        return walk(u);
    if ((st = load_meta(u, 0))) {
        if (!recoverable(st))
            return st;
        keep_failure(u, st);
        if ((st = load_meta(u, 1)))
            return st == FSI_E_NOMEM ? st : first_failure(u);
        u->first = FSI_OK;
        return walk(u);
    }
    upart *p = &u->p[u->meta];
    fsi_disc_extent *main_x = p->mx;
    size_t main_n = p->nmx;
    uint64_t *main_c = p->mcum, main_b = p->mblocks;
    st = walk(u);
    if (!recoverable(st))
        return st;
    /* the walk met a damaged or unreadable block: again through the mirror, if it has its own
     * copy of the metadata */
    keep_failure(u, st);
    p->mx = NULL;
    p->mcum = NULL;
    fsi_status ms = load_meta(u, 1);
    int differs = !ms && (p->nmx != main_n || memcmp(p->mx, main_x, main_n * sizeof *main_x) != 0);
    if (!differs) {
        free(p->mx);
        free(p->mcum);
        p->mx = main_x;
        p->mcum = main_c;
        p->nmx = main_n;
        p->mblocks = main_b;
        if (ms == FSI_E_NOMEM)
            return ms;
        return first_failure(u);
    }
    free(main_x);
    free(main_c);
    if ((st = reset_walk(u)))
        return st;
    fsi_err_clear(u->ic->err);
    if ((st = walk(u)) && recoverable(st))
        return first_failure(u);
    u->first = FSI_OK;
    return st;
}

fsi_status fsi_import_udf(fsi_import_ctx *ic)
{
    udf *u = calloc(1, sizeof *u);
    if (!u)
        return FSI_E_NOMEM;
    u->ic = ic;
    u->meta = -1;
    u->budget = 4 * ic->blocks + 65536;
    u->ext_budget = 4 * ic->blocks + (UINT64_C(1) << 20);
    fsi_status st = find_volume(u);
    if (!st) {
        read_lvid(u);
        ic->info->volume_blocks = u->vol_end;
        st = walk_volume(u);
    }
    for (unsigned i = 0; i < u->np; i++) {
        free(u->p[i].mx);
        free(u->p[i].mcum);
    }
    free(u->ext);
    free(u->elb);
    fsi_blockset_free(&u->seen);
    fsi_blockset_free(&u->aeds);
    free(u->q);
    free(u);
    return st;
}
