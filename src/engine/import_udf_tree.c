/*
 * UDF import: the tree, breadth first from the File Set Descriptor's root ICB, without recursion:
 * directories read in chunks through a small window (a FID may straddle blocks), named streams,
 * nodes made through import_ctx.c. See the top of import_udf.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "import_udf.h"

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
            return fsi_udfr_corrupt(u, "directory data shorter than its length");
        e = &u->ext[it->e0 + it->xi];
        nb = (e->len + BS - 1) / BS;
        if (b - it->xblk < nb)
            break;
        it->xblk += nb;
        it->xi++;
    }
    if (e->lba == FSI_HOLE)
        return fsi_udfr_corrupt(u, "directory data not recorded");
    uint64_t in = b - it->xblk, n = nb - in < CHUNK ? nb - in : CHUNK;
    it->cn = 0;
    fsi_status st = fsi_udfr_read(u, e->lba + in, (uint32_t)n, it->buf);
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
        return fsi_udfr_corrupt(u, "directory data ends inside a file identifier descriptor");
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
    if (fsi_le16(h) != TAG_FID || fsi_udf_tag_checksum(h) != h[4])
        return fsi_udfr_corrupt(u, "bad file identifier descriptor");
    size_t lfi = h[19], liu = fsi_le16(h + 36);
    size_t len = (FID_HDR + liu + lfi + 3) & ~(size_t)3;
    if (len > BS || len > rem)
        return fsi_udfr_corrupt(u, "file identifier descriptor too long");
    if ((st = fit_copy(it, it->pos + FID_HDR, len - FID_HDR, h + FID_HDR)))
        return st;
    if (!fsi_udf_tag_ok(h, len, TAG_FID, loc))
        return fsi_udfr_corrupt(u, "bad file identifier descriptor tag");
    it->chars = h[18];
    it->icb_lb = fsi_le32(h + 24);
    it->icb_part = fsi_le16(h + 28);
    it->name = h + FID_HDR + liu;
    it->name_len = lfi;
    it->pos += len;
    *more = 1;
    return FSI_OK;
}

/* The next FID that names an item: deleted FIDs and the parent FID are passed over. */
static fsi_status fit_next_item(fiter *it, int *more)
{
    fsi_status st;
    while (!(st = fit_next(it, more)) && *more && (it->chars & 0x0C))
        ;
    return st;
}

/* The FID's name as UTF-16 (at most 254 units); characters the tree refuses in a name (NUL, '/',
 * '\') become '_'. */
static fsi_status fid_name(udf *u, const fiter *it, uint16_t *nm, size_t *n)
{
    *n = fsi_udf_cs0_decode(it->name, it->name_len, nm);
    if (*n == (size_t)-1)
        return fsi_udfr_corrupt(u, "bad file identifier");
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
    return r < 0 ? FSI_E_NOMEM : r ? fsi_udfr_corrupt(u, "directory loop") : FSI_OK;
}

static fsi_status enqueue(udf *u, fsi_node *dir, unsigned part, uint32_t lb, uint32_t depth)
{
    if (!FSI_GROW(u->q, u->qcap, u->qlen + 1))
        return FSI_E_NOMEM;
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

/* The FIDs of the ICB at lb of partition part, which must be of the type (4: a directory, 13: a
 * stream directory): an iterator over them, or NULL and *st. */
static fiter *open_fids(udf *u, unsigned part, uint32_t lb, uint8_t type, icbi *ci, fsi_status *st)
{
    fiter *it = NULL;
    if ((*st = fsi_udfr_read_icb(u, part, lb, ci)))
        return NULL;
    if (ci->type != type)
        *st = fsi_udfr_corrupt(u, type == 4 ? "directory ICB is not a directory"
                                            : "stream directory ICB is not a stream directory");
    else if (!(*st = fsi_udfr_icb_data(u, ci)) && !(it = fit_new(u, ci, lb))) {
        u->next = ci->e0;
        *st = FSI_E_NOMEM;
    }
    return it;
}

/* The named streams of file n: the FIDs of the stream directory at lb of partition part. */
static fsi_status read_streams(udf *u, fsi_node *n, unsigned part, uint32_t lb)
{
    fsi_import_ctx *ic = u->ic;
    icbi sd;
    fsi_status st;
    fiter *it = open_fids(u, part, lb, 13, &sd, &st);
    if (!it)
        return st;
    size_t kept = 0;
    for (;;) {
        int more;
        if ((st = fit_next_item(it, &more)) || !more)
            break;
        if (kept >= FSI_STREAMS_MAX)
            break;
        uint16_t nm[256];
        size_t nl;
        if ((st = fid_name(u, it, nm, &nl)))
            break;
        icbi sc;
        if ((st = fsi_udfr_read_icb(u, it->icb_part, it->icb_lb, &sc)))
            break;
        if (!is_file_type(sc.type))
            continue;
        if ((st = fsi_udfr_icb_data(u, &sc)))
            break;
        if (++ic->items > FSI_IMPORT_MAX_ITEMS) {
            st = fsi_udfr_corrupt(u, "too many items");
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
    fsi_status st;
    fiter *it = open_fids(u, e->part, e->lb, 4, &ci, &st);
    if (!it)
        return st;
    size_t top = u->next;
    for (;;) {
        int more;
        if ((st = fit_next_item(it, &more)) || !more)
            break;
        uint16_t nm[256];
        size_t nl;
        if ((st = fid_name(u, it, nm, &nl)))
            break;
        int hidden = it->chars & 0x01, is_dir = (it->chars & 0x02) != 0;
        unsigned cpart = it->icb_part;
        uint32_t clb = it->icb_lb;
        icbi cc;
        if ((st = fsi_udfr_read_icb(u, cpart, clb, &cc)))
            break;
        if (is_dir != (cc.type == 4)) {
            st = fsi_udfr_corrupt(u, "file identifier and ICB disagree on the file type");
            break;
        }
        if (is_dir) {
            if (e->depth + 1 > FSI_IMPORT_MAX_DEPTH) {
                st = fsi_udfr_corrupt(u, "directories too deep");
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
        if ((st = fsi_udfr_icb_data(u, &cc)))
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
fsi_status fsi_udfr_walk(udf *u)
{
    fsi_import_ctx *ic = u->ic;
    fsi_status st = fsi_udfr_read_lb(u, u->fsd_part, u->fsd_lb, u->fe);
    if (st)
        return st;
    if (!fsi_udf_tag_ok(u->fe, BS, TAG_FSD, u->fsd_lb))
        return fsi_udfr_corrupt(u, "bad file set descriptor");
    uint32_t root_lb = fsi_le32(u->fe + 404);
    unsigned root_part = fsi_le16(u->fe + 408);
    icbi ci;
    if ((st = fsi_udfr_read_icb(u, root_part, root_lb, &ci)))
        return st;
    if (ci.type != 4)
        return fsi_udfr_corrupt(u, "root ICB is not a directory");
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
fsi_status fsi_udfr_reset_walk(udf *u)
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

