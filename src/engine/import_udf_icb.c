/*
 * UDF import: failures, bounded reads, the mapping of a partition's logical blocks to the medium
 * (physical and metadata partitions), ICBs ((E)FEs, strategies 4 and 4096) and their allocation
 * descriptors, continued in allocation extent descriptors, made into extents. See the top of
 * import_udf.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "import_udf.h"

#ifdef FSI_IMPORT_DEBUG
#include <stdio.h>
#endif

/* ---- failures -------------------------------------------------------------------------------- */

fsi_status fsi_udfr_corrupt(udf *u, const char *why) { return fsi_imp_corrupt(u->ic, why); }

fsi_status fsi_udfr_feature(udf *u, const char *why)
{
    (void)why;
#ifdef FSI_IMPORT_DEBUG
    fprintf(stderr, "import: not supported: %s\n", why);
#endif
    fsi_err_set(u->ic->err, FSI_E_FS_FEATURE, u->ic->fs, NULL);
    return FSI_E_FS_FEATURE;
}

/* Keep the first failure of several alternatives, and clear the error for the next one. */
void fsi_udfr_keep_failure(udf *u, fsi_status st)
{
    if (!u->first) {
        u->first = st;
        if (u->ic->err)
            u->saved = *u->ic->err;
    }
    fsi_err_clear(u->ic->err);
}

fsi_status fsi_udfr_first_failure(udf *u)
{
    fsi_status st = u->first;
    if (u->ic->err)
        *u->ic->err = u->saved;
    u->first = FSI_OK;
    return st;
}


/* Read count blocks of metadata at absolute lba, within the budget. */
fsi_status fsi_udfr_read(udf *u, uint64_t lba, uint32_t count, void *buf)
{
    if (u->budget < count)
        return fsi_udfr_corrupt(u, "too many metadata blocks read");
    u->budget -= count;
    return fsi_imp_read(u->ic, lba, count, buf);
}

/* ---- partitions ------------------------------------------------------------------------------ */

/* Absolute block of logical block lb of partition part, and how many blocks from there (at most
 * want, at least 1) are contiguous on the medium. NULL, or why not. */
const char *fsi_udfr_map(const udf *u, unsigned part, uint64_t lb, uint64_t want, uint64_t *abs, uint64_t *run)
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
    const char *why = fsi_udfr_map(u, part, lb, want, abs, run);
    return why ? fsi_udfr_corrupt(u, why) : FSI_OK;
}

fsi_status fsi_udfr_read_lb(udf *u, unsigned part, uint32_t lb, uint8_t *buf)
{
    uint64_t abs, run;
    fsi_status st = map_run(u, part, lb, 1, &abs, &run);
    return st ? st : fsi_udfr_read(u, abs, 1, buf);
}

/* ---- extents --------------------------------------------------------------------------------- */

static fsi_status push(udf *u, uint64_t lba, uint64_t len, uint32_t lb)
{
    if (!u->ext_budget)
        return fsi_udfr_corrupt(u, "too many extents");
    u->ext_budget--;
    if (!FSI_GROW(u->ext, u->ecap, u->next + 1) || !FSI_GROW(u->elb, u->lcap, u->next + 1))
        return FSI_E_NOMEM;
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
            return fsi_udfr_corrupt(u, "extent past the end of the medium");
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
                return fsi_udfr_corrupt(u, "extent before the last not whole blocks");
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
            return fsi_udfr_corrupt(u, "allocation extent descriptor loop");
        fsi_status st = fsi_udfr_read_lb(u, cpart, clb, u->aed);
        if (st)
            return st;
        if (!fsi_udf_tag_ok(u->aed, BS, TAG_AED, clb))
            return fsi_udfr_corrupt(u, "bad allocation extent descriptor");
        uint32_t n = fsi_le32(u->aed + 20);
        if (clen < 24 || n > BS - 24 || n > clen - 24)
            return fsi_udfr_corrupt(u, "bad allocation extent descriptor length");
        area = u->aed + 24;
        lad = n;
        part = cpart;
    }
end:
    if (got < ci->info_len)
        return fsi_udfr_corrupt(u, "extents shorter than the information length");
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
fsi_status fsi_udfr_read_icb(udf *u, unsigned part, uint32_t lb, icbi *ci)
{
    memset(ci, 0, sizeof *ci);
    ci->e0 = u->next;
    ci->part = part;
    const uint8_t *fe = u->fe;
    uint16_t id;
    for (unsigned hop = 0;; hop++) {
        fsi_status st = fsi_udfr_read_lb(u, part, lb, u->fe);
        if (st)
            return st;
        id = fsi_le16(fe);
        if ((id != TAG_FE && id != TAG_EFE) || !fsi_udf_tag_ok(fe, BS, id, lb))
            return fsi_udfr_corrupt(u, "bad file entry");
        uint16_t strategy = fsi_le16(fe + 20);
        if (strategy == 4)
            break;
        if (strategy != 4096)
            return fsi_udfr_corrupt(u, "bad ICB strategy");
        /* strategy 4096 (ECMA-167 4/A.6, UDF 2.3.5.1): the entry after this direct entry, when
         * recorded, is an indirect entry (4/14.7) to the next ICB, which has the newer direct
         * entry; the last one prevails */
        uint64_t abs, run;
        if (hop >= MAX_ICB_HOPS)
            return fsi_udfr_corrupt(u, "too many indirect entries");
        if (lb == UINT32_MAX || fsi_udfr_map(u, part, (uint64_t)lb + 1, 1, &abs, &run) || !u->budget)
            break;
        u->budget--;
        if (fsi_medium_read(u->ic->m, abs, 1, u->aed) || !fsi_udf_tag_ok(u->aed, BS, TAG_IE, lb + 1))
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
        return fsi_udfr_corrupt(u, "information length too large");
    if (efe) {
        ci->t.modification = fsi_udf_timestamp_read(fe + 92);
        ci->t.creation = fsi_udf_timestamp_read(fe + 104);
        uint32_t slen = fsi_le32(fe + 152) & 0x3FFFFFFFu;
        if (slen) {
            ci->sdir = 1;
            ci->sdir_lb = fsi_le32(fe + 156);
            ci->sdir_part = fsi_le16(fe + 160);
        }
    } else {
        ci->t.modification = ci->t.creation = fsi_udf_timestamp_read(fe + 84);
    }
    ci->t.access = ci->t.modification;
    size_t hdr = efe ? 216 : 176;
    uint32_t lea = fsi_le32(fe + hdr - 8), lad = fsi_le32(fe + hdr - 4);
    if (lea > BS - hdr || lad > BS - hdr - lea)
        return fsi_udfr_corrupt(u, "extended attributes or descriptors past the file entry");
    ci->area = (uint32_t)(hdr + lea);
    ci->lad = lad;
    return FSI_OK;
}

/* The data of the ICB read_icb just read (still in u->fe): the extents pushed (ci->e0, ci->ne) or
 * the embedded bytes. */
fsi_status fsi_udfr_icb_data(udf *u, icbi *ci)
{
    const uint8_t *area = u->fe + ci->area;
    switch (ci->flags & 7) {
    case 0:
    case 1:
        return read_ads(u, ci, ci->part, area, ci->lad, ci->flags & 1);
    case 2:
        return fsi_udfr_feature(u, "extended allocation descriptors");
    case 3:
        if (ci->info_len > ci->lad)
            return fsi_udfr_corrupt(u, "embedded data longer than the descriptors");
        ci->embedded = 1;
        ci->emb = area;
        return FSI_OK;
    default:
        return fsi_udfr_corrupt(u, "bad allocation descriptor type");
    }
}

