/*
 * UDF 1.02, 1.50, 2.00, 2.01, 2.50 and 2.60 (ECMA-167 3rd edition + OSTA UDF), alone or bridged
 * with ISO 9660 and Joliet. Read-only media: partition access type 1, no space bitmaps or tables.
 * The UDF writer: this file lays it out (names, named streams, addresses in the metadata area, the
 * blocks of each phase: writer.h) and drives the rendering; udf_area.c renders the metadata area,
 * udf_vds.c the volume structures; udf_desc.c holds the descriptor building blocks.
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
#include "udf.h"

#define BS FSI_BLOCK_SIZE
#define ECC_BLOCK 16u                   /* sectors of a DVD ECC block, the verifier's unit of distance */
#define TAIL_STORED (FSI_UDF_VDS_BLOCKS + 1)    /* 2.50+: the reserve VDS and the last AVDP */
/* Bytes the FIDs of a directory's other items can grow when one is added: only names over 255
 * CS0 bytes are cut and numbered (names.c), and a tail moving up a digit adds one or two bytes. */
#define RENUMBER 64u

int fsi_udf_revision_supported(int rev)
{
    return rev == 0x102 || rev == 0x150 || rev == 0x200 || rev == 0x201 || rev == 0x250 || rev == 0x260;
}

/* ---- names and named streams -------------------------------------------------------------------- */

/* Every directory's children named (fsi_map_children: kept unless one is too long for UDF). */
static fsi_status name_all(fsi_udf *x)
{
    const fsi_snap *s = x->w.s;
    fsi_node **kids = NULL;
    fsi_mapped *m = NULL;
    size_t kcap = 0, mcap = 0;
    fsi_status st = FSI_OK;
    for (size_t i = 0; i < s->n && !st; i++) {
        const fsi_pitem *d = &s->it[i];
        if (!d->node->is_dir || !d->nkids)
            continue;
        if (!FSI_GROW(kids, kcap, d->nkids) || !FSI_GROW(m, mcap, d->nkids)) {
            st = FSI_E_NOMEM;
            break;
        }
        for (uint32_t j = 0; j < d->nkids; j++)
            kids[j] = (fsi_node *)s->it[d->first + j].node;
        size_t bad = 0;
        st = fsi_map_children(kids, d->nkids, FSI_FS_UDF, 0, &x->pool, m, &bad);
        if (st == FSI_E_NO_UNIQUE_NAME)
            st = fsi_fail(s->err, st, FSI_FS_UDF, kids[bad]);
        for (uint32_t j = 0; j < d->nkids && !st; j++)
            x->u[d->first + j].name = m[j];
    }
    free(kids);
    free(m);
    return st;
}

/* The stream directories and streams that are written (2.00+; FSI_STREAMS_MAX at most). */
static fsi_status select_streams(fsi_udf *x)
{
    const fsi_snap *s = x->w.s;
    size_t nsd = 0, nps = 0;
    if (x->rev < 0x200)
        return FSI_OK;                          /* streams need UDF 2.00: left out */
    for (size_t i = 0; i < s->n && nps < FSI_STREAMS_MAX; i++) {
        const fsi_node *n = s->it[i].node;
        if (n->is_dir || !n->u.f.nstreams)
            continue;
        nsd++;
        nps += n->u.f.nstreams;
    }
    if (!nsd)
        return FSI_OK;
    if (nps > FSI_STREAMS_MAX)
        nps = FSI_STREAMS_MAX;
    x->sd = malloc(nsd * sizeof *x->sd);
    x->ps = malloc(nps * sizeof *x->ps);
    if (!x->sd || !x->ps)
        return FSI_E_NOMEM;
    for (size_t i = 0; i < s->n && x->nps < nps; i++) {
        const fsi_node *n = s->it[i].node;
        if (n->is_dir || !n->u.f.nstreams)
            continue;
        fsi_psdir *d = &x->sd[x->nsd++];
        memset(d, 0, sizeof *d);
        d->item = (uint32_t)i;
        d->first = (uint32_t)x->nps;
        for (uint32_t k = 0; k < n->u.f.nstreams && x->nps < nps; k++) {
            fsi_pstream *p = &x->ps[x->nps++];
            p->index = k;
            p->fe = p->aeds = 0;
            p->file = FSI_NONE;
            d->n++;
        }
    }
    return FSI_OK;
}

/* The stream directory of item i, or NULL (binary search). */
static fsi_psdir *sdir_of(const fsi_udf *x, uint32_t i)
{
    size_t lo = 0, hi = x->nsd;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x->sd[mid].item < i)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < x->nsd && x->sd[lo].item == i ? &x->sd[lo] : NULL;
}

/* ---- addresses in the metadata area -------------------------------------------------------------- */

/* Item i's (E)FE: its FID stream's size and link count (directories), its allocation descriptors;
 * then its stream directory's and streams' EFEs. lb: the next free logical block of the area. */
static fsi_status place_item(fsi_udf *x, size_t i, uint64_t *lb, size_t *sdi)
{
    const fsi_snap *s = x->w.s;
    const fsi_pitem *c = &s->it[i];
    const fsi_node *n = c->node;
    fsi_uitem *u = &x->u[i];
    int efe = x->rev >= 0x200, ad_long;
    uint64_t nad;
    u->fe = (uint32_t)*lb;
    if (n->is_dir) {
        x->dirs++;
        uint64_t size = 40;                     /* parent FID */
        uint32_t subdirs = 0;
        for (uint32_t j = 0; j < c->nkids; j++) {
            size_t nl;
            const uint16_t *nm = fsi_udf_name(x, c->first + j, &nl);
            size += fsi_udf_fid_len(fsi_udf_cs0_len(nm, nl));
            subdirs += s->it[c->first + j].node->is_dir;
        }
        if (size > UINT32_MAX - BS)
            return fsi_fail(s->err, FSI_E_IMAGE_TOO_BIG, FSI_FS_UDF, n);
        u->dsize = (uint32_t)size;
        /* a 16-bit count: a directory with 65535 or more subdirectories records 65535 */
        u->links = (uint16_t)(subdirs >= 0xFFFF ? 0xFFFF : 1 + subdirs);
        nad = fsi_udf_extent_count(size);
        ad_long = 0;
    } else {
        x->files++;
        u->links = 1;
        nad = fsi_udf_extent_count(n->u.f.size);
        if (c->ref_n) {                         /* imported, referenced in place: its runs */
            nad = 0;
            for (uint32_t k = 0; k < c->ref_n; k++)
                nad += fsi_udf_extent_count(s->rext[c->ref_first + k].len);
        }
        ad_long = x->metadata;
    }
    u->aeds = (uint32_t)fsi_udf_icb_aeds(nad, efe, ad_long);
    *lb += 1 + (uint64_t)u->aeds;
    if (*sdi < x->nsd && x->sd[*sdi].item == i) {
        /* the stream directory EFE, then each stream's EFE; the stream directory's parent FID
         * is a second link to the file (ECMA-167 4/14.9.6, as NetBSD's fsck_udf counts it) */
        fsi_psdir *d = &x->sd[(*sdi)++];
        u->links = 2;
        d->fe = (uint32_t)(*lb)++;
        uint64_t size = 40;                     /* parent FID */
        for (uint32_t j = 0; j < d->n; j++) {
            const fsi_stream *st = fsi_udf_stream(x, d, j);
            fsi_pstream *p = &x->ps[d->first + j];
            p->fe = (uint32_t)*lb;
            p->aeds = (uint32_t)fsi_udf_icb_aeds(fsi_udf_extent_count(st->size), 1, x->metadata);
            *lb += 1 + (uint64_t)p->aeds;
            size += fsi_udf_fid_len(fsi_udf_cs0_len(st->name, st->name_len));
        }
        d->dsize = (uint32_t)size;              /* at most 1000 FIDs of at most 296 bytes */
    }
    return *lb > UINT32_MAX ? fsi_fail(s->err, FSI_E_IMAGE_TOO_BIG, FSI_FS_UDF, n) : FSI_OK;
}

/* The metadata area: the FSD and its TD, every (E)FE in item order, the FID streams of the
 * directories, then those of the stream directories. */
static fsi_status size_area(fsi_udf *x)
{
    const fsi_snap *s = x->w.s;
    uint64_t lb = 2;                            /* 0: the FSD, 1: its terminating descriptor */
    size_t sdi = 0;                             /* next stream directory (item order) */
    fsi_status st;
    x->files = x->dirs = 0;
    for (size_t i = 0; i < s->n; i++)
        if ((st = place_item(x, i, &lb, &sdi)))
            return st;
    for (size_t i = 0; i < s->n; i++) {
        if (!s->it[i].node->is_dir)
            continue;
        x->u[i].dir = (uint32_t)lb;
        lb += fsi_blocks_of(x->u[i].dsize);
        if (lb > UINT32_MAX)
            return fsi_fail(s->err, FSI_E_IMAGE_TOO_BIG, FSI_FS_UDF, s->it[i].node);
    }
    for (size_t k = 0; k < x->nsd; k++) {       /* the stream directories' FIDs */
        x->sd[k].dir = (uint32_t)lb;
        lb += fsi_blocks_of(x->sd[k].dsize);
    }
    if (lb > UINT32_MAX)
        return fsi_fail(s->err, FSI_E_IMAGE_TOO_BIG, FSI_FS_UDF, NULL);
    x->area_used = (uint32_t)lb;
    if (x->metadata)
        lb = (lb + FSI_UDF_AU - 1) / FSI_UDF_AU * FSI_UDF_AU;
    /* the metadata file's extents (whole allocation units, < 2^30 bytes each) must fit its EFE */
    uint64_t unit_ext = FSI_UDF_MAX_EXTENT / (FSI_UDF_AU * BS) * FSI_UDF_AU;
    if (lb > UINT32_MAX - FSI_UDF_AU ||
        (x->metadata && (lb + unit_ext - 1) / unit_ext > (BS - FSI_UDF_EFE_HDR) / 8))
        return fsi_fail(s->err, FSI_E_IMAGE_TOO_BIG, FSI_FS_UDF, NULL);
    x->area_blocks = (uint32_t)lb;
    x->next_unique = fsi_udf_unique(s->n);      /* the first one not used (16 when only a root) */
    if (x->next_unique < 16)
        x->next_unique = 16;
    return FSI_OK;
}

static fsi_status udf_check(fsi_writer *w)
{
    fsi_udf *x = (fsi_udf *)w;
    fsi_status st;
    if (!(x->u = calloc(w->s->n, sizeof *x->u)))
        return FSI_E_NOMEM;
    if ((st = select_streams(x)) || (st = name_all(x)))
        return st;
    return size_area(x);
}

/* ---- blocks -------------------------------------------------------------------------------------- */

static uint32_t round_au(uint32_t part, uint64_t blk)
{
    return (uint32_t)(part + (blk - part + FSI_UDF_AU - 1) / FSI_UDF_AU * FSI_UDF_AU);
}

/* Whole ECC blocks (16 sectors) strictly between the extent [a, a + an) and a later one at b
 * (absolute blocks): the distance the Philips UDF verifier measures. */
static int64_t ecc_between(uint64_t a, uint64_t an, uint64_t b)
{
    return (int64_t)(b / ECC_BLOCK) - (int64_t)((a + an - 1) / ECC_BLOCK) - 1;
}

/* 2.50+: would the metadata mirror copy (when there is one) from relative block tail, the reserve
 * VDS after it and the last AVDP after that be far enough from the metadata file and the main VDS
 * (at least a tenth of the session's blocks in whole ECC blocks of 16 sectors between them)? */
static int far_apart(const fsi_udf *x, uint64_t tail)
{
    uint64_t ss = x->w.s->o->session_start, copy = x->mirror ? x->area_blocks : 0;
    uint64_t total = tail + copy + FSI_UDF_VDS_BLOCKS + 1;
    int64_t need = (int64_t)(((total + ECC_BLOCK - 1) / ECC_BLOCK + 9) / 10);
    if (ecc_between(ss + x->mvds, FSI_UDF_VDS_BLOCKS, ss + tail + copy) < need)
        return 0;
    return !copy || ecc_between(ss + x->area, x->area_blocks, ss + tail) >= need;
}

/* The volume structures at their fixed blocks, the partition's start and the metadata area. */
static fsi_status reserve_meta(fsi_udf *x, uint64_t *next)
{
    const fsi_snap *s = x->w.s;
    /* the recognition area and a boot catalog end at block 28 at most */
    if (*next > x->mvds)
        return fsi_fail(s->err, FSI_E_INVALID_PARAM, FSI_FS_UDF, NULL);
    uint64_t blk = x->part;
    if (x->metadata)                            /* metadata file and mirror EFEs */
        blk = round_au(x->part, blk + 2);
    x->area = (uint32_t)blk;
    /* multisession: the partition reaches down to the oldest referenced extent */
    uint64_t low = (uint64_t)s->o->session_start + x->part;
    for (size_t k = 0; k < s->nrext; k++)
        if (s->rext[k].lba < low)
            low = s->rext[k].lba;
    uint64_t down = (uint64_t)s->o->session_start + x->part - low;
    x->lb0 = (uint32_t)((down + FSI_UDF_AU - 1) / FSI_UDF_AU * FSI_UDF_AU);
    x->area_lb = x->metadata ? 0 : x->area - x->part + x->lb0;
    *next = blk + x->area_blocks;
    return FSI_OK;
}

/* After the file data: the partition's end and the last AVDP. 2.50+: the metadata mirror copy at
 * the end of the partition, then the reserve VDS after it, both from the first allocation unit
 * boundary after the data where they are far enough from the metadata file and the main VDS (zero
 * blocks in between when the data is too short). */
static fsi_status reserve_tail(fsi_udf *x, uint64_t *next)
{
    const fsi_snap *s = x->w.s;
    uint64_t blk = *next, ss = s->o->session_start;
    if (x->metadata) {
        uint64_t copy = x->mirror ? x->area_blocks : 0, tail = blk;
        if (tail + copy + TAIL_STORED + FSI_UDF_AU + ss > UINT32_MAX)
            return fsi_fail(s->err, FSI_E_IMAGE_TOO_BIG, 0, NULL);
        tail = round_au(x->part, tail);
        while (!far_apart(x, tail)) {
            tail += FSI_UDF_AU;
            if (tail + copy + TAIL_STORED + ss > UINT32_MAX)
                return fsi_fail(s->err, FSI_E_IMAGE_TOO_BIG, 0, NULL);
        }
        x->mirror_at = (uint32_t)tail;
        x->gap = (uint32_t)(tail - blk);
        x->w.spread_blocks = x->gap;
        x->rvds = (uint32_t)(tail + copy);
        blk = x->rvds;
    }
    x->part_len = (uint32_t)(blk - x->part + x->lb0);
    if (x->metadata)
        blk += TAIL_STORED - 1;                 /* the reserve VDS */
    x->avdp_last = (uint32_t)blk;
    *next = blk + 1;
    return FSI_OK;
}

static fsi_status udf_reserve(fsi_writer *w, enum fsi_phase ph, uint64_t *next)
{
    fsi_udf *x = (fsi_udf *)w;
    switch (ph) {
    case FSI_PH_VRS:
        x->vrs = (uint32_t)*next;
        *next += 3;
        return FSI_OK;
    case FSI_PH_META:
        return reserve_meta(x, next);
    case FSI_PH_TAIL:
        return reserve_tail(x, next);
    default:
        return FSI_OK;
    }
}

/* ---- rendering ------------------------------------------------------------------------------------ */

/* After the data: (2.50+) the mirror copy, sharing the area's stored blocks, and the reserve VDS;
 * the last AVDP. */
static int render_tail(const fsi_udf *x, fsi_meta_store *ms)
{
    uint8_t blk[BS];
    memset(blk, 0, sizeof blk);
    if (x->metadata && x->mirror &&
        (!fsi_store_skip_to(ms, x->mirror_at) || !fsi_store_repeat(ms, x->area_store, x->area_blocks)))
        return 0;
    if (x->metadata && (!fsi_store_skip_to(ms, x->rvds) || !fsi_udf_render_vds(x, ms, x->rvds)))
        return 0;
    fsi_udf_write_avdp(x, blk, fsi_udf_abs(x, x->avdp_last));
    return fsi_store_blocks(ms, blk, 1);
}

static int udf_render(fsi_writer *w, enum fsi_phase ph, const fsi_plan *p, fsi_meta_store *ms)
{
    fsi_udf *x = (fsi_udf *)w;
    if (ph == FSI_PH_VRS)
        return fsi_udf_render_vrs(x, ms);
    if (ph == FSI_PH_TAIL)
        return render_tail(x, ms);
    if (!fsi_udf_render_volume(x, ms))
        return 0;
    for (int m = 0; x->metadata && m < 2; m++) {
        uint8_t blk[BS];
        memset(blk, 0, sizeof blk);
        fsi_udf_meta_fe(x, blk, m);             /* an AU-sized extent list always fits one block */
        if (!fsi_store_blocks(ms, blk, 1))
            return 0;
    }
    return fsi_udf_render_area(x, p, ms);
}

/* Named streams with data: right after their file's data, in order. */
static fsi_status udf_streams(fsi_writer *w, uint32_t i, fsi_place_fn place, void *ctx)
{
    fsi_udf *x = (fsi_udf *)w;
    fsi_psdir *d = x->nsd ? sdir_of(x, i) : NULL;
    fsi_status st = FSI_OK;
    for (uint32_t j = 0; d && j < d->n && !st; j++) {
        const fsi_stream *sm = fsi_udf_stream(x, d, j);
        if (sm->size)
            st = place(ctx, sm, &x->ps[d->first + j].file);
    }
    return st;
}

static void udf_rewrite(const fsi_writer *w, uint8_t *blk)
{
    memset(blk, 0, BS);
    fsi_udf_write_avdp((const fsi_udf *)w, blk, w->rewrites);
}

/* ---- size bound (engine.h: fsi_size_bound) ------------------------------------------------------- */

static uint64_t units(uint64_t bytes) { return fsi_units(bytes, BS); }

/* The unfilled ends of FID streams, the metadata allocation unit (twice with a mirror); the tail's
 * allocation unit. */
static uint64_t udf_slack(const fsi_writer *w)
{
    const fsi_udf *x = (const fsi_udf *)w;
    uint64_t s = 0;
    for (size_t i = 0; i < w->s->n; i++)
        if (w->s->it[i].node->is_dir)
            s += fsi_bytes_slack(x->u[i].dsize, BS, fsi_blocks_of(x->u[i].dsize));
    for (size_t k = 0; k < x->nsd; k++)
        s += fsi_bytes_slack(x->sd[k].dsize, BS, fsi_blocks_of(x->sd[k].dsize));
    if (x->metadata)                            /* the area is rounded up to the unit */
        s += (uint64_t)(x->area_used + FSI_UDF_AU - 1 - x->area_blocks) * FSI_ONE;
    s = x->mirror ? 2 * s : s;
    return x->metadata ? s + (FSI_UDF_AU - 1) * FSI_ONE : s;
}

/* A FID naming len UTF-16 units: at most 255 bytes of CS0 (longer names are cut). */
static uint64_t fid_bound(const uint16_t *name, size_t len)
{
    size_t cs0 = fsi_udf_cs0_len(name, len);
    return fsi_udf_fid_len(cs0 > 255 ? 255 : cs0) + RENUMBER;
}

/* A named stream: its EFE and FID, and its data. */
static uint64_t stream_units(int meta, const uint16_t *name, size_t len, uint64_t size)
{
    return (1 + fsi_udf_icb_aeds(fsi_udf_extent_count(size), 1, meta)) * FSI_ONE + units(fid_bound(name, len));
}

static uint64_t udf_item_bound(const fsi_plan_opts *o, const fsi_node *n, int level)
{
    int rev = o->udf_revision, efe = rev >= 0x200, meta = rev >= 0x250;
    uint64_t u = units(fid_bound(n->name, n->name_len)), data = 0;     /* its FID in its directory */
    if (!(o->fs & FSI_FS_UDF))
        return 0;
    if (n->is_dir) {
        u += FSI_ONE + FSI_ONE + units(40);     /* its (E)FE, its FID stream (parent FID) */
    } else {
        u += (1 + fsi_udf_icb_aeds(fsi_udf_extent_count(n->u.f.size), efe, meta)) * FSI_ONE;
        if (rev >= 0x200 && n->u.f.nstreams) {
            /* the stream directory's EFE and FID stream, each stream's EFE and FID and data */
            u += 2 * FSI_ONE + units(40);
            for (uint32_t k = 0; k < n->u.f.nstreams; k++) {
                const fsi_stream *st = &n->u.f.streams[k];
                u += stream_units(meta, st->name, st->name_len, st->size);
                data += fsi_blocks_of(st->size) * FSI_ONE;
            }
        }
    }
    return (meta && o->udf_redundant_metadata ? 2 * u : u) + data;     /* the mirror copies the area */
}

static uint64_t udf_stream_bound(const fsi_plan_opts *o, const uint16_t *name, size_t len, uint64_t size)
{
    int meta = o->udf_revision >= 0x250;
    if (!(o->fs & FSI_FS_UDF) || o->udf_revision < 0x200)
        return 0;                               /* streams are written in UDF 2.00 and later only */
    /* a stream directory (EFE, FID stream) if the file had none, the stream's EFE and FID */
    uint64_t u = 2 * FSI_ONE + units(40) + stream_units(meta, name, len, size);
    return (meta && o->udf_redundant_metadata ? 2 * u : u) + fsi_blocks_of(size) * FSI_ONE;
}

/* ---- the writer ---------------------------------------------------------------------------------- */

static int udf_selected(const fsi_plan_opts *o) { return (o->fs & FSI_FS_UDF) != 0; }

static fsi_writer *udf_create(const fsi_snap *s)
{
    fsi_udf *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->rev = s->o->udf_revision;
    x->metadata = x->rev >= 0x250;
    x->mirror = x->metadata && s->o->udf_redundant_metadata;
    x->mvds = 32;
    x->rvds = x->metadata ? 0 : 64;             /* 2.50+: after the partition (reserve_tail) */
    x->lvis = 96;
    x->avdp = 256;
    x->part = x->metadata ? 288 : 257;
    x->w.reuse_floor = 32;                      /* the partition starts on a 32-block boundary */
    x->w.rewrites = 256;                        /* random-write: the anchor at 256 points at the new VDS */
    x->w.spread = x->metadata;
    return &x->w;
}

static void udf_free(fsi_writer *w)
{
    fsi_udf *x = (fsi_udf *)w;
    free(x->u);
    fsi_pool_free(&x->pool);
    free(x->sd);
    free(x->ps);
    free(x);
}

const fsi_writer_ops fsi_udf_writer = {
    .name = "UDF",
    .selected = udf_selected,
    .create = udf_create,
    .check = udf_check,
    .reserve = udf_reserve,
    .render = udf_render,
    .streams = udf_streams,
    .rewrite = udf_rewrite,
    .slack = udf_slack,
    .item_bound = udf_item_bound,
    .stream_bound = udf_stream_bound,
    .free = udf_free,
};
