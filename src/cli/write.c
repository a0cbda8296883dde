/*
 * Native fsimage: writing the image. Data: fsi_cursor_read into a 512 KiB buffer, one write per
 * buffer; when the output is a regular file, a file of COPY_MIN bytes or more is copied on its own:
 * by the kernel (copy_file_range, as cat does) when its pages line up with the output's, else
 * through the buffer from page boundaries of the file (copy_file below; docs/benchmarks.md).
 * --append writes at the end of the image file, --rewrite only fsi_plan_modified's ranges, the new
 * session first. Also the progress line (options.h) and --map (the policy's progress items).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "native.h"

#define BUF_SIZE  (512u << 10)          /* cursor reads and writes: in the CPU cache (benchmarks.md) */
#define COPY_MIN  (1u << 20)            /* files this large are copied with copy_file_range */
#define COPY_STEP ((size_t)64 << 20)    /* bytes per copy_file_range call with a progress line */

/* ---- progress --------------------------------------------------------------------------------- */

static uint32_t g_bar_origin;           /* the plan's first block: done = block - origin */

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void draw(uint32_t done, const uint16_t *file, size_t flen, int force)
{
    char out[640];
    size_t n = cli_bar_line(&g_bar, done, file, flen, force, now_ms(), out, sizeof out);
    if (n) {
        fwrite(out, 1, n, stderr);
        fflush(stderr);
    }
}

/* Cursor callback: blocks of one file copied (fsimage.exe's Update events). */
static void on_progress(void *ctx, const fsi_extent_info *file, uint32_t copied, uint32_t total)
{
    (void)ctx;
    (void)total;
    draw(file->first_block - g_bar_origin + copied, file->path, file->path_len, 0);
}

/* ---- --map ------------------------------------------------------------------------------------ */

static int print_item(void *ctx, uint32_t first, uint32_t count, const uint16_t *desc, size_t len)
{
    char *d = malloc(3 * len + 1), *line = malloc(3 * len + 40);
    (void)ctx;
    if (!d || !line)
        fail_nomem("memory");
    cli_utf8(desc, len, d, 3 * len + 1);
    cli_map_line(line, 3 * len + 40, first, count, d);
    puts(line);
    free(line);
    free(d);
    return 0;
}

void cli_print_map(const fsi_plan *plan, uint32_t session_start)
{
    fsi_policy_progress_items(plan, session_start, print_item, NULL);
    fflush(stdout);
}

/* ---- writing the image ------------------------------------------------------------------------ */

typedef struct writer {
    int fd;
    uint64_t out_base;                  /* output offset of the plan's first block (--append) */
    uint64_t fresh;                     /* plan offsets from here are past the output's old end:
                                           unwritten bytes there read as zeros */
    int regular;                        /* output is a regular file: positioned writes, kernel copies */
    int copy_ok;                        /* large files may be copied by the kernel (regular output) */
    int cfr_ok;                         /* copy_file_range works between these files */
    const char *out;
    fsi_plan *plan;
    fsi_cursor *cur;
    fsi_image *img;
    uint8_t *buf;
} writer;

static void write_out(writer *w, const void *data, size_t n, uint64_t off)
{
    const char *p = data;
    while (n) {
        ssize_t r = w->regular ? pwrite(w->fd, p, n, (off_t)(w->out_base + off)) : write(w->fd, p, n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fail_errno("writing the output", w->out);
        }
        p += r;
        off += (uint64_t)r;
        n -= (size_t)r;
    }
}

/* Image bytes [from, to) through the cursor (metadata, small files, gaps), one write per buffer. */
static void write_range(writer *w, uint64_t from, uint64_t to)
{
    fsi_err err;
    while (from < to) {
        size_t n = to - from < BUF_SIZE ? (size_t)(to - from) : BUF_SIZE;
        fsi_status s = fsi_cursor_read(w->cur, from, w->buf, n, &err);
        if (s != FSI_OK)
            fail_engine("reading the image stream", &err);
        write_out(w, w->buf, n, from);
        from += n;
    }
}

/* The host file behind a file extent, if it is one of ours. */
static const char *extent_source(writer *w, const fsi_extent_info *x)
{
    fsi_node *n = NULL;
    if (!x->is_file || x->size < COPY_MIN || !x->path_len || x->path[0] != '\\')
        return NULL;
    if (fsi_dir_walk(fsi_image_root(w->img), x->path, x->path_len, &n) != FSI_OK || fsi_node_is_dir(n) ||
        fsi_node_size(n) != x->size)
        return NULL;
    return cli_source_path(fsi_node_source(n));
}

static void file_failed(const fsi_extent_info *x, fsi_status st, uint64_t expected, uint64_t found)
{
    fsi_err e;
    memset(&e, 0, sizeof e);
    e.code = st;
    e.path_len = x->path_len < FSI_ERR_PATH_MAX ? x->path_len : FSI_ERR_PATH_MAX;
    memcpy(e.path, x->path, e.path_len * sizeof(uint16_t));
    e.expected = expected;
    e.found = found;
    fail_engine("reading the image stream", &e);
}

/* Copy a whole file extent to image offset off. File data starts at a 2048-byte block, so half of
 * the files land half a page off the page they come from. When the pages line up, the kernel copies
 * (copy_file_range, as cat does; on a file system with reflinks, no copy at all). Otherwise the
 * kernel's copy would split every page of the output in two (30% slower): the file goes through the
 * 512 KiB buffer, read from page boundaries of the file (docs/benchmarks.md). Returns 0 when the
 * caller should go through the cursor (nothing written). */
static uint64_t page_size(void)
{
    static long page;
    if (!page && (page = sysconf(_SC_PAGESIZE)) <= 0)
        page = 4096;
    return (uint64_t)page;
}

static int copy_file(writer *w, const fsi_extent_info *x, const char *path, uint64_t off)
{
    uint64_t done = 0;
    char extra;
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        file_failed(x, FSI_E_READ, 0, 0);
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (!w->cfr_ok || off % page_size()) {
        /* through the buffer, reading whole pages of the file */
        while (done < x->size) {
            size_t n = x->size - done < BUF_SIZE ? (size_t)(x->size - done) : BUF_SIZE, got = 0;
            while (got < n) {
                ssize_t r = pread(fd, w->buf + got, n - got, (off_t)(done + got));
                if (r < 0 && errno == EINTR)
                    continue;
                if (r < 0)
                    file_failed(x, FSI_E_READ, 0, 0);
                if (r == 0)             /* shorter than when it was added */
                    file_failed(x, FSI_E_INCONSISTENT, x->size, done + got);
                got += (size_t)r;
            }
            write_out(w, w->buf, n, off + done);
            done += n;
            if (g_bar.live)
                draw((uint32_t)((off + done) / FSI_BLOCK_SIZE), x->path, x->path_len, 0);
        }
    } else {
        off_t in = 0, out = (off_t)(w->out_base + off);
        while (done < x->size) {
            uint64_t left = x->size - done;
            /* in steps when a progress line is drawn, else in one call as cat does */
            size_t step = g_bar.live && left > COPY_STEP ? COPY_STEP : left > SSIZE_MAX ? SSIZE_MAX : (size_t)left;
            ssize_t r = copy_file_range(fd, &in, w->fd, &out, step, 0);
            if (r < 0) {
                if (errno == EINTR)
                    continue;
                if (!done && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP ||
                              errno == EBADF || errno == EPERM || errno == ETXTBSY || errno == ESPIPE)) {
                    w->cfr_ok = 0;      /* not between these two: the buffer from now on */
                    close(fd);
                    return 0;
                }
                if (errno == ENOSPC || errno == EFBIG || errno == EDQUOT)
                    fail_errno("writing the output", w->out);
                file_failed(x, FSI_E_READ, 0, 0);
            }
            if (r == 0)                 /* shorter than when it was added */
                file_failed(x, FSI_E_INCONSISTENT, x->size, done);
            done += (uint64_t)r;
            if (g_bar.live)
                draw((uint32_t)((off + done) / FSI_BLOCK_SIZE), x->path, x->path_len, 0);
        }
    }
    if (pread(fd, &extra, 1, (off_t)x->size) == 1)     /* longer than when it was added */
        file_failed(x, FSI_E_INCONSISTENT, x->size, x->size + 1);
    close(fd);
    return 1;
}

/* Plan bytes [from, to) (offsets from block origin, the plan's first block) to the output. A file
 * of COPY_MIN bytes or more that lies in the span, past w->fresh, is copied on its own (its last
 * block's tail left as a hole, zeros); everything else goes through the cursor. */
static void write_span(writer *w, uint32_t origin, uint64_t from, uint64_t to)
{
    const size_t count = fsi_plan_extent_count(w->plan);
    uint64_t pos = from;
    size_t i = 0;
    while (pos < to) {
        const fsi_extent_info *x = NULL;
        const char *s = NULL;
        uint64_t start = to;
        /* the next file to copy on its own; everything before it through the cursor */
        for (; w->copy_ok && i < count; i++) {
            x = fsi_plan_extent(w->plan, i);
            if (x->first_block < origin)
                continue;
            start = (uint64_t)(x->first_block - origin) * FSI_BLOCK_SIZE;
            if (start >= to)
                break;
            if (start >= pos && start >= w->fresh && start + (uint64_t)x->block_count * FSI_BLOCK_SIZE <= to &&
                (s = extent_source(w, x)))
                break;
        }
        if (!s)
            start = to;
        write_range(w, pos, start);
        pos = start;
        if (!s)
            break;
        if (!copy_file(w, x, s, pos))
            write_range(w, pos, pos + (uint64_t)x->block_count * FSI_BLOCK_SIZE);
        pos += (uint64_t)x->block_count * FSI_BLOCK_SIZE;
        i++;
    }
}

void cli_write_image(fsi_plan *plan, fsi_image *img, const cli_options *o, uint32_t origin, const previous *pv)
{
    const uint32_t total = fsi_plan_total_blocks(plan);
    struct stat st;
    uint64_t end;
    writer w;

    g_bar.live = !o->quiet && isatty(STDERR_FILENO);
    g_bar.total = total;
    g_bar.last_pct = -1;
    g_bar_origin = origin;
    memset(&w, 0, sizeof w);
    w.plan = plan;
    w.img = img;
    w.out = o->output;
    if (!(w.cur = fsi_cursor_new(plan)) || !(w.buf = aligned_alloc(4096, BUF_SIZE)))
        fail_nomem("memory");
    if (g_bar.live) {
        fsi_cursor_set_progress(w.cur, on_progress, NULL);
        draw(0, NULL, 0, 1);
    }
    if (!o->append) {
        w.fd = open(o->output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (w.fd < 0)
            fail_errno("create output", o->output);
        w.regular = fstat(w.fd, &st) == 0 && S_ISREG(st.st_mode);
        g_out_created = w.regular;
        w.copy_ok = w.regular;
        w.cfr_ok = 1;
        write_span(&w, origin, 0, (uint64_t)total * FSI_BLOCK_SIZE);
        end = (uint64_t)total * FSI_BLOCK_SIZE;
    } else {
        /* the new session first, then (--rewrite) the blocks that lead readers to it, last to first:
         * until those are written the old volume is intact, and every old block the new session
         * copies is read before anything over it is written */
        uint32_t first, count;
        size_t n = fsi_plan_modified_count(plan);
        w.fd = open(o->output, O_WRONLY | O_CLOEXEC);
        if (w.fd < 0)
            fail_errno("open the image to append to", o->output);
        w.regular = w.copy_ok = w.cfr_ok = 1;
        w.out_base = (uint64_t)origin * FSI_BLOCK_SIZE;
        w.fresh = pv->size > w.out_base ? pv->size - w.out_base : 0;
        for (size_t i = 0; i < n; i++) {
            fsi_plan_modified(plan, i, &first, &count);
            cli_save_old(pv, (uint64_t)first * FSI_BLOCK_SIZE, (uint64_t)count * FSI_BLOCK_SIZE);
        }
        cli_restore_arm(w.fd, pv->size);
        for (size_t i = n; i-- > 0;) {
            fsi_plan_modified(plan, i, &first, &count);
            write_span(&w, origin, (uint64_t)(first - origin) * FSI_BLOCK_SIZE,
                       (uint64_t)(first - origin + count) * FSI_BLOCK_SIZE);
        }
        end = w.out_base + (uint64_t)total * FSI_BLOCK_SIZE;
    }
    if (w.regular && ftruncate(w.fd, (off_t)end) != 0)
        fail_errno("writing the output", o->output);
    if (close(w.fd) != 0)
        fail_errno("writing the output", o->output);
    g_out_created = 0;
    cli_restore_disarm();
    if (!o->quiet)
        cli_say_done(&g_bar, total);
    g_bar.drawn = 0;
    fsi_cursor_free(w.cur);
    free(w.buf);
}
