/*
 * UDF 1.02, 1.50, 2.00, 2.01, 2.50 and 2.60 (ECMA-167 3rd edition + OSTA UDF), alone or bridged
 * with ISO 9660 and Joliet. Read-only media: partition access type 1, no space bitmaps or tables.
 *
 * Layout (relative blocks; every address written is session_start + relative block; logical
 * block numbers inside a partition are relative to its start):
 *
 *   0..15      system area (zeros)
 *   16..       ISO 9660 PVD, Joliet SVD, set terminator (only when ISO 9660 or Joliet is selected;
 *              bootable: PVD, El Torito boot record, ..., and the boot catalog after TEA01: eltorito.c)
 *   next 3     Volume Recognition Sequence: BEA01, NSR02 (1.02, 1.50) or NSR03 (2.00+), TEA01
 *              (block 16..18 for UDF alone)
 *   32..47     Main Volume Descriptor Sequence: PVD, IUVD, PD, LVD, USD, TD, then zeros
 *   64..79     (1.02 - 2.01) Reserve Volume Descriptor Sequence: the same descriptors (their own
 *              tag locations), in another 32-block ECC block than the main one (UDF 2.60 2.2.3);
 *              2.50+: after the partition (R below)
 *   96..99     Logical Volume Integrity Sequence (8 KiB): LVID (closed), TD
 *   256        Anchor Volume Descriptor Pointer
 *   P          start of the one physical partition: 257, or 288 with a metadata partition (2.50,
 *              2.60) so that the metadata extents are 32-block aligned on the medium too
 *   P+0, P+1   (2.50+) metadata file EFE (file type 250) and metadata mirror file EFE (251)
 *   area       the UDF metadata: the FSD and a TD (the file set descriptor sequence; 1.02 - 2.01:
 *              at partition blocks 0 and 1, where mkisofs puts them and pycdlib looks for them),
 *              then every item's (E)FE in plan order, each followed by
 *              its allocation extent descriptors (only files of more than ~110 extents have any)
 *              and, for a file with named streams (2.00+), its stream directory's EFE and each
 *              stream's EFE; then the FID streams of all directories in plan order, then those of
 *              the stream directories. 2.50+: the area is the
 *              metadata file's data (metadata partition block 0 is the FSD); it starts on a 32-block
 *              boundary of the partition and is padded to a multiple of 32 blocks (Allocation and
 *              Alignment Unit Size 32).
 *   ...        ISO 9660 / Joliet path tables and directories (inside the partition; not UDF files)
 *   data       file data, each file from a block boundary and written once: the ISO 9660, Joliet
 *              and UDF trees all point at the same extents
 *   zeros      (2.50+) up to the next allocation unit boundary of the partition, and as many more
 *              units as keep the copies below far enough from their main ones (far apart, below)
 *   mirror     (2.50+ with redundant metadata) the metadata mirror file's data: a copy of the area
 *              at the end of the partition (Duplicate Metadata Flag set). Without redundancy the
 *              mirror EFE describes the metadata file's own extents and the flag is clear.
 *   R..R+15    (2.50+) Reserve Volume Descriptor Sequence, right after the partition
 *   N          the last block: Anchor Volume Descriptor Pointer. The partition is P .. N-1 (1.02 -
 *              2.01), P .. R-1 with R = N-16 (2.50+).
 *
 * The AVDP is recorded at 256 and N (ECMA-167 3/8.4.2.1 asks for two of 256, N-256, N). N-256
 * is not used: it falls inside the partition of any image larger than 512 blocks, and keeping it
 * free would cost a hole in the file data.
 *
 * Far apart (2.50+): UDF 2.2.3.2 (2.50 errata DCN-5113) wants the reserve VDS, and 2.2.13.1
 * (DCN-5106) the metadata mirror file, far from their main copies, so that one damaged area does
 * not take both; the Philips UDF verifier counts the distance in ECC blocks of 16 sectors and
 * wants a tenth of the volume between them. The tail (mirror copy, reserve VDS, last AVDP) starts
 * at the first allocation unit boundary after the data where the whole ECC blocks strictly
 * between the metadata file and its copy, and between the main and the reserve VDS, are at least
 * a tenth of the session's blocks in ECC blocks, rounded up (fsi_udf_far_apart); zeros fill the
 * units before it when the data is too short to part them (a small image, or many files with
 * little data). In a session appended to an older volume the tenth is of the new session, where
 * the copies must stay: a tenth of the whole volume could cost a tenth of the disc in zeros.
 * The order is what the readers accept: 7-Zip sizes the image by what it reads (both VDS extents
 * the anchor at 256 names, the metadata file, the files) and accepts only zeros and anchors after
 * that, so the reserve VDS comes last before the anchor and the mirror copy, which 7-Zip never
 * reads, lies before it; outside the partition the reserve VDS does not overlap the partition
 * space (udfinfo). 1.02 - 2.01 keep the reserve VDS at 64 (the rule is a 2.50 erratum; the
 * verifier does not ask it of them) and stay byte for byte as they were.
 *
 * Choices:
 *  - File data is never embedded in the ICB, not even for tiny files (recommended): the ISO 9660
 *    and Joliet records need an extent of their own to point at, so an embedded file would be
 *    recorded twice; every (E)FE stays one block with short_ad (long_ad for file data in 2.50+,
 *    whose FEs live in the metadata partition while the data is in the physical partition).
 *    Directories are not embedded either.
 *  - FE for 1.02 and 1.50, EFE from 2.00 (object size = information length, plus the streams').
 *  - Named streams (2.00+, ECMA-167 4/9.2, UDF 2.50 3.3.5; at most FSI_STREAMS_MAX per image): the
 *    file's EFE points at a stream directory (EFE of file type 13, link count 0) whose FIDs are
 *    the parent FID (characteristics 0x08: the file, not a directory) and one FID per stream
 *    (characteristics 0); each stream is an EFE of file type 5 with the ICB tag's Stream flag
 *    (0x2000), link count 1, and its data in the partition like file data (after the file's own).
 *    The stream directory and the streams carry their file's unique ID and times. The file's link
 *    count is 2 (its FID and the stream directory's parent FID), as NetBSD's fsck_udf counts it;
 *    the LVID counts no streams. Below 2.00 streams are left out.
 *  - Real-time files: file type 249 from 2.01; 5 below.
 *  - Extents are at most 2^30 - 2048 bytes (FSI_UDF_MAX_EXTENT); a larger file gets several,
 *    contiguous on the medium.
 *  - Unique IDs: root 0, the other items 16, 17, ... in plan order (UDF 3.2.1.1); the lower 32 bits
 *    are also in each FID's ICB implementation use (UDF 2.3.4.3). The LVID's next unique ID is
 *    the first one not used. The metadata (mirror) file EFEs have unique ID 0 and link count 0.
 *  - Permissions: read and execute for owner, group and others (0x14A5) on files and directories;
 *    UID and GID 0xFFFFFFFF ("not specified"). Times: access, modification, attribute =
 *    modification, creation (EFE) = creation; type 1 with offset 0 (UTC).
 *  - Link counts: 1 for files; 1 + subdirectories for directories (their parent FIDs).
 *  - LVID free space 0: nothing can be allocated on read-only media. Size table: the partition
 *    length, and (2.50+) the metadata partition's (metadata file) length.
 *  - Identifiers: domain "*OSTA UDF Compliant" (suffix: revision, no write protection);
 *    implementation "*IMAPI2FS OPEN" (OS class 6 = Windows NT, OS identifier 0).
 *  - Names are kept unless too long for 255 CS0 bytes (see names.c); volume identifiers are the
 *    volume name (as fsi_volume_name(FSI_FS_UDF) gives it), cut to what each dstring holds.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

#define BS FSI_BLOCK_SIZE
#define VDS_BLOCKS 16u
#define ECC_BLOCK 16u                   /* sectors of a DVD ECC block, the verifier's unit of distance */
#define LVIS_BLOCKS 4u
#define FE_HDR 176u
#define EFE_HDR 216u
#define AED_HDR 24u
#define PERMS UINT32_C(0x14A5)
#define NO_ID UINT32_C(0xFFFFFFFF)
_Static_assert(FSI_UDF_TAIL_STORED == VDS_BLOCKS + 1, "the tail's stored blocks: reserve VDS, AVDP");

static const char IMPL_ID[] = "*IMAPI2FS OPEN";
static const uint8_t OS_CLASS = 6, OS_ID = 0;     /* UDF 6.3: Windows NT */

/* ---- primitives -------------------------------------------------------------------------------- */

uint16_t fsi_udf_crc(const uint8_t *p, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int k = 0; k < 8; k++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc;
}

void fsi_udf_tag(uint8_t *d, uint16_t id, uint16_t version, uint32_t location, size_t desc_len)
{
    size_t crc_len = desc_len > 16 ? desc_len - 16 : 0;
    if (crc_len > 0xFFFF)
        crc_len = 0xFFFF;
    fsi_put_le16(d, id);
    fsi_put_le16(d + 2, version);
    d[4] = 0;
    d[5] = 0;
    fsi_put_le16(d + 6, 0);                     /* tag serial number */
    fsi_put_le16(d + 8, fsi_udf_crc(d + 16, crc_len));
    fsi_put_le16(d + 10, (uint16_t)crc_len);
    fsi_put_le32(d + 12, location);
    d[4] = fsi_udf_tag_checksum(d);
}

uint8_t fsi_udf_tag_checksum(const uint8_t *d)
{
    uint8_t sum = 0;
    for (int i = 0; i < 16; i++)
        if (i != 4)
            sum = (uint8_t)(sum + d[i]);
    return sum;
}

static int wide(const uint16_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] >= 0x100)
            return 1;
    return 0;
}

size_t fsi_udf_cs0_len(const uint16_t *s, size_t n)
{
    return n ? 1 + n * (wide(s, n) ? 2u : 1u) : 0;
}

size_t fsi_udf_cs0(const uint16_t *s, size_t n, uint8_t *out)
{
    if (!n)
        return 0;
    if (!wide(s, n)) {
        out[0] = 8;
        for (size_t i = 0; i < n; i++)
            out[1 + i] = (uint8_t)s[i];
        return 1 + n;
    }
    out[0] = 16;
    for (size_t i = 0; i < n; i++)
        fsi_put_be16(out + 1 + 2 * i, s[i]);
    return 1 + 2 * n;
}

int fsi_udf_name_fits(const uint16_t *s, size_t n) { return fsi_udf_cs0_len(s, n) <= 255; }

void fsi_udf_dstring(uint8_t *f, size_t flen, const uint16_t *s, size_t n)
{
    memset(f, 0, flen);
    if (!n || flen < 3)
        return;
    size_t per = wide(s, n) ? 2 : 1;
    size_t max = (flen - 2) / per;             /* units after the compression ID */
    if (n > max) {
        n = max;
        if (n && s[n - 1] >= 0xD800 && s[n - 1] <= 0xDBFF)
            n--;
    }
    size_t len = fsi_udf_cs0(s, n, f);
    f[flen - 1] = (uint8_t)len;
}

void fsi_udf_timestamp(uint8_t *p, fsi_time t)
{
    int y, mo, d, h, mi, s, cs;
    fsi_time_civil(t, &y, &mo, &d, &h, &mi, &s, &cs);
    int64_t sub = t % 100000;                   /* ticks below the centisecond */
    if (sub < 0)
        sub += 100000;
    if (y == 1 && mo == 1 && d == 1 && h == 0 && mi == 0 && s == 0 && cs == 0)
        sub = 0;                                /* clamped */
    if (y == 9999 && mo == 12 && d == 31 && h == 23 && mi == 59 && s == 59 && cs == 99)
        sub = 99999;
    fsi_put_le16(p, 0x1000);                    /* type 1, offset 0 minutes */
    fsi_put_le16(p + 2, (uint16_t)y);
    p[4] = (uint8_t)mo;
    p[5] = (uint8_t)d;
    p[6] = (uint8_t)h;
    p[7] = (uint8_t)mi;
    p[8] = (uint8_t)s;
    p[9] = (uint8_t)cs;
    p[10] = (uint8_t)(sub / 1000);              /* hundreds of microseconds */
    p[11] = (uint8_t)(sub / 10 % 100);          /* microseconds */
}

uint64_t fsi_udf_extent_count(uint64_t size) { return (size + FSI_UDF_MAX_EXTENT - 1) / FSI_UDF_MAX_EXTENT; }

uint32_t fsi_udf_extent_len(uint64_t size, uint64_t i)
{
    uint64_t off = i * FSI_UDF_MAX_EXTENT;
    if (off >= size)
        return 0;
    return size - off > FSI_UDF_MAX_EXTENT ? FSI_UDF_MAX_EXTENT : (uint32_t)(size - off);
}

static void put_le64(uint8_t *p, uint64_t v)
{
    fsi_put_le32(p, (uint32_t)v);
    fsi_put_le32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t tag_version(int rev) { return rev >= 0x200 ? 3 : 2; }

/* charspec CS0 "OSTA Compressed Unicode" (UDF 2.1.2), 64 bytes */
static void charspec(uint8_t *p)
{
    static const char info[] = "OSTA Compressed Unicode";
    memset(p, 0, 64);
    memcpy(p + 1, info, sizeof info - 1);
}

static void entity(uint8_t *p, const char *id, const uint8_t suffix[8])
{
    memset(p, 0, 32);
    memcpy(p + 1, id, strlen(id));
    if (suffix)
        memcpy(p + 24, suffix, 8);
}

static void domain_id(uint8_t *p, int rev)
{
    uint8_t suf[8] = { (uint8_t)rev, (uint8_t)(rev >> 8), 0 };  /* domain flags: no write protect */
    entity(p, "*OSTA UDF Compliant", suf);
}

static void udf_id(uint8_t *p, const char *id, int rev)
{
    uint8_t suf[8] = { (uint8_t)rev, (uint8_t)(rev >> 8), OS_CLASS, OS_ID };
    entity(p, id, suf);
}

static void impl_id(uint8_t *p)
{
    uint8_t suf[8] = { OS_CLASS, OS_ID };
    entity(p, IMPL_ID, suf);
}

static void extent_ad(uint8_t *p, uint32_t len, uint32_t loc)
{
    fsi_put_le32(p, len);
    fsi_put_le32(p + 4, loc);
}

static void long_ad(uint8_t *p, uint32_t len, uint32_t lb, uint16_t part, uint32_t unique)
{
    fsi_put_le32(p, len);
    fsi_put_le32(p + 4, lb);
    fsi_put_le16(p + 8, part);
    fsi_put_le16(p + 10, 0);                    /* ADImpUse flags */
    fsi_put_le32(p + 12, unique);               /* UDF unique ID (UDF 2.3.4.3) */
}

/* ---- (E)FEs and allocation descriptors ---------------------------------------------------------- */

typedef struct icb {
    int efe, ad_long;
    uint8_t file_type;
    uint16_t links;
    uint32_t perms;
    uint64_t info_len, blocks;
    fsi_time access, mod, create;
    uint64_t unique;
    uint32_t lb;                    /* logical block of the FE in its partition (tag location) */
    uint16_t own_part;              /* partition reference of the FE (for long_ad continuations) */
    /* data: one contiguous run at data_lb of info_len bytes (zero: no descriptors) */
    uint32_t data_lb;
    uint16_t data_part;             /* long_ad only */
    uint32_t max_ext;               /* largest extent (bytes) */
    uint16_t flags;                 /* ICB tag flags besides the descriptor type (0x2000: a stream) */
    uint64_t obj_size;              /* EFE object size when it differs from info_len (streams), else 0 */
    int sdir;                       /* EFE: a stream directory at sdir_lb of partition sdir_part */
    uint32_t sdir_lb;
    uint16_t sdir_part;
    /* instead of data_lb: runs of absolute blocks (imported files), in the physical partition
     * that starts at absolute block part_abs */
    const fsi_disc_extent *runs;
    uint32_t nruns;
    uint32_t part_abs;
} icb;

static size_t ad_size(int ad_long) { return ad_long ? 16 : 8; }

/* Allocation extent descriptor blocks an ICB with nad descriptors needs after its FE. */
static uint64_t icb_aeds(uint64_t nad, int efe, int ad_long)
{
    uint64_t sz = ad_size(ad_long);
    uint64_t cap0 = (BS - (efe ? EFE_HDR : FE_HDR)) / sz, capa = (BS - AED_HDR) / sz;
    if (nad <= cap0)
        return 0;
    uint64_t rem = nad - (cap0 - 1);
    return 1 + (rem > capa ? (rem - capa + (capa - 1) - 1) / (capa - 1) : 0);
}

static void put_ad(uint8_t *p, const icb *c, uint32_t len, uint32_t lb, uint16_t part)
{
    if (c->ad_long) {
        long_ad(p, len, lb, part, 0);
    } else {
        fsi_put_le32(p, len);
        fsi_put_le32(p + 4, lb);
    }
}

/* Render the FE (block 0 of buf) and its AEDs (blocks 1..) into zeroed buf. */
static void render_icb(uint8_t *buf, const icb *c, int rev)
{
    uint8_t *fe = buf;
    uint16_t ver = tag_version(rev);
    size_t hdr = c->efe ? EFE_HDR : FE_HDR;
    /* ICB tag (ECMA-167 4/14.6) */
    fsi_put_le16(fe + 16 + 4, 4);               /* strategy type 4 */
    fsi_put_le16(fe + 16 + 8, 1);               /* maximum number of entries */
    fe[16 + 11] = c->file_type;
    fsi_put_le16(fe + 16 + 18, (uint16_t)(c->flags | (c->ad_long ? 1 : 0)));
    fsi_put_le32(fe + 36, NO_ID);
    fsi_put_le32(fe + 40, NO_ID);
    fsi_put_le32(fe + 44, c->perms);
    fsi_put_le16(fe + 48, c->links);
    put_le64(fe + 56, c->info_len);
    if (c->efe) {
        put_le64(fe + 64, c->obj_size ? c->obj_size : c->info_len);   /* object size: data + streams */
        put_le64(fe + 72, c->blocks);
        fsi_udf_timestamp(fe + 80, c->access);
        fsi_udf_timestamp(fe + 92, c->mod);
        fsi_udf_timestamp(fe + 104, c->create);
        fsi_udf_timestamp(fe + 116, c->mod);    /* attribute time */
        fsi_put_le32(fe + 128, 1);              /* checkpoint */
        if (c->sdir)
            long_ad(fe + 152, BS, c->sdir_lb, c->sdir_part, 0);   /* stream directory ICB */
        impl_id(fe + 168);
        put_le64(fe + 200, c->unique);
    } else {
        put_le64(fe + 64, c->blocks);
        fsi_udf_timestamp(fe + 72, c->access);
        fsi_udf_timestamp(fe + 84, c->mod);
        fsi_udf_timestamp(fe + 96, c->mod);
        fsi_put_le32(fe + 108, 1);
        impl_id(fe + 128);
        put_le64(fe + 160, c->unique);
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
            size_t lad = used * sz;
            if (k == 0) {
                fsi_put_le32(fe + (c->efe ? 212 : 172), (uint32_t)lad);
            } else {
                fsi_put_le32(cont + 20, (uint32_t)lad);
                fsi_udf_tag(cont, 0x102, ver, c->lb + k, rev >= 0x201 ? AED_HDR + lad : AED_HDR);
            }
            k++;
            cont = buf + (size_t)k * BS;
            off = AED_HDR;
            cap = (BS - AED_HDR) / sz;
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
    size_t lad = used * sz;
    if (k == 0) {
        fsi_put_le32(fe + (c->efe ? 212 : 172), (uint32_t)lad);
    } else {
        fsi_put_le32(cont + 20, (uint32_t)lad);
        fsi_udf_tag(cont, 0x102, ver, c->lb + k, rev >= 0x201 ? AED_HDR + lad : AED_HDR);
    }
    size_t fe_lad = k == 0 ? lad : (BS - hdr) / sz * sz;
    fsi_udf_tag(fe, c->efe ? 0x10A : 0x105, ver, c->lb, hdr + fe_lad);
}

/* ---- sizes and addresses ---------------------------------------------------------------------- */

static const uint16_t *udf_name(const fsi_builder *b, const fsi_pitem *c, size_t *len)
{
    if (c->udf_len) {
        *len = c->udf_len;
        return b->upool.p + c->udf_off;
    }
    *len = c->node->name_len;
    return c->node->name;
}

static size_t fid_len(size_t lfi) { return (38 + lfi + 3) & ~(size_t)3; }

static uint64_t unique_of(size_t i) { return i ? 15 + (uint64_t)i : 0; }

static uint64_t blocks_of(uint64_t bytes) { return (bytes + BS - 1) / BS; }

/* ---- named streams (2.00+) ---------------------------------------------------------------------- */

fsi_status fsi_udf_streams(fsi_builder *b)
{
    size_t nsd = 0, nps = 0;
    b->nsd = b->nps = 0;
    if (!b->udf_sel || b->udf.rev < 0x200)
        return FSI_OK;                          /* streams need UDF 2.00: left out */
    for (size_t i = 0; i < b->n && nps < FSI_STREAMS_MAX; i++) {
        const fsi_node *n = b->it[i].node;
        if (n->is_dir || !n->u.f.nstreams)
            continue;
        nsd++;
        nps += n->u.f.nstreams;
    }
    if (!nsd)
        return FSI_OK;
    if (nps > FSI_STREAMS_MAX)
        nps = FSI_STREAMS_MAX;
    b->sd = malloc(nsd * sizeof *b->sd);
    b->ps = malloc(nps * sizeof *b->ps);
    if (!b->sd || !b->ps)
        return FSI_E_NOMEM;
    for (size_t i = 0; i < b->n && b->nps < nps; i++) {
        const fsi_node *n = b->it[i].node;
        if (n->is_dir || !n->u.f.nstreams)
            continue;
        fsi_psdir *d = &b->sd[b->nsd++];
        memset(d, 0, sizeof *d);
        d->item = (uint32_t)i;
        d->first = (uint32_t)b->nps;
        for (uint32_t k = 0; k < n->u.f.nstreams && b->nps < nps; k++) {
            fsi_pstream *x = &b->ps[b->nps++];
            x->index = k;
            x->fe = x->aeds = 0;
            x->file = FSI_NONE;
            if (n->u.f.streams[k].size)
                b->nfiles++;
            d->n++;
        }
    }
    return FSI_OK;
}

const fsi_psdir *fsi_udf_sdir(const fsi_builder *b, uint32_t item)
{
    size_t lo = 0, hi = b->nsd;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (b->sd[mid].item < item)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < b->nsd && b->sd[lo].item == item ? &b->sd[lo] : NULL;
}

static const fsi_stream *stream_of(const fsi_builder *b, const fsi_psdir *d, uint32_t j)
{
    return &b->it[d->item].node->u.f.streams[b->ps[d->first + j].index];
}

fsi_status fsi_udf_size(fsi_builder *b)
{
    fsi_udf_layout *U = &b->udf;
    int efe = U->rev >= 0x200;
    uint64_t lb = 2;                            /* 0: the FSD, 1: its terminating descriptor */
    size_t sdi = 0;                             /* next stream directory (item order) */
    U->files = U->dirs = 0;
    for (size_t i = 0; i < b->n; i++) {
        fsi_pitem *c = &b->it[i];
        const fsi_node *n = c->node;
        c->udf_fe = (uint32_t)lb;
        uint64_t nad;
        int ad_long;
        if (n->is_dir) {
            U->dirs++;
            uint64_t size = 40;                 /* parent FID */
            uint32_t subdirs = 0;
            for (uint32_t j = 0; j < c->nkids; j++) {
                const fsi_pitem *k = &b->it[c->first + j];
                size_t nl;
                const uint16_t *nm = udf_name(b, k, &nl);
                size += fid_len(fsi_udf_cs0_len(nm, nl));
                subdirs += k->node->is_dir;
            }
            if (size > UINT32_MAX - BS) {
                fsi_err_set(b->err, FSI_E_IMAGE_TOO_BIG, FSI_FS_UDF, n);
                return FSI_E_IMAGE_TOO_BIG;
            }
            c->udf_dsize = (uint32_t)size;
            /* a 16-bit count: a directory with 65535 or more subdirectories records 65535 */
            c->udf_links = (uint16_t)(subdirs >= 0xFFFF ? 0xFFFF : 1 + subdirs);
            nad = fsi_udf_extent_count(size);
            ad_long = 0;
        } else {
            U->files++;
            c->udf_links = 1;
            nad = fsi_udf_extent_count(n->u.f.size);
            if (c->ref_n) {                     /* imported, referenced in place: its runs */
                nad = 0;
                for (uint32_t k = 0; k < c->ref_n; k++)
                    nad += fsi_udf_extent_count(b->rext[c->ref_first + k].len);
            }
            ad_long = U->metadata;
        }
        c->udf_aeds = (uint32_t)icb_aeds(nad, efe, ad_long);
        lb += 1 + (uint64_t)c->udf_aeds;
        if (sdi < b->nsd && b->sd[sdi].item == i) {
            /* the stream directory EFE, then each stream's EFE; the stream directory's parent FID
             * is a second link to the file (ECMA-167 4/14.9.6, as NetBSD's fsck_udf counts it) */
            fsi_psdir *d = &b->sd[sdi++];
            c->udf_links = 2;
            d->fe = (uint32_t)lb++;
            uint64_t size = 40;                 /* parent FID */
            for (uint32_t j = 0; j < d->n; j++) {
                const fsi_stream *st = stream_of(b, d, j);
                fsi_pstream *x = &b->ps[d->first + j];
                x->fe = (uint32_t)lb;
                x->aeds = (uint32_t)icb_aeds(fsi_udf_extent_count(st->size), 1, U->metadata);
                lb += 1 + (uint64_t)x->aeds;
                size += fid_len(fsi_udf_cs0_len(st->name, st->name_len));
            }
            d->dsize = (uint32_t)size;          /* at most 1000 FIDs of at most 296 bytes */
        }
        if (lb > UINT32_MAX) {
            fsi_err_set(b->err, FSI_E_IMAGE_TOO_BIG, FSI_FS_UDF, n);
            return FSI_E_IMAGE_TOO_BIG;
        }
    }
    for (size_t i = 0; i < b->n; i++) {
        fsi_pitem *c = &b->it[i];
        if (!c->node->is_dir)
            continue;
        c->udf_dir = (uint32_t)lb;
        lb += blocks_of(c->udf_dsize);
        if (lb > UINT32_MAX) {
            fsi_err_set(b->err, FSI_E_IMAGE_TOO_BIG, FSI_FS_UDF, c->node);
            return FSI_E_IMAGE_TOO_BIG;
        }
    }
    for (size_t k = 0; k < b->nsd; k++) {       /* the stream directories' FIDs */
        b->sd[k].dir = (uint32_t)lb;
        lb += blocks_of(b->sd[k].dsize);
    }
    if (lb > UINT32_MAX) {
        fsi_err_set(b->err, FSI_E_IMAGE_TOO_BIG, FSI_FS_UDF, NULL);
        return FSI_E_IMAGE_TOO_BIG;
    }
    U->area_used = (uint32_t)lb;
    if (U->metadata)
        lb = (lb + FSI_UDF_AU - 1) / FSI_UDF_AU * FSI_UDF_AU;
    /* the metadata file's extents (whole allocation units, < 2^30 bytes each) must fit its EFE */
    uint64_t unit_ext = FSI_UDF_MAX_EXTENT / (FSI_UDF_AU * BS) * FSI_UDF_AU;
    if (lb > UINT32_MAX - FSI_UDF_AU || (U->metadata && (lb + unit_ext - 1) / unit_ext > (BS - EFE_HDR) / 8)) {
        fsi_err_set(b->err, FSI_E_IMAGE_TOO_BIG, FSI_FS_UDF, NULL);
        return FSI_E_IMAGE_TOO_BIG;
    }
    U->area_blocks = (uint32_t)lb;
    U->next_unique = unique_of(b->n);           /* the first one not used (16 when only a root) */
    if (U->next_unique < 16)
        U->next_unique = 16;
    return FSI_OK;
}

/* ---- volume structures -------------------------------------------------------------------------- */

static void vol_name(const fsi_builder *b, uint16_t *out, size_t *len)
{
    *len = fsi_volume_name(FSI_FS_UDF, b->o->volume_name, b->o->volume_name_len, out, 32);
    if (*len > 32)
        *len = 32;
}

/* 16 hex characters, unique per image: creation time and a hash of the volume name (UDF 2.2.2.5) */
static void vol_set_id(const fsi_builder *b, uint16_t *out)
{
    static const char hex[] = "0123456789abcdef";
    int64_t secs = (b->o->creation_time - FSI_TIME_UNIX_EPOCH) / 10000000;
    uint32_t t = (uint32_t)secs;
    uint32_t h = fsi_name_hash(b->o->volume_name, b->o->volume_name_len) ^ (uint32_t)(b->o->creation_time % 10000000);
    for (int i = 0; i < 8; i++) {
        out[i] = (uint16_t)hex[(t >> (28 - 4 * i)) & 15];
        out[8 + i] = (uint16_t)hex[(h >> (28 - 4 * i)) & 15];
    }
}

static uint32_t abs_blk(const fsi_builder *b, uint32_t rel) { return b->o->session_start + rel; }

static void lv_ident(const fsi_builder *b, uint8_t *f, size_t flen)
{
    uint16_t name[32];
    size_t n;
    vol_name(b, name, &n);
    if (!n) {
        /* the logical volume identifier shall not be empty (UDF 2.2.4.3): the volume set ID */
        vol_set_id(b, name);
        n = 16;
    }
    fsi_udf_dstring(f, flen, name, n);
}

static void write_pvd(const fsi_builder *b, uint8_t *d, uint32_t loc)
{
    const fsi_udf_layout *U = &b->udf;
    uint16_t vsid[16 + 32];
    size_t n;
    fsi_put_le32(d + 16, 0);                    /* volume descriptor sequence number */
    fsi_put_le32(d + 20, 0);                    /* primary volume descriptor number */
    lv_ident(b, d + 24, 32);
    fsi_put_le16(d + 56, 1);                    /* volume sequence number */
    fsi_put_le16(d + 58, 1);
    fsi_put_le16(d + 60, 2);                    /* interchange level: single volume (UDF 2.2.2.1) */
    fsi_put_le16(d + 62, 3);
    fsi_put_le32(d + 64, 1);                    /* character set list: CS0 */
    fsi_put_le32(d + 68, 1);
    vol_set_id(b, vsid);
    vol_name(b, vsid + 16, &n);
    fsi_udf_dstring(d + 72, 128, vsid, 16 + n);
    charspec(d + 200);
    charspec(d + 264);
    impl_id(d + 344);                           /* application identifier */
    fsi_udf_timestamp(d + 376, b->o->creation_time);
    impl_id(d + 388);
    fsi_put_le16(d + 488, 1);                   /* volume set identification is common */
    fsi_udf_tag(d, 1, tag_version(U->rev), loc, 512);
}

static void write_iuvd(const fsi_builder *b, uint8_t *d, uint32_t loc)
{
    fsi_put_le32(d + 16, 1);
    udf_id(d + 20, "*UDF LV Info", b->udf.rev);
    charspec(d + 52);
    lv_ident(b, d + 116, 128);
    /* LVInfo1..3 (owner, organization, contact): empty */
    impl_id(d + 352);
    fsi_udf_tag(d, 4, tag_version(b->udf.rev), loc, 512);
}

static void write_pd(const fsi_builder *b, uint8_t *d, uint32_t loc)
{
    const fsi_udf_layout *U = &b->udf;
    fsi_put_le32(d + 16, 2);
    fsi_put_le16(d + 20, 1);                    /* partition flags: space allocated */
    fsi_put_le16(d + 22, 0);                    /* partition number */
    entity(d + 24, U->rev >= 0x200 ? "+NSR03" : "+NSR02", NULL);
    /* partition header descriptor: no space tables or bitmaps on read-only media */
    fsi_put_le32(d + 184, 1);                   /* access type: read only */
    fsi_put_le32(d + 188, abs_blk(b, U->part) - U->lb0);
    fsi_put_le32(d + 192, U->part_len);
    impl_id(d + 196);
    fsi_udf_tag(d, 5, tag_version(U->rev), loc, 512);
}

static void write_lvd(const fsi_builder *b, uint8_t *d, uint32_t loc)
{
    const fsi_udf_layout *U = &b->udf;
    fsi_put_le32(d + 16, 3);
    charspec(d + 20);
    lv_ident(b, d + 84, 128);
    fsi_put_le32(d + 212, BS);
    domain_id(d + 216, U->rev);
    long_ad(d + 248, 2 * BS, U->area_lb, (uint16_t)(U->metadata ? 1 : 0), 0); /* FSD and TD */
    uint32_t mtl = U->metadata ? 6 + 64 : 6;
    fsi_put_le32(d + 264, mtl);
    fsi_put_le32(d + 268, U->metadata ? 2 : 1);
    impl_id(d + 272);
    extent_ad(d + 432, LVIS_BLOCKS * BS, abs_blk(b, U->lvis));
    uint8_t *m = d + 440;
    m[0] = 1;                                   /* type 1: the physical partition */
    m[1] = 6;
    fsi_put_le16(m + 2, 1);                     /* volume sequence number */
    fsi_put_le16(m + 4, 0);                     /* partition number */
    if (U->metadata) {
        m += 6;
        m[0] = 2;
        m[1] = 64;
        udf_id(m + 4, "*UDF Metadata Partition", U->rev);
        fsi_put_le16(m + 36, 1);
        fsi_put_le16(m + 38, 0);
        fsi_put_le32(m + 40, U->lb0);           /* metadata file EFE: partition block 0 (+ lb0) */
        fsi_put_le32(m + 44, U->lb0 + 1);       /* metadata mirror file EFE */
        fsi_put_le32(m + 48, NO_ID);            /* no metadata bitmap file (read-only) */
        fsi_put_le32(m + 52, FSI_UDF_AU);       /* allocation unit size */
        fsi_put_le16(m + 56, FSI_UDF_AU);       /* alignment unit size */
        m[58] = (uint8_t)(U->mirror ? 1 : 0);   /* duplicate metadata flag */
    }
    fsi_udf_tag(d, 6, tag_version(U->rev), loc, 440 + mtl);
}

static void write_usd(const fsi_builder *b, uint8_t *d, uint32_t loc)
{
    fsi_put_le32(d + 16, 4);
    fsi_put_le32(d + 20, 0);                    /* no unallocated volume space */
    fsi_udf_tag(d, 7, tag_version(b->udf.rev), loc, 24);
}

static void write_td(int rev, uint8_t *d, uint32_t loc) { fsi_udf_tag(d, 8, tag_version(rev), loc, 512); }

size_t fsi_udf_write_lvid(uint8_t *d, const fsi_udf_lvid *l)
{
    uint32_t n = l->nparts;
    fsi_udf_timestamp(d + 16, l->time);
    fsi_put_le32(d + 28, 1);                    /* close integrity */
    put_le64(d + 40, l->next_unique);           /* logical volume header descriptor */
    fsi_put_le32(d + 72, n);
    fsi_put_le32(d + 76, 46);
    for (uint32_t i = 0; i < n; i++) {
        fsi_put_le32(d + 80 + 4 * i, l->free_space[i]);
        fsi_put_le32(d + 80 + 4 * n + 4 * i, l->size[i]);
    }
    uint8_t *iu = d + 80 + 8 * n;
    impl_id(iu);
    fsi_put_le32(iu + 32, l->files);
    fsi_put_le32(iu + 36, l->dirs);
    int rd = l->rev >= 0x250 ? 0x250 : l->rev;  /* 2.60 without pseudo-overwrite: 2.50 readers */
    fsi_put_le16(iu + 40, (uint16_t)rd);
    fsi_put_le16(iu + 42, (uint16_t)l->rev);
    fsi_put_le16(iu + 44, (uint16_t)l->rev);
    size_t len = 80 + 8 * n + 46;
    fsi_udf_tag(d, 9, tag_version(l->rev), l->location, len);
    return len;
}

static void write_avdp(const fsi_builder *b, uint8_t *d, uint32_t loc)
{
    const fsi_udf_layout *U = &b->udf;
    extent_ad(d + 16, VDS_BLOCKS * BS, abs_blk(b, U->mvds));
    extent_ad(d + 24, VDS_BLOCKS * BS, abs_blk(b, U->rvds));
    fsi_udf_tag(d, 2, tag_version(U->rev), loc, 512);
}

void fsi_udf_anchor_at(const fsi_builder *b, uint8_t *blk, uint32_t loc)
{
    memset(blk, 0, BS);
    write_avdp(b, blk, loc);
}

/* Metadata (mirror) file EFE in the physical partition. */
static void write_meta_fe(const fsi_builder *b, uint8_t *buf, int is_mirror)
{
    const fsi_udf_layout *U = &b->udf;
    icb c = { 0 };
    c.efe = 1;
    c.file_type = (uint8_t)(is_mirror ? 251 : 250);
    c.perms = 0;
    c.info_len = (uint64_t)U->area_blocks * BS;
    c.blocks = U->area_blocks;
    c.access = c.mod = c.create = b->o->creation_time;
    c.lb = (uint32_t)is_mirror + U->lb0;
    c.data_lb = (is_mirror && U->mirror ? U->mirror_at : U->area) - U->part + U->lb0;
    /* extents in whole allocation units */
    c.max_ext = FSI_UDF_MAX_EXTENT / (FSI_UDF_AU * BS) * (FSI_UDF_AU * BS);
    render_icb(buf, &c, U->rev);
}

static int store1(fsi_meta_store *ms, uint8_t *blk)
{
    int ok = fsi_store_blocks(ms, blk, 1);
    memset(blk, 0, BS);
    return ok;
}

static void zeros_to(fsi_meta_store *ms, uint32_t rel)
{
    size_t cur = 16 + ms->nblk;
    if (rel > cur)
        fsi_store_zeros(ms, rel - cur);
}

static int write_vds(const fsi_builder *b, fsi_meta_store *ms, uint8_t *blk, uint32_t at)
{
    uint32_t a = abs_blk(b, at);
    write_pvd(b, blk, a);
    if (!store1(ms, blk))
        return 0;
    write_iuvd(b, blk, a + 1);
    if (!store1(ms, blk))
        return 0;
    write_pd(b, blk, a + 2);
    if (!store1(ms, blk))
        return 0;
    write_lvd(b, blk, a + 3);
    if (!store1(ms, blk))
        return 0;
    write_usd(b, blk, a + 4);
    if (!store1(ms, blk))
        return 0;
    write_td(b->udf.rev, blk, a + 5);
    if (!store1(ms, blk))
        return 0;
    fsi_store_zeros(ms, VDS_BLOCKS - 6);
    return 1;
}

int fsi_udf_render_front(fsi_builder *b, const fsi_plan *p, fsi_meta_store *ms)
{
    (void)p;
    const fsi_udf_layout *U = &b->udf;
    uint8_t blk[BS], meta2[2 * BS];
    memset(blk, 0, sizeof blk);
    static const char *const vrs[3] = { "BEA01", "NSR02", "TEA01" };
    zeros_to(ms, U->vrs);
    for (int i = 0; i < 3; i++) {
        blk[0] = 0;
        memcpy(blk + 1, i == 1 && U->rev >= 0x200 ? "NSR03" : vrs[i], 5);
        blk[6] = 1;
        if (!store1(ms, blk))
            return 0;
    }
    if (b->boot.n && !fsi_boot_render_catalog(b, p, ms))   /* El Torito: after TEA01 */
        return 0;
    zeros_to(ms, U->mvds);
    if (!write_vds(b, ms, blk, U->mvds))
        return 0;
    if (!U->metadata) {                         /* 2.50+: after the partition (render_tail) */
        zeros_to(ms, U->rvds);
        if (!write_vds(b, ms, blk, U->rvds))
            return 0;
    }
    zeros_to(ms, U->lvis);
    fsi_udf_lvid l = { 0 };
    l.rev = U->rev;
    l.location = abs_blk(b, U->lvis);
    l.time = b->o->creation_time;
    l.next_unique = U->next_unique;
    l.nparts = U->metadata ? 2 : 1;
    l.size[0] = U->part_len;
    l.size[1] = U->area_blocks;
    l.files = U->files > UINT32_MAX ? UINT32_MAX : (uint32_t)U->files;
    l.dirs = U->dirs > UINT32_MAX ? UINT32_MAX : (uint32_t)U->dirs;
    fsi_udf_write_lvid(blk, &l);
    if (!store1(ms, blk))
        return 0;
    write_td(U->rev, blk, abs_blk(b, U->lvis + 1));
    if (!store1(ms, blk))
        return 0;
    zeros_to(ms, U->avdp);
    write_avdp(b, blk, abs_blk(b, U->avdp));
    if (!store1(ms, blk))
        return 0;
    zeros_to(ms, U->part);
    if (U->metadata) {
        for (int m = 0; m < 2; m++) {
            memset(meta2, 0, sizeof meta2);
            write_meta_fe(b, meta2, m);         /* an AU-sized extent list always fits one block */
            if (!fsi_store_blocks(ms, meta2, 1))
                return 0;
        }
    }
    return 1;
}

/* ---- the metadata area -------------------------------------------------------------------------- */

static void write_fsd(const fsi_builder *b, uint8_t *d)
{
    const fsi_udf_layout *U = &b->udf;
    uint16_t name[32];
    size_t n;
    fsi_udf_timestamp(d + 16, b->o->creation_time);
    fsi_put_le16(d + 28, 3);                    /* interchange level (UDF 2.3.2.1) */
    fsi_put_le16(d + 30, 3);
    fsi_put_le32(d + 32, 1);
    fsi_put_le32(d + 36, 1);
    fsi_put_le32(d + 40, 0);                    /* file set number */
    fsi_put_le32(d + 44, 0);                    /* file set descriptor number */
    charspec(d + 48);
    lv_ident(b, d + 112, 128);
    charspec(d + 240);
    vol_name(b, name, &n);
    if (n)
        fsi_udf_dstring(d + 304, 32, name, n);
    else
        lv_ident(b, d + 304, 32);
    long_ad(d + 400, BS, U->area_lb + b->it[0].udf_fe, (uint16_t)(U->metadata ? 1 : 0), 0);
    domain_id(d + 416, U->rev);
    fsi_udf_tag(d, 0x100, tag_version(U->rev), U->area_lb, 512);
}

static size_t write_fid(uint8_t *p, int rev, uint32_t tagloc, uint8_t chars, const uint8_t *id, size_t lfi,
                        uint32_t icb_lb, uint16_t part, uint64_t unique)
{
    size_t len = fid_len(lfi);
    memset(p, 0, len);
    fsi_put_le16(p + 16, 1);                    /* file version number */
    p[18] = chars;
    p[19] = (uint8_t)lfi;
    long_ad(p + 20, BS, icb_lb, part, (uint32_t)unique);
    fsi_put_le16(p + 36, 0);                    /* L_IU */
    memcpy(p + 38, id, lfi);
    fsi_udf_tag(p, 0x101, tag_version(rev), tagloc, len);
    return len;
}

static void render_dir(const fsi_builder *b, uint8_t *buf, size_t di)
{
    const fsi_udf_layout *U = &b->udf;
    const fsi_pitem *d = &b->it[di];
    uint16_t part = (uint16_t)(U->metadata ? 1 : 0);
    uint32_t base = U->area_lb + d->udf_dir;
    const fsi_pitem *pd = &b->it[d->parent];
    uint8_t id[255];
    size_t pos = write_fid(buf, U->rev, base, 0x0A, id, 0, U->area_lb + pd->udf_fe, part, unique_of(d->parent));
    for (uint32_t j = 0; j < d->nkids; j++) {
        size_t ci = d->first + j;
        const fsi_pitem *c = &b->it[ci];
        size_t nl;
        const uint16_t *nm = udf_name(b, c, &nl);
        size_t lfi = fsi_udf_cs0(nm, nl, id);
        uint8_t chars = (uint8_t)((c->node->is_dir ? 0x02 : 0) | (c->node->hidden ? 0x01 : 0));
        pos += write_fid(buf + pos, U->rev, base + (uint32_t)(pos / BS), chars, id, lfi, U->area_lb + c->udf_fe,
                         part, unique_of(ci));
    }
}

/* A stream directory's FIDs: the parent FID (the file, not a directory), then one per stream. */
static void render_sdir(const fsi_builder *b, uint8_t *buf, const fsi_psdir *d)
{
    const fsi_udf_layout *U = &b->udf;
    uint16_t part = (uint16_t)(U->metadata ? 1 : 0);
    uint32_t base = U->area_lb + d->dir;
    uint64_t unique = unique_of(d->item);
    uint8_t id[255];
    size_t pos = write_fid(buf, U->rev, base, 0x08, id, 0, U->area_lb + b->it[d->item].udf_fe, part, unique);
    for (uint32_t j = 0; j < d->n; j++) {
        const fsi_stream *st = stream_of(b, d, j);
        size_t lfi = fsi_udf_cs0(st->name, st->name_len, id);
        pos += write_fid(buf + pos, U->rev, base + (uint32_t)(pos / BS), 0, id, lfi,
                         U->area_lb + b->ps[d->first + j].fe, part, unique);
    }
}

/* The stream directory EFE of d and its streams' EFEs (with their AEDs) into zeroed buf. */
static void render_streams(const fsi_builder *b, const fsi_plan *p, uint8_t *buf, const fsi_psdir *d)
{
    const fsi_udf_layout *U = &b->udf;
    const fsi_node *n = b->it[d->item].node;
    icb x = { 0 };
    x.efe = 1;
    x.perms = PERMS;
    x.access = n->times.access;
    x.mod = n->times.modification;
    x.create = n->times.creation;
    x.unique = unique_of(d->item);              /* streams share their file's unique ID */
    x.own_part = (uint16_t)(U->metadata ? 1 : 0);
    x.max_ext = FSI_UDF_MAX_EXTENT;
    x.file_type = 13;                           /* stream directory (ECMA-167 4/14.6.6) */
    x.links = 0;                                /* no FID names it (ECMA-167 4/14.9.6) */
    x.info_len = d->dsize;
    x.blocks = blocks_of(d->dsize);
    x.lb = U->area_lb + d->fe;
    x.data_lb = U->area_lb + d->dir;
    render_icb(buf, &x, U->rev);
    size_t off = BS;
    for (uint32_t j = 0; j < d->n; j++) {
        const fsi_pstream *ps = &b->ps[d->first + j];
        const fsi_stream *st = stream_of(b, d, j);
        x.file_type = 5;
        x.flags = 0x2000;                       /* ICB tag flag: a stream (ECMA-167 4/14.6.8) */
        x.links = 1;
        x.info_len = st->size;
        x.blocks = blocks_of(st->size);
        x.lb = U->area_lb + ps->fe;
        x.ad_long = U->metadata;
        x.data_part = 0;
        x.data_lb = ps->file != FSI_NONE ? p->files[ps->file].first_block - U->part + U->lb0 : 0;
        render_icb(buf + off, &x, U->rev);
        off += (size_t)(1 + ps->aeds) * BS;
    }
}

int fsi_udf_render_area(fsi_builder *b, const fsi_plan *p, fsi_meta_store *ms)
{
    fsi_udf_layout *U = &b->udf;
    int efe = U->rev >= 0x200;
    uint64_t maxb = 2 * BS;                     /* FSD + TD */
    for (size_t i = 0; i < b->n; i++) {
        const fsi_pitem *c = &b->it[i];
        uint64_t s = (uint64_t)(1 + c->udf_aeds) * BS;
        if (s > maxb)
            maxb = s;
        if (c->node->is_dir && blocks_of(c->udf_dsize) * BS > maxb)
            maxb = blocks_of(c->udf_dsize) * BS;
    }
    for (size_t k = 0; k < b->nsd; k++) {
        const fsi_psdir *d = &b->sd[k];
        uint64_t s = 1;                         /* the stream directory EFE */
        for (uint32_t j = 0; j < d->n; j++)
            s += 1 + (uint64_t)b->ps[d->first + j].aeds;
        if (s * BS > maxb)
            maxb = s * BS;
        if (blocks_of(d->dsize) * BS > maxb)
            maxb = blocks_of(d->dsize) * BS;
    }
    if (maxb > SIZE_MAX)
        return 0;
    uint8_t *buf = calloc(1, (size_t)maxb);
    if (!buf)
        return 0;
    int ok = 0;
    size_t sdi = 0;                             /* next stream directory (item order) */
    zeros_to(ms, U->area);
    U->area_store = ms->nblk;
    write_fsd(b, buf);
    write_td(U->rev, buf + BS, U->area_lb + 1);
    if (!fsi_store_blocks(ms, buf, 2))
        goto out;
    for (size_t i = 0; i < b->n; i++) {
        const fsi_pitem *c = &b->it[i];
        const fsi_node *n = c->node;
        size_t nb = 1 + c->udf_aeds;
        memset(buf, 0, nb * BS);
        icb x = { 0 };
        x.efe = efe;
        x.perms = PERMS;
        x.links = c->udf_links;
        x.access = n->times.access;
        x.mod = n->times.modification;
        x.create = n->times.creation;
        x.unique = unique_of(i);
        x.lb = U->area_lb + c->udf_fe;
        x.own_part = (uint16_t)(U->metadata ? 1 : 0);
        x.max_ext = FSI_UDF_MAX_EXTENT;
        const fsi_psdir *sd = NULL;
        if (n->is_dir) {
            x.file_type = 4;
            x.info_len = c->udf_dsize;
            x.data_lb = U->area_lb + c->udf_dir;
        } else {
            /* real-time files: file type 249 from UDF 2.01 (UDF 2.01 3.3.2.1) */
            x.file_type = (uint8_t)(n->realtime && U->rev >= 0x201 ? 249 : 5);
            x.info_len = n->u.f.size;
            x.ad_long = U->metadata;
            x.data_part = 0;
            if (c->file != FSI_NONE)
                x.data_lb = p->files[c->file].first_block - U->part + U->lb0;
            if (c->ref_n) {
                x.runs = b->rext + c->ref_first;
                x.nruns = c->ref_n;
                x.part_abs = abs_blk(b, U->part) - U->lb0;
            }
            if (sdi < b->nsd && b->sd[sdi].item == i) {
                sd = &b->sd[sdi++];
                x.sdir = 1;
                x.sdir_lb = U->area_lb + sd->fe;
                x.sdir_part = x.own_part;
                x.obj_size = n->u.f.size;       /* the data stream and every named stream */
                for (uint32_t j = 0; j < sd->n; j++)
                    x.obj_size += stream_of(b, sd, j)->size;
            }
        }
        x.blocks = blocks_of(x.info_len);
        render_icb(buf, &x, U->rev);
        if (!fsi_store_blocks(ms, buf, nb))
            goto out;
        if (sd) {
            size_t sb = 1;
            for (uint32_t j = 0; j < sd->n; j++)
                sb += 1 + (size_t)b->ps[sd->first + j].aeds;
            memset(buf, 0, sb * BS);
            render_streams(b, p, buf, sd);
            if (!fsi_store_blocks(ms, buf, sb))
                goto out;
        }
    }
    for (size_t i = 0; i < b->n; i++) {
        const fsi_pitem *c = &b->it[i];
        if (!c->node->is_dir)
            continue;
        size_t nb = (size_t)blocks_of(c->udf_dsize);
        memset(buf, 0, nb * BS);
        render_dir(b, buf, i);
        if (!fsi_store_blocks(ms, buf, nb))
            goto out;
    }
    for (size_t k = 0; k < b->nsd; k++) {
        size_t nb = (size_t)blocks_of(b->sd[k].dsize);
        memset(buf, 0, nb * BS);
        render_sdir(b, buf, &b->sd[k]);
        if (!fsi_store_blocks(ms, buf, nb))
            goto out;
    }
    zeros_to(ms, U->area + U->area_blocks);
    ok = 1;
out:
    free(buf);
    return ok;
}

/* ---- size bound (engine.h: fsi_size_bound) ------------------------------------------------------- */

#define ONE FSI_BOUND_ONE
/* Bytes the FIDs of a directory's other items can grow when one is added: only names over 255
 * CS0 bytes are cut and numbered (names.c), and a tail moving up a digit adds one or two bytes. */
#define RENUMBER 64u

static uint64_t units(uint64_t bytes) { return (bytes * ONE + BS - 1) / BS; }

/* A FID stream of size bytes takes blocks_of(size) <= size / BS + 1 blocks: its slack is the rest. */
static uint64_t fids_slack(uint64_t size) { return units(size) + ONE - blocks_of(size) * ONE; }

uint64_t fsi_udf_slack(const fsi_builder *b)
{
    const fsi_udf_layout *U = &b->udf;
    uint64_t s = 0;
    for (size_t i = 0; i < b->n; i++)
        if (b->it[i].node->is_dir)
            s += fids_slack(b->it[i].udf_dsize);
    for (size_t k = 0; k < b->nsd; k++)
        s += fids_slack(b->sd[k].dsize);
    if (U->metadata)                            /* the area is rounded up to the unit */
        s += (uint64_t)(U->area_used + FSI_UDF_AU - 1 - U->area_blocks) * ONE;
    return U->mirror ? 2 * s : s;
}

/* A FID naming len UTF-16 units: at most 255 bytes of CS0 (longer names are cut). */
static uint64_t fid_bound(const uint16_t *name, size_t len)
{
    size_t cs0 = fsi_udf_cs0_len(name, len);
    return fid_len(cs0 > 255 ? 255 : cs0) + RENUMBER;
}

uint64_t fsi_udf_add_bound(const fsi_plan_opts *o, const fsi_node *n)
{
    int rev = o->udf_revision, efe = rev >= 0x200, meta = rev >= 0x250;
    uint64_t u = units(fid_bound(n->name, n->name_len));       /* its FID in its directory */
    if (n->is_dir) {
        u += ONE + ONE + units(40);             /* its (E)FE, its FID stream (parent FID) */
    } else {
        u += (1 + icb_aeds(fsi_udf_extent_count(n->u.f.size), efe, meta)) * ONE;
        if (rev >= 0x200 && n->u.f.nstreams) {
            /* the stream directory's EFE and FID stream, each stream's EFE and FID */
            u += 2 * ONE + units(40);
            for (uint32_t k = 0; k < n->u.f.nstreams; k++) {
                const fsi_stream *st = &n->u.f.streams[k];
                u += (1 + icb_aeds(fsi_udf_extent_count(st->size), 1, meta)) * ONE + units(fid_bound(st->name, st->name_len));
            }
        }
    }
    return meta && o->udf_redundant_metadata ? 2 * u : u;      /* the mirror copies the area */
}

uint64_t fsi_udf_stream_bound(const fsi_plan_opts *o, const uint16_t *name, size_t name_len, uint64_t size)
{
    int meta = o->udf_revision >= 0x250;
    if (o->udf_revision < 0x200)
        return 0;                               /* not written */
    /* a stream directory (EFE, FID stream) if the file had none, the stream's EFE and FID */
    uint64_t u = 2 * ONE + units(40) + (1 + icb_aeds(fsi_udf_extent_count(size), 1, meta)) * ONE +
                 units(fid_bound(name, name_len));
    return meta && o->udf_redundant_metadata ? 2 * u : u;
}

/* ---- after the file data ------------------------------------------------------------------------ */

/* Whole ECC blocks (16 sectors) strictly between the extent [a, a + an) and a later one at b
 * (absolute blocks): the distance the Philips UDF verifier measures. */
static int64_t ecc_between(uint64_t a, uint64_t an, uint64_t b)
{
    return (int64_t)(b / ECC_BLOCK) - (int64_t)((a + an - 1) / ECC_BLOCK) - 1;
}

int fsi_udf_far_apart(const fsi_builder *b, uint64_t tail)
{
    const fsi_udf_layout *U = &b->udf;
    uint64_t ss = b->o->session_start, copy = U->mirror ? U->area_blocks : 0;
    uint64_t total = tail + copy + VDS_BLOCKS + 1;
    int64_t need = (int64_t)(((total + ECC_BLOCK - 1) / ECC_BLOCK + 9) / 10);
    if (ecc_between(ss + U->mvds, VDS_BLOCKS, ss + tail + copy) < need)
        return 0;
    return !copy || ecc_between(ss + U->area, U->area_blocks, ss + tail) >= need;
}

int fsi_udf_render_tail(fsi_builder *b, fsi_plan *p, fsi_meta_store *ms)
{
    const fsi_udf_layout *U = &b->udf;
    uint8_t blk[BS];
    memset(blk, 0, sizeof blk);
    if (p->nsegs + 2 > FSI_MAX_SEGS)
        return 0;
    if (U->metadata && U->mirror)               /* the mirror copy: the area's stored blocks */
        p->segs[p->nsegs++] = (fsi_meta_seg){ U->mirror_at, U->area_blocks, U->area_store };
    fsi_meta_seg *s = &p->segs[p->nsegs++];
    s->first = U->metadata ? U->rvds : U->avdp_last;
    s->store = ms->nblk;
    if (U->metadata && !write_vds(b, ms, blk, U->rvds))
        return 0;
    write_avdp(b, blk, abs_blk(b, U->avdp_last));
    if (!fsi_store_blocks(ms, blk, 1))
        return 0;
    s->count = (uint32_t)(ms->nblk - s->store);
    return 1;
}
