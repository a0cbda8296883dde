/*
 * Media (an earlier session or an image file, read in 2048-byte blocks) and the sources of imported
 * files, which read a file's extents from its medium (or hold the few bytes a UDF ICB embeds).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

struct fsi_medium {
    int32_t refs;                   /* atomic */
    fsi_read_blocks_fn read;
    void *ctx;
    void (*release)(void *ctx);
    uint64_t blocks;
};

fsi_medium *fsi_medium_new(fsi_read_blocks_fn read, void *ctx, void (*release)(void *ctx), uint64_t total_blocks)
{
    fsi_medium *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->refs = 1;
    m->read = read;
    m->ctx = ctx;
    m->release = release;
    m->blocks = total_blocks;
    return m;
}

void fsi_medium_ref(fsi_medium *m)
{
    if (m)
        __atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
}

void fsi_medium_unref(fsi_medium *m)
{
    if (m && __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        if (m->release)
            m->release(m->ctx);
        free(m);
    }
}

uint64_t fsi_medium_blocks(const fsi_medium *m) { return m ? m->blocks : 0; }

fsi_status fsi_medium_read(fsi_medium *m, uint64_t lba, uint32_t count, void *buf)
{
    if (!m || lba > m->blocks || count > m->blocks - lba)
        return FSI_E_MEDIUM_READ;
    if (count && m->read(m->ctx, lba, count, buf))
        return FSI_E_MEDIUM_READ;
    return FSI_OK;
}

/* ---- medium sources -------------------------------------------------------------------------- */

typedef struct medium_source {
    fsi_source base;
    fsi_medium *m;
    size_t n;                       /* extents; 0: embedded data */
    uint64_t size;                  /* bytes in all */
    uint8_t *embedded;
    fsi_disc_extent ext[];
} medium_source;

#define CHUNK_BLOCKS 256u           /* 512 KiB reads */

typedef struct medium_handle {
    uint8_t *buf;                   /* CHUNK_BLOCKS blocks: for unaligned reads */
    uint64_t buf_lba;               /* FSI_HOLE: nothing buffered */
    uint32_t buf_count;
} medium_handle;

static fsi_status ms_open(fsi_source *src, void **handle)
{
    (void)src;
    medium_handle *h = calloc(1, sizeof *h);
    if (!h)
        return FSI_E_NOMEM;
    h->buf_lba = FSI_HOLE;
    *handle = h;
    return FSI_OK;
}

/* Bytes [off, off + len) of the extent starting at block lba, which holds at least off + len bytes. */
static fsi_status read_extent(medium_source *s, medium_handle *h, uint64_t lba, uint64_t off, uint8_t *out, size_t len)
{
    while (len) {
        uint64_t blk = lba + off / FSI_BLOCK_SIZE;
        size_t in = (size_t)(off % FSI_BLOCK_SIZE);
        if (!in && len >= FSI_BLOCK_SIZE) {             /* whole blocks straight into out */
            uint64_t nb = len / FSI_BLOCK_SIZE;
            if (nb > UINT32_MAX / 2)
                nb = UINT32_MAX / 2;
            fsi_status st = fsi_medium_read(s->m, blk, (uint32_t)nb, out);
            if (st)
                return st;
            size_t got = (size_t)nb * FSI_BLOCK_SIZE;
            out += got;
            off += got;
            len -= got;
            continue;
        }
        if (h->buf_lba == FSI_HOLE || blk < h->buf_lba || blk >= h->buf_lba + h->buf_count) {
            if (!h->buf && !(h->buf = malloc(CHUNK_BLOCKS * FSI_BLOCK_SIZE)))
                return FSI_E_NOMEM;
            uint32_t cnt = 1;
            uint64_t left = fsi_medium_blocks(s->m) > blk ? fsi_medium_blocks(s->m) - blk : 0;
            uint64_t need = (in + len + FSI_BLOCK_SIZE - 1) / FSI_BLOCK_SIZE;
            if (need > cnt)
                cnt = need > CHUNK_BLOCKS ? CHUNK_BLOCKS : (uint32_t)need;
            if (cnt > left && left)
                cnt = (uint32_t)left;
            h->buf_lba = FSI_HOLE;
            fsi_status st = fsi_medium_read(s->m, blk, cnt, h->buf);
            if (st)
                return st;
            h->buf_lba = blk;
            h->buf_count = cnt;
        }
        size_t avail = (size_t)((h->buf_lba + h->buf_count - blk) * FSI_BLOCK_SIZE - in);
        size_t n = len < avail ? len : avail;
        memcpy(out, h->buf + (blk - h->buf_lba) * FSI_BLOCK_SIZE + in, n);
        out += n;
        off += n;
        len -= n;
    }
    return FSI_OK;
}

static fsi_status ms_read(fsi_source *src, void *handle, uint64_t off, void *buf, size_t len, size_t *got)
{
    medium_source *s = (medium_source *)src;
    uint8_t *out = buf;
    *got = 0;
    if (off >= s->size)
        return FSI_OK;
    if (len > s->size - off)
        len = (size_t)(s->size - off);
    if (!s->n) {
        memcpy(out, s->embedded + off, len);
        *got = len;
        return FSI_OK;
    }
    uint64_t pos = 0;                                   /* file offset of extent i */
    for (size_t i = 0; i < s->n && len; i++) {
        const fsi_disc_extent *e = &s->ext[i];
        if (off >= pos + e->len) {
            pos += e->len;
            continue;
        }
        uint64_t in = off - pos;
        size_t n = (size_t)(e->len - in < len ? e->len - in : len);
        if (e->lba == FSI_HOLE)
            memset(out, 0, n);
        else {
            fsi_status st = read_extent(s, handle, e->lba, in, out, n);
            if (st)
                return st == FSI_E_MEDIUM_READ ? FSI_E_READ : st;
        }
        out += n;
        off += n;
        len -= n;
        *got += n;
        pos += e->len;
    }
    return FSI_OK;
}

static void ms_close(fsi_source *src, void *handle)
{
    (void)src;
    medium_handle *h = handle;
    if (h) {
        free(h->buf);
        free(h);
    }
}

static void ms_destroy(fsi_source *src)
{
    medium_source *s = (medium_source *)src;
    fsi_medium_unref(s->m);
    free(s->embedded);
    free(s);
}

static const fsi_source_ops medium_ops = { ms_open, ms_read, ms_close, ms_destroy };

fsi_source *fsi_source_new_medium(fsi_medium *m, const fsi_disc_extent *ext, size_t n, const void *embedded,
                                  size_t size)
{
    if (!m || n > SIZE_MAX / sizeof *ext / 2)
        return NULL;
    medium_source *s = calloc(1, sizeof *s + n * sizeof *ext);
    if (!s)
        return NULL;
    s->base.ops = &medium_ops;
    s->base.refs = 1;
    s->n = n;
    if (n) {
        memcpy(s->ext, ext, n * sizeof *ext);
        for (size_t i = 0; i < n; i++)
            s->size += ext[i].len;
    } else {
        s->size = size;
        if (size && !(s->embedded = malloc(size))) {
            free(s);
            return NULL;
        }
        if (size)
            memcpy(s->embedded, embedded, size);
    }
    s->m = m;
    fsi_medium_ref(m);
    return &s->base;
}

const fsi_disc_extent *fsi_source_disc_extents(const fsi_source *src, size_t *n)
{
    *n = 0;
    if (!src || src->ops != &medium_ops)
        return NULL;
    const medium_source *s = (const medium_source *)src;
    *n = s->n;
    return s->n ? s->ext : NULL;
}
