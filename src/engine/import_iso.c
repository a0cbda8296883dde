/*
 * ISO 9660 and Joliet import (ECMA-119 8.4, 9.1, 9.4; Joliet specification): the tree of the
 * primary or the Joliet supplementary volume descriptor of a session.
 *
 * The directory hierarchy is read from the root directory record down, breadth first, without
 * recursion. The path table is only cross-checked: every directory it lists must be one the walk
 * found and the counts must agree, otherwise the volume is inconsistent. Nothing read is trusted:
 * every extent is checked against the medium, a directory met twice (a loop) or nested deeper than
 * FSI_IMPORT_MAX_DEPTH is an error, and record lengths are checked against their block.
 *
 * Names: ISO 9660 identifiers lose their ";version" and a trailing '.'; d-characters and anything
 * else are taken as Latin-1. Joliet identifiers are UCS-2 big-endian (surrogate pairs pass through
 * as UTF-16). '/' and '\' (which no item name may hold) become '_'. Associated files are skipped;
 * interleaved files (file unit size or gap) are FSI_E_FS_FEATURE. A multi-extent file (9.1.6 bit 7)
 * is one file with several extents. Extended attribute records are skipped (the data follows them).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

#define VD_SCAN 64u                     /* volume descriptors looked at after block 16 */
#define DIR_CHUNK 32u                   /* blocks of a directory read at a time */
#define MAX_DIR_BYTES (UINT32_C(1) << 30)

typedef struct qdir {                   /* a directory waiting to be read */
    fsi_node *node;
    uint32_t lba, size, depth;
} qdir;

typedef struct reader {
    fsi_import_ctx *ic;
    int joliet;
    fsi_blockset seen;                 /* directory extents met */
    qdir *q;
    size_t qhead, qlen, qcap;
    uint8_t *buf;                       /* DIR_CHUNK blocks */
    /* the file being assembled from multi-extent records */
    fsi_disc_extent *ext;
    size_t next, extcap;
    uint16_t name[FSI_NAME_MAX + 2];
    size_t name_len;
    int pending;
} reader;

static fsi_time rec_time(const uint8_t *d)
{
    /* 9.1.5: years since 1900, month, day, hour, minute, second, offset in 15-minute units */
    return fsi_time_from_civil(1900 + d[0], d[1], d[2], d[3], d[4], d[5], 0, (int8_t)d[6] * 15);
}

/* Decode a file identifier into r->name; 0 if it cannot name an item. */
static int decode_name(reader *r, const uint8_t *id, size_t len, int is_dir)
{
    size_t n = 0;
    if (r->joliet) {
        for (size_t i = 0; i + 1 < len && n < FSI_NAME_MAX + 1; i += 2)
            r->name[n++] = fsi_be16(id + i);
    } else {
        for (size_t i = 0; i < len && n < FSI_NAME_MAX + 1; i++)
            r->name[n++] = id[i];
    }
    if (!is_dir) {
        for (size_t i = n; i-- > 0;)              /* ";version" */
            if (r->name[i] == ';') {
                n = i;
                break;
            }
        if (n > 1 && r->name[n - 1] == '.')      /* "NAME." has no extension */
            n--;
    }
    while (n && r->name[n - 1] == 0)             /* NUL padding some writers leave */
        n--;
    if (n > FSI_NAME_MAX)
        n = FSI_NAME_MAX;
    for (size_t i = 0; i < n; i++)
        if (r->name[i] == '/' || r->name[i] == '\\' || r->name[i] == 0)
            r->name[i] = '_';
    r->name_len = n;
    return n != 0 && !(n == 1 && r->name[0] == '.') && !(n == 2 && r->name[0] == '.' && r->name[1] == '.');
}

static fsi_status push_dir(reader *r, fsi_node *node, uint32_t lba, uint32_t size, uint32_t depth)
{
    fsi_import_ctx *ic = r->ic;
    if (depth > FSI_IMPORT_MAX_DEPTH)
        return fsi_imp_corrupt(ic, "too deep");
    if (size > MAX_DIR_BYTES || (uint64_t)lba + (size + FSI_BLOCK_SIZE - 1) / FSI_BLOCK_SIZE > ic->blocks || !size)
        return fsi_imp_corrupt(ic, "directory extent outside the medium");
    int a = fsi_blockset_add(&r->seen, 0, lba);
    if (a < 0)
        return FSI_E_NOMEM;
    if (a)
        return fsi_imp_corrupt(ic, "directory loop");
    if (!FSI_GROW(r->q, r->qcap, r->qlen + 1))
        return FSI_E_NOMEM;
    r->q[r->qlen++] = (qdir){ node, lba, size, depth };
    return FSI_OK;
}

static fsi_status add_extent(reader *r, uint64_t lba, uint64_t len)
{
    if (!FSI_GROW(r->ext, r->extcap, r->next + 1))
        return FSI_E_NOMEM;
    r->ext[r->next++] = (fsi_disc_extent){ lba, len };
    return FSI_OK;
}

static fsi_status finish_file(reader *r, fsi_node *dir, const fsi_times *t, int hidden)
{
    fsi_import_ctx *ic = r->ic;
    uint64_t size = 0;
    size_t n = 0;
    for (size_t i = 0; i < r->next; i++) {
        if (size + r->ext[i].len < size)
            return fsi_imp_corrupt(ic, "file size overflows");
        size += r->ext[i].len;
        if (r->ext[i].len)
            r->ext[n++] = r->ext[i];                    /* empty sections hold nothing */
    }
    r->next = 0;
    r->pending = 0;
    fsi_source *src = NULL;
    if (size && !(src = fsi_source_new_medium(ic->m, r->ext, n, NULL, 0)))
        return FSI_E_NOMEM;
    fsi_node *f;
    fsi_status st = fsi_imp_add_file(ic, dir, r->name, r->name_len, size, src, t, hidden, &f);
    fsi_source_unref(src);
    return st;
}

/* One directory record (at most blk_left bytes of its block); *used = its length, 0 = end of block. */
static fsi_status one_record(reader *r, const qdir *d, const uint8_t *p, size_t blk_left, size_t *used, int first_two)
{
    fsi_import_ctx *ic = r->ic;
    size_t len = p[0];
    *used = len;
    if (!len)
        return FSI_OK;
    if (len < FSI_DIRREC_FIXED + 1 || len > blk_left || (size_t)FSI_DIRREC_FIXED + p[32] > len)
        return fsi_imp_corrupt(ic, "directory record length");
    size_t len_fi = p[32];
    uint8_t flags = p[25];
    if (first_two)                                      /* "." and ".." */
        return FSI_OK;
    if (flags & 0x04)                                   /* associated file */
        return FSI_OK;
    if (p[26] || p[27])
        return fsi_err_set(ic->err, FSI_E_FS_FEATURE, ic->fs, NULL), FSI_E_FS_FEATURE;
    uint32_t lba = fsi_le32(p + 2), size = fsi_le32(p + 10);
    uint64_t data = (uint64_t)lba + p[1];               /* after the extended attribute record */
    int is_dir = (flags & 0x02) != 0;
    fsi_times t;
    t.creation = t.access = t.modification = rec_time(p + 18);
    int hidden = flags & 0x01;
    if (is_dir) {
        if (r->pending)
            return fsi_imp_corrupt(ic, "multi-extent file ends in a directory");
        if (!decode_name(r, p + 33, len_fi, 1))
            return fsi_imp_corrupt(ic, "directory name");
        fsi_node *sub;
        fsi_status st = fsi_imp_add_dir(ic, d->node, r->name, r->name_len, &t, hidden, &sub);
        if (st || !sub)
            return st;
        return push_dir(r, sub, (uint32_t)lba, size, d->depth + 1);
    }
    if (size && (data >= ic->blocks || (size + FSI_BLOCK_SIZE - 1) / FSI_BLOCK_SIZE > ic->blocks - data))
        return fsi_imp_corrupt(ic, "file extent outside the medium");
    uint16_t save[FSI_NAME_MAX + 2];
    size_t save_len = r->name_len;
    memcpy(save, r->name, sizeof save);
    if (!decode_name(r, p + 33, len_fi, 0))
        return fsi_imp_corrupt(ic, "file name");
    if (r->pending &&
        (save_len != r->name_len || memcmp(save, r->name, save_len * sizeof(uint16_t))))
        return fsi_imp_corrupt(ic, "multi-extent file ends early");
    if (r->pending && r->ext[r->next - 1].len % FSI_BLOCK_SIZE)
        return fsi_imp_corrupt(ic, "multi-extent section is not whole blocks");
    fsi_status st = add_extent(r, data, size);
    if (st)
        return st;
    r->pending = 1;
    if (flags & 0x80)                                   /* not the final extent */
        return r->next > 65536 ? fsi_imp_corrupt(ic, "too many sections") : FSI_OK;
    return finish_file(r, d->node, &t, hidden);
}

static fsi_status read_dir(reader *r, const qdir *d)
{
    fsi_import_ctx *ic = r->ic;
    fsi_imp_dir_progress(ic, d->node);
    uint32_t blocks = (d->size + FSI_BLOCK_SIZE - 1) / FSI_BLOCK_SIZE;
    uint32_t rec_no = 0;
    r->pending = 0;
    r->next = 0;
    for (uint32_t b0 = 0; b0 < blocks; b0 += DIR_CHUNK) {
        uint32_t nb = blocks - b0 < DIR_CHUNK ? blocks - b0 : DIR_CHUNK;
        fsi_status st = fsi_imp_read(ic, (uint64_t)d->lba + b0, nb, r->buf);
        if (st)
            return st;
        for (uint32_t k = 0; k < nb; k++) {
            const uint8_t *blk = r->buf + (size_t)k * FSI_BLOCK_SIZE;
            uint64_t base = (uint64_t)(b0 + k) * FSI_BLOCK_SIZE;
            size_t limit = d->size - base < FSI_BLOCK_SIZE ? (size_t)(d->size - base) : FSI_BLOCK_SIZE;
            for (size_t off = 0; off < limit;) {
                size_t used;
                st = one_record(r, d, blk + off, limit - off, &used, rec_no < 2);
                if (st)
                    return st;
                if (!used)
                    break;
                rec_no++;
                off += used;
            }
        }
    }
    if (r->pending)
        return fsi_imp_corrupt(ic, "multi-extent file without its final extent");
    if (rec_no < 2)
        return fsi_imp_corrupt(ic, "directory without . and ..");
    return FSI_OK;
}

/* The path table (9.4): its directories' extents, to check after the walk that it lists exactly
 * the directories found; its record count is the progress total. */
static fsi_status read_path_table(reader *r, const uint8_t *vd, uint32_t **lbas, size_t *count)
{
    fsi_import_ctx *ic = r->ic;
    uint32_t size = fsi_le32(vd + 132), lba = fsi_le32(vd + 140);
    *lbas = NULL;
    *count = 0;
    if (!size)
        return fsi_imp_corrupt(ic, "empty path table");
    if (size > (UINT32_C(64) << 20) || lba >= ic->blocks || (size + FSI_BLOCK_SIZE - 1) / FSI_BLOCK_SIZE > ic->blocks - lba)
        return fsi_imp_corrupt(ic, "path table outside the medium");
    uint32_t nb = (size + FSI_BLOCK_SIZE - 1) / FSI_BLOCK_SIZE;
    uint8_t *pt = malloc((size_t)nb * FSI_BLOCK_SIZE);
    uint32_t *out = malloc((size / 10 + 1) * sizeof *out);     /* a record is 10 bytes at least */
    fsi_status st = pt && out ? fsi_imp_read(ic, lba, nb, pt) : FSI_E_NOMEM;
    size_t n = 0;
    for (size_t off = 0; !st && off < size;) {
        if (off + 8 > size || !pt[off] || off + 8 + pt[off] > size) {
            st = fsi_imp_corrupt(ic, "path table record");
            break;
        }
        uint16_t parent = fsi_le16(pt + off + 6);
        out[n++] = fsi_le32(pt + off + 2);
        if (!parent || parent > n)
            st = fsi_imp_corrupt(ic, "path table parent number");
        off += 8 + pt[off] + (pt[off] & 1);
    }
    free(pt);
    if (st) {
        free(out);
        return st;
    }
    *lbas = out;
    *count = n;
    return FSI_OK;
}

static int is_joliet_svd(const uint8_t *b)
{
    return b[0] == 2 && b[88] == '%' && b[89] == '/' && (b[90] == '@' || b[90] == 'C' || b[90] == 'E');
}

fsi_status fsi_import_iso(fsi_import_ctx *ic)
{
    uint8_t vd[FSI_BLOCK_SIZE];
    int found = 0;
    int joliet = ic->fs == FSI_FS_JOLIET;
    fsi_status st;
    for (uint64_t lba = ic->session_start + 16; lba < ic->session_start + 16 + VD_SCAN && lba < ic->blocks; lba++) {
        if ((st = fsi_imp_read(ic, lba, 1, vd)))
            return st;
        if (memcmp(vd + 1, "CD001", 5))
            break;
        if (vd[0] == 255)
            break;
        if ((joliet && is_joliet_svd(vd)) || (!joliet && vd[0] == 1)) {
            found = 1;
            break;
        }
    }
    if (!found) {
        fsi_err_set(ic->err, FSI_E_FS_NOT_FOUND, ic->fs, NULL);
        return FSI_E_FS_NOT_FOUND;
    }
    if (fsi_le16(vd + 128) != FSI_BLOCK_SIZE) {
        fsi_err_set(ic->err, FSI_E_FS_FEATURE, ic->fs, NULL);
        return FSI_E_FS_FEATURE;
    }
    /* volume identifier (8.4.6 / Joliet: UCS-2 BE), trailing spaces dropped */
    fsi_import_info *info = ic->info;
    size_t n = 0;
    for (size_t i = 0; joliet ? i + 1 < 32 : i < 32; i += joliet ? 2 : 1)
        info->volume_name[n++] = joliet ? fsi_be16(vd + 40 + i) : vd[40 + i];
    while (n && (info->volume_name[n - 1] == ' ' || info->volume_name[n - 1] == 0))
        n--;
    info->volume_name_len = n;
    info->volume_blocks = fsi_le32(vd + 80);
    if (info->volume_blocks > ic->blocks)
        return fsi_imp_corrupt(ic, "volume space size exceeds the medium");

    const uint8_t *root = vd + 156;
    if (root[0] < 34 || !(root[25] & 0x02))
        return fsi_imp_corrupt(ic, "root directory record");
    reader r = { 0 };
    r.ic = ic;
    r.joliet = joliet;
    r.buf = malloc((size_t)DIR_CHUNK * FSI_BLOCK_SIZE);
    if (!r.buf)
        return FSI_E_NOMEM;
    fsi_node *rootn = fsi_image_root(ic->img);
    fsi_times t;
    t.creation = t.access = t.modification = rec_time(root + 18);
    fsi_node_set_times(rootn, &t);
    uint32_t *pt = NULL;
    size_t npt = 0;
    st = read_path_table(&r, vd, &pt, &npt);
    ic->dirs_total = npt ? (int64_t)npt - 1 : -1;       /* the root is not counted */
    if (!st)
        st = push_dir(&r, rootn, fsi_le32(root + 2), fsi_le32(root + 10), 1);
    while (!st && r.qhead < r.qlen) {
        qdir d = r.q[r.qhead++];
        st = read_dir(&r, &d);
    }
    if (!st && npt != r.seen.n)
        st = fsi_imp_corrupt(ic, "the path table disagrees with the directories");
    for (size_t i = 0; !st && i < npt; i++)
        if (!fsi_blockset_has(&r.seen, 0, pt[i]))
            st = fsi_imp_corrupt(ic, "the path table disagrees with the directories");
    free(pt);
    free(r.buf);
    free(r.q);
    free(r.ext);
    fsi_blockset_free(&r.seen);
    return st;
}
