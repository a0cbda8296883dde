/*
 * Sector stream: image bytes at any offset from a plan. Metadata comes from the rendered blocks,
 * file data straight from the sources (into the caller's buffer), gaps and file tails are zero.
 * A caller that reads a file in pieces smaller than READ_AHEAD (a client reading the stream a
 * block at a time) is served from one READ_AHEAD read of the open file, never past its recorded
 * size; larger pieces, and a piece that reaches the file's end, go to the source directly.
 * Rendered blocks are found through the plan's segments (the UDF metadata mirror shares the
 * metadata file's blocks; it, the UDF 2.50+ reserve VDS and the last UDF anchor follow the file
 * data).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

#define PROGRESS_STEP 512u
#define READ_AHEAD ((size_t)64 << 10)      /* bytes: one source read for small pieces */

struct fsi_cursor {
    fsi_plan *plan;
    size_t open_idx;                /* file whose source is open, or SIZE_MAX */
    void *handle;
    size_t last_idx;                /* last file looked up (sequential reads skip the search) */
    fsi_progress_fn progress;
    void *progress_ctx;
    size_t prog_idx;                /* file the progress state is about, or SIZE_MAX */
    uint32_t prog_last;             /* blocks last reported */
    uint8_t *ra;                    /* READ_AHEAD bytes, allocated on first use */
    uint64_t ra_off;                /* byte offset in the open file of ra[0] */
    size_t ra_len;                  /* bytes of ra that hold the open file's data (0: none) */
};

fsi_cursor *fsi_cursor_new(fsi_plan *p)
{
    if (!p)
        return NULL;
    fsi_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    fsi_plan_ref(p);
    c->plan = p;
    c->open_idx = SIZE_MAX;
    c->prog_idx = SIZE_MAX;
    return c;
}

static void close_source(fsi_cursor *c)
{
    if (c->open_idx == SIZE_MAX)
        return;
    fsi_source *s = c->plan->files[c->open_idx].src;
    s->ops->close(s, c->handle);
    c->open_idx = SIZE_MAX;
    c->handle = NULL;
    c->ra_len = 0;
}

void fsi_cursor_free(fsi_cursor *c)
{
    if (!c)
        return;
    close_source(c);
    fsi_plan_unref(c->plan);
    free(c->ra);
    free(c);
}

void fsi_cursor_set_progress(fsi_cursor *c, fsi_progress_fn fn, void *ctx)
{
    if (!c)
        return;
    c->progress = fn;
    c->progress_ctx = ctx;
}

/* File whose blocks contain relative block blk (blk >= data_start, < total). */
static size_t find_file(fsi_cursor *c, uint64_t blk)
{
    const fsi_plan *p = c->plan;
    size_t i = c->last_idx;
    if (i < p->nfiles && blk >= p->files[i].first_block && blk < (uint64_t)p->files[i].first_block + p->files[i].blocks)
        return i;
    if (i + 1 < p->nfiles && blk >= p->files[i + 1].first_block &&
        blk < (uint64_t)p->files[i + 1].first_block + p->files[i + 1].blocks)
        return c->last_idx = i + 1;
    size_t lo = 0, hi = p->nfiles;          /* last file with first_block <= blk */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->files[mid].first_block <= blk)
            lo = mid;
        else
            hi = mid;
    }
    return c->last_idx = lo;
}

static void report(fsi_cursor *c, size_t idx, uint32_t copied)
{
    const fsi_plan_file *f = &c->plan->files[idx];
    c->prog_idx = idx;
    c->prog_last = copied;
    if (c->progress)
        c->progress(c->progress_ctx, &c->plan->ext[1 + idx], copied, f->blocks);
}

static fsi_status file_error(fsi_cursor *c, size_t idx, fsi_status st, uint64_t expected, uint64_t found,
                             fsi_err *err)
{
    const fsi_extent_info *e = &c->plan->ext[1 + idx];
    close_source(c);
    fsi_err_set_path(err, st, 0, e->path, e->path_len);
    if (err) {
        err->expected = expected;
        err->found = found;
    }
    return st;
}

/* One read of the open file idx, as fsi_source_ops.read (*got < len is not an error, 0 is its end):
 * from the read-ahead buffer when off is in it; straight into dst when len is READ_AHEAD or more or
 * reaches the recorded end (the probe past the end included); otherwise through the buffer, filled
 * with up to READ_AHEAD bytes at off, not past the recorded size. */
static fsi_status source_read(fsi_cursor *c, size_t idx, uint64_t off, uint8_t *dst, size_t len, size_t *got)
{
    const fsi_plan_file *f = &c->plan->files[idx];
    fsi_source *s = f->src;
    if (!(c->ra_len && off >= c->ra_off && off - c->ra_off < c->ra_len)) {
        if (len >= READ_AHEAD || off + len >= f->size || (!c->ra && !(c->ra = malloc(READ_AHEAD))))
            return s->ops->read(s, c->handle, off, dst, len, got);
        size_t fill = f->size - off < READ_AHEAD ? (size_t)(f->size - off) : READ_AHEAD, n = 0;
        c->ra_len = 0;
        fsi_status st = s->ops->read(s, c->handle, off, c->ra, fill, &n);
        if (st != FSI_OK)
            return st;
        c->ra_off = off;
        c->ra_len = n;
    }
    size_t at = (size_t)(off - c->ra_off), k = c->ra_len - at < len ? c->ra_len - at : len;
    memcpy(dst, c->ra + at, k);
    *got = k;
    return FSI_OK;
}

/* Read exactly n bytes of file idx at byte offset foff into dst. room > n means dst[n] may be used
 * as scratch (it is overwritten by the caller afterwards). */
static fsi_status read_file(fsi_cursor *c, size_t idx, uint64_t foff, uint8_t *dst, size_t n, size_t room,
                            fsi_err *err)
{
    const fsi_plan_file *f = &c->plan->files[idx];
    fsi_source *s = f->src;
    if (c->open_idx != idx) {
        close_source(c);
        fsi_status st = s->ops->open(s, &c->handle);
        if (st != FSI_OK)
            return file_error(c, idx, st == FSI_E_NOMEM ? st : FSI_E_READ, 0, 0, err);
        c->open_idx = idx;
        if (foff == 0 || c->prog_idx != idx)
            report(c, idx, 0);
    }
    int at_end = foff + n == f->size;
    size_t want = n, done = 0;
    uint8_t extra = 0;
    if (at_end && room > n)
        want = n + 1;                       /* detect a source longer than recorded for free */
    while (done < want) {
        size_t got = 0;
        fsi_status st = source_read(c, idx, foff + done, dst + done, want - done, &got);
        if (st != FSI_OK)
            return file_error(c, idx, st == FSI_E_NOMEM ? st : FSI_E_READ, 0, 0, err);
        if (got == 0)
            break;
        done += got;
    }
    if (done < n)
        return file_error(c, idx, FSI_E_INCONSISTENT, f->size, foff + done, err);
    if (at_end) {
        if (want == n) {
            size_t got = 0;
            fsi_status st = s->ops->read(s, c->handle, f->size, &extra, 1, &got);
            if (st != FSI_OK)
                return file_error(c, idx, FSI_E_READ, 0, 0, err);
            done += got;
        }
        if (done > n)   /* only "at least one byte more" is known */
            return file_error(c, idx, FSI_E_INCONSISTENT, f->size, f->size + 1, err);
    }
    uint64_t pos = foff + n;
    uint32_t copied = at_end ? f->blocks : (uint32_t)(pos / FSI_BLOCK_SIZE);
    if (c->prog_idx != idx)
        report(c, idx, 0);
    if (at_end) {
        if (c->prog_last != f->blocks)
            report(c, idx, f->blocks);
        close_source(c);            /* its last byte has been read */
    } else if (copied / PROGRESS_STEP > c->prog_last / PROGRESS_STEP) {
        report(c, idx, copied);
    }
    return FSI_OK;
}

fsi_status fsi_cursor_read(fsi_cursor *c, uint64_t off, void *buf, size_t len, fsi_err *err)
{
    fsi_err_clear(err);
    if (!c || (!buf && len))
        return FSI_E_INVALID_PARAM;
    const fsi_plan *p = c->plan;
    if (!p->base)
        return fsi_cursor_read_session(c, off, buf, len, err);
    /* random-write: the whole volume from block 0; below the session through the overlay */
    uint64_t ss = (uint64_t)p->session_start * FSI_BLOCK_SIZE, total = ss + (uint64_t)p->total_blocks * FSI_BLOCK_SIZE;
    if (off > total || len > total - off) {
        if (err)
            err->code = FSI_E_RANGE;
        return FSI_E_RANGE;
    }
    size_t below = off < ss ? (size_t)(ss - off < len ? ss - off : len) : 0;
    fsi_status st = below ? fsi_overlay_read(p, off, buf, below, err) : FSI_OK;
    if (st || below == len)
        return st;
    return fsi_cursor_read_session(c, off + below - ss, (uint8_t *)buf + below, len - below, err);
}

fsi_status fsi_cursor_read_session(fsi_cursor *c, uint64_t off, void *buf, size_t len, fsi_err *err)
{
    const fsi_plan *p = c->plan;
    uint64_t total = (uint64_t)p->total_blocks * FSI_BLOCK_SIZE;
    if (off > total || len > total - off) {
        if (err)
            err->code = FSI_E_RANGE;
        return FSI_E_RANGE;
    }
    uint8_t *out = buf;
    const uint64_t sys_end = 16 * (uint64_t)FSI_BLOCK_SIZE;
    const uint64_t meta_end = (uint64_t)p->data_start * FSI_BLOCK_SIZE;
    const uint64_t data_end = (uint64_t)p->data_end * FSI_BLOCK_SIZE;
    while (len) {
        size_t n;
        if (off < sys_end) {
            n = (size_t)(sys_end - off < len ? sys_end - off : len);
            memset(out, 0, n);
        } else if (off < meta_end || off >= data_end) {
            /* one metadata block (or its rest): stored bytes, then zeros */
            size_t in = (size_t)(off % FSI_BLOCK_SIZE);
            n = FSI_BLOCK_SIZE - in < len ? FSI_BLOCK_SIZE - in : len;
            fsi_store_read(p, off / FSI_BLOCK_SIZE, in, out, n);
        } else {
            size_t idx = find_file(c, off / FSI_BLOCK_SIZE);
            const fsi_plan_file *f = &p->files[idx];
            uint64_t fstart = (uint64_t)f->first_block * FSI_BLOCK_SIZE;
            uint64_t dend = fstart + f->size;
            uint64_t bend = fstart + (uint64_t)f->blocks * FSI_BLOCK_SIZE;
            if (off >= fstart && off < dend) {
                n = (size_t)(dend - off < len ? dend - off : len);
                fsi_status st = read_file(c, idx, off - fstart, out, n, len, err);
                if (st != FSI_OK)
                    return st;
            } else {
                /* zeros: the tail of the file's last block, and any blocks the plan left free
                 * before the first file, between two files or after the last one */
                uint64_t zend = off < fstart ? fstart
                                : idx + 1 < p->nfiles ? (uint64_t)p->files[idx + 1].first_block * FSI_BLOCK_SIZE
                                                      : data_end;
                if (zend <= off || zend > data_end)
                    zend = off < bend ? bend : data_end;
                n = (size_t)(zend - off < len ? zend - off : len);
                memset(out, 0, n);
            }
        }
        out += n;
        off += n;
        len -= n;
    }
    return FSI_OK;
}
