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
#include "import_udf.h"

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
                return fsi_udfr_corrupt(u, "volume descriptor sequence too long");
            fsi_status st = fsi_udfr_read(u, loc + i, 1, b);
            if (st)
                return st;
            uint16_t id = fsi_le16(b);
            /* an unrecorded or foreign block ends the sequence like a terminating descriptor */
            if (fsi_udf_tag_checksum(b) != b[4] || id < TAG_PVD || id > TAG_TD || fsi_le32(b + 12) != loc + i || id == TAG_TD)
                goto done;
            if (!fsi_udf_tag_ok(b, BS, id, loc + i))
                return fsi_udfr_corrupt(u, "bad volume descriptor CRC");
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
        return fsi_udfr_corrupt(u, "no logical volume or partition descriptor");
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
        return fsi_udfr_feature(u, "logical block size other than 2048");
    /* volume name: the logical volume identifier (dstring), trailing spaces removed */
    uint16_t nm[128];
    size_t dl = l[84 + 127], n;
    if (dl > 127)
        dl = 127;
    n = fsi_udf_cs0_decode(l + 84, dl, nm);
    if (n == (size_t)-1)
        n = 0;
    while (n && nm[n - 1] == ' ')
        n--;
    memcpy(ic->info->volume_name, nm, n * sizeof *nm);
    ic->info->volume_name_len = n;
    ic->info->udf_revision = fsi_udf_regid_is(l + 216, "*OSTA UDF Compliant") ? fsi_le16(l + 216 + 24) : 0;
    uint32_t mtl = fsi_le32(l + 264), npm = fsi_le32(l + 268);
    if (mtl > BS - 440 || npm == 0)
        return fsi_udfr_corrupt(u, "bad partition map table");
    if (npm > MAX_MAPS)
        return fsi_udfr_feature(u, "too many partition maps");
    size_t off = 440, end = 440 + mtl;
    for (uint32_t i = 0; i < npm; i++) {
        if (end - off < 2 || l[off + 1] < 2 || l[off + 1] > end - off)
            return fsi_udfr_corrupt(u, "partition map past its table");
        const uint8_t *m = l + off;
        upart *p = &u->p[u->np++];
        const upd *pd;
        if (m[0] == 1 && m[1] == 6) {               /* type 1 (3/10.7.2) */
            if (!(pd = find_pd(u, fsi_le16(m + 4))))
                return fsi_udfr_corrupt(u, "partition map without partition descriptor");
            p->kind = P_PHYS;
        } else if (m[0] == 2 && m[1] == 64) {       /* type 2 (3/10.7.3): UDF 2.2.8 - 2.2.10 */
            if (fsi_udf_regid_is(m + 4, "*UDF Sparable Partition"))
                return fsi_udfr_feature(u, "sparable partition");
            if (fsi_udf_regid_is(m + 4, "*UDF Virtual Partition"))
                return fsi_udfr_feature(u, "virtual partition (VAT)");
            if (!fsi_udf_regid_is(m + 4, "*UDF Metadata Partition"))
                return fsi_udfr_feature(u, "unknown partition map");
            if (u->meta >= 0)
                return fsi_udfr_corrupt(u, "two metadata partitions");
            if (!(pd = find_pd(u, fsi_le16(m + 38))))
                return fsi_udfr_corrupt(u, "partition map without partition descriptor");
            p->kind = P_META;
            p->meta_loc = fsi_le32(m + 40);
            p->mirror_loc = fsi_le32(m + 44);
            p->dup = m[58] & 1;
            u->meta = (int)(u->np - 1);
        } else {
            return fsi_udfr_corrupt(u, "bad partition map");
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
        return fsi_udfr_corrupt(u, "file set descriptor in no partition");
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
            if (fsi_medium_read(ic->m, loc + i, 1, b) || !fsi_udf_tag_ok(b, BS, TAG_LVID, loc + i))
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
        fsi_status st = fsi_udfr_read(u, locs[i], 1, u->aed);
        if (st) {
            if (st != FSI_E_MEDIUM_READ)
                return st;
            fsi_udfr_keep_failure(u, st);
            continue;
        }
        const uint8_t *b = u->aed;
        if (!fsi_udf_tag_ok(b, BS, TAG_AVDP, locs[i])) {
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
            return fsi_udfr_corrupt(u, "damaged anchor volume descriptor pointer");
        }
        if (u->first)
            return fsi_udfr_first_failure(u);
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
            if (!fsi_udfr_recoverable(st))
                return st;
            fsi_udfr_keep_failure(u, st);
        }
    }
    return fsi_udfr_first_failure(u);
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
    fsi_status st = fsi_udfr_read_icb(u, p->phys, mirror ? p->mirror_loc : p->meta_loc, &ci);
    if (st)
        return st;
    if (ci.type != 250 && ci.type != 251)
        return fsi_udfr_corrupt(u, "bad metadata file");
    if ((st = fsi_udfr_icb_data(u, &ci)))
        return st;
    if (ci.embedded || !ci.ne)
        return fsi_udfr_corrupt(u, "metadata file without extents");
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
        return fsi_udfr_walk(u);
    if ((st = load_meta(u, 0))) {
        if (!fsi_udfr_recoverable(st))
            return st;
        fsi_udfr_keep_failure(u, st);
        if ((st = load_meta(u, 1)))
            return st == FSI_E_NOMEM ? st : fsi_udfr_first_failure(u);
        u->first = FSI_OK;
        return fsi_udfr_walk(u);
    }
    upart *p = &u->p[u->meta];
    fsi_disc_extent *main_x = p->mx;
    size_t main_n = p->nmx;
    uint64_t *main_c = p->mcum, main_b = p->mblocks;
    st = fsi_udfr_walk(u);
    if (!fsi_udfr_recoverable(st))
        return st;
    /* the walk met a damaged or unreadable block: again through the mirror, if it has its own
     * copy of the metadata */
    fsi_udfr_keep_failure(u, st);
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
        return fsi_udfr_first_failure(u);
    }
    free(main_x);
    free(main_c);
    if ((st = fsi_udfr_reset_walk(u)))
        return st;
    fsi_err_clear(u->ic->err);
    if ((st = fsi_udfr_walk(u)) && fsi_udfr_recoverable(st))
        return fsi_udfr_first_failure(u);
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

