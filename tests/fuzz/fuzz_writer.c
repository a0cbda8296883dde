/*
 * libFuzzer harness: the writer. The input describes a tree (names as UTF-16 from the input bytes,
 * sizes, depth, removals) and the options (file systems, ISO level, strictness, UDF revision, volume
 * name, El Torito entries). The tree is built with memory sources and laid out; then the image is
 * checked with a minimal reader of our own that trusts nothing it reads:
 *  - the plan: build errors only of the kinds the options allow; extents sorted, disjoint, in range;
 *  - the bytes: reading the image in input-chosen pieces gives the same bytes as one read, and a
 *    plan of a clone of the tree gives the same bytes again;
 *  - ISO 9660 and Joliet: volume descriptors, path tables, and every directory walked from the
 *    root with bounds checks on every record; each item of the tree is found in its directory under
 *    the name fsi_map_name gives it, each directory has exactly the tree's children, names are
 *    unique and valid for the file system, every file's extent holds its data followed by zeros;
 *  - fsi_identify recognises the file systems written.
 * Any violation aborts (a crash for libFuzzer).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fsi/engine.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_writer: check failed: %s (line %d)\n", #c, __LINE__); abort(); } } while (0)

/* ---- input ----------------------------------------------------------------------------------- */

typedef struct input { const uint8_t *p; size_t n; } input;

static unsigned byte(input *in)
{
    if (!in->n) return 0;
    in->n--;
    return *in->p++;
}

/* ---- the tree ---------------------------------------------------------------------------------- */

#define MAX_FILES 200
#define MAX_DIRS 100
#define MAX_KIDS (MAX_FILES + MAX_DIRS)
#define MAX_DEPTH 24
#define DATA_BUDGET (1u << 20)

typedef struct file_rec {
    fsi_node *node;
    uint8_t *data;
    uint64_t size;
    int found[2];                       /* seen in the ISO 9660 / Joliet walk */
} file_rec;

typedef struct state {
    fsi_image *img;
    file_rec files[MAX_FILES];
    size_t nfiles, ndirs_made;
    uint64_t data_total;
    fsi_plan_opts opts;
    uint8_t *image;
    uint64_t image_size;
    uint32_t dir_lbas[2][4096];         /* directories seen per tree (cycle guard) */
    size_t ndirs[2];
} state;

static const char name_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-~ !#$%&'()+,;=@[]^`{}";

/* A name: mostly characters from a set that makes mapping interesting, sometimes raw UTF-16
 * (NUL, separators, surrogates, anything). */
static size_t read_name(input *in, uint16_t *out, size_t cap)
{
    unsigned l = byte(in);
    size_t len = l & 0x80 ? (size_t)(byte(in) % 300) : (size_t)(l % 24) + 1;
    if (len > cap) len = cap;
    for (size_t i = 0; i < len; i++) {
        unsigned b = byte(in);
        if (b < 0xF0)
            out[i] = (uint16_t)name_chars[b % (sizeof name_chars - 1)];
        else {
            unsigned hi = byte(in);
            out[i] = (uint16_t)(hi << 8 | byte(in));
        }
    }
    return len;
}

static uint64_t read_size(input *in)
{
    unsigned s = byte(in);
    if (s < 64) return s;
    if (s < 128) return (uint64_t)(s - 64) * 97;
    if (s < 192) {                      /* around block boundaries: k blocks -1, +0, +1, +1000 */
        static const int delta[4] = { -1, 0, 1, 1000 };
        int64_t v = (int64_t)((s - 128) >> 2) * FSI_BLOCK_SIZE + delta[s & 3];
        return v < 0 ? 0 : (uint64_t)v;
    }
    return ((uint64_t)byte(in) << 8 | byte(in)) * 3;
}

static uint8_t content(size_t file, uint64_t i) { return (uint8_t)(file * 167 + i * 13 + (i >> 11)); }

static void add_file(state *st, fsi_image *img, fsi_node *dir, input *in)
{
    uint16_t name[300];
    size_t len = read_name(in, name, 300);
    uint64_t size = read_size(in);
    fsi_node *n = NULL;
    if (st->nfiles == MAX_FILES) return;
    if (st->data_total + size > DATA_BUDGET) size = 0;
    file_rec *f = &st->files[st->nfiles];
    f->data = malloc(size ? size : 1);
    CHECK(f->data);
    for (uint64_t i = 0; i < size; i++) f->data[i] = content(st->nfiles, i);
    fsi_source *src = size ? fsi_source_new_memory(f->data, size) : NULL;
    fsi_status s = fsi_node_new_file(name, len, size, src, &n);
    fsi_source_unref(src);
    if (s != FSI_OK) {
        CHECK(s == FSI_E_INVALID_NAME || s == FSI_E_INVALID_PARAM);
        free(f->data);
        return;
    }
    if (byte(in) & 1) fsi_node_set_hidden(n, 1);
    s = fsi_dir_attach(img, dir, n, 0);
    fsi_node_unref(n);
    if (s != FSI_OK) {
        CHECK(s == FSI_E_DUP_NAME);
        free(f->data);
        return;
    }
    f->node = n;
    f->size = size;
    st->data_total += size;
    st->nfiles++;
}

static fsi_node *add_dir(state *st, fsi_image *img, fsi_node *dir, input *in)
{
    uint16_t name[300];
    size_t len = read_name(in, name, 300);
    fsi_node *n = NULL;
    if (st->ndirs_made == MAX_DIRS) return NULL;
    fsi_status s = fsi_node_new_dir(name, len, &n);
    if (s != FSI_OK) {
        CHECK(s == FSI_E_INVALID_NAME || s == FSI_E_INVALID_PARAM);
        return NULL;
    }
    s = fsi_dir_attach(img, dir, n, 0);
    fsi_node_unref(n);
    if (s != FSI_OK) {
        CHECK(s == FSI_E_DUP_NAME);
        return fsi_dir_lookup(dir, name, len);      /* enter the existing one (a file: not entered) */
    }
    st->ndirs_made++;
    return n;
}

/* Remove the index-th child of dir (and forget the files below it). */
static int is_below(const fsi_node *n, const fsi_node *top)
{
    for (; n; n = fsi_node_parent(n))
        if (n == top) return 1;
    return 0;
}

/* Forget the files at or below n (about to leave the tree). */
static void forget_below(state *st, const fsi_node *n)
{
    for (size_t i = 0; i < st->nfiles;) {
        if (is_below(st->files[i].node, n)) {
            free(st->files[i].data);
            st->files[i] = st->files[--st->nfiles];
        } else
            i++;
    }
}

static void remove_child(state *st, fsi_node *dir, unsigned index)
{
    size_t count = fsi_dir_child_count(dir);
    if (!count) return;
    fsi_node *c = fsi_dir_child(dir, index % count);
    if (!c) return;
    forget_below(st, c);
    fsi_node_detach(st->img, c);
}

/* Before merging src into dst: forget the files the merge replaces (an item of src wins over a
 * same-named item of dst, unless both are directories: those merge). */
static void forget_replaced(state *st, const fsi_node *dst, const fsi_node *src)
{
    for (size_t i = 0; i < fsi_dir_child_count(src); i++) {
        const fsi_node *c = fsi_dir_child(src, i);
        size_t l;
        if (!c) continue;
        const uint16_t *nm = fsi_node_name(c, &l);
        const fsi_node *e = fsi_dir_lookup(dst, nm, l);
        if (!e) continue;
        if (fsi_node_is_dir(e) && fsi_node_is_dir(c))
            forget_replaced(st, e, c);
        else
            forget_below(st, e);
    }
}

/* AddTree: a detached subtree of a few items merged into dst. */
static void merge_op(state *st, fsi_node *dst, input *in)
{
    static const uint16_t top_name[] = { 't' };
    fsi_node *top = NULL, *cur;
    CHECK(fsi_node_new_dir(top_name, 1, &top) == FSI_OK);
    cur = top;
    for (unsigned k = byte(in) % 6; k; k--) {
        unsigned what = byte(in);
        if (what & 1) {
            fsi_node *d = add_dir(st, NULL, cur, in);
            if (d && fsi_node_is_dir(d) && (what & 2)) cur = d;
        } else
            add_file(st, NULL, cur, in);
    }
    forget_replaced(st, dst, top);
    CHECK(fsi_dir_merge(st->img, dst, top) == FSI_OK);
    for (size_t i = 0; i < fsi_dir_child_count(top); i++) CHECK(!fsi_dir_child(top, i));
    CHECK(fsi_image_file_count(st->img) == st->nfiles);     /* the incremental counts */
    fsi_node_unref(top);
}

static file_rec *file_of(state *st, const fsi_node *n)
{
    for (size_t i = 0; i < st->nfiles; i++)
        if (st->files[i].node == n) return &st->files[i];
    return NULL;
}

/* ---- reading the image ------------------------------------------------------------------------- */

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t both32(const uint8_t *p) { CHECK(le32(p) == be32(p + 4)); return le32(p); }
static uint16_t both16(const uint8_t *p) { CHECK(le16(p) == be16(p + 2)); return le16(p); }

/* A range of blocks that must lie inside the image. */
static const uint8_t *blocks(state *st, uint32_t lba, uint64_t bytes)
{
    CHECK(lba >= st->opts.session_start);
    uint64_t off = (uint64_t)(lba - st->opts.session_start) * FSI_BLOCK_SIZE;
    CHECK(off <= st->image_size && bytes <= st->image_size - off);
    return st->image + off;
}

typedef struct rec {
    uint32_t lba, size;
    uint8_t flags;
    const uint8_t *id;
    uint8_t idlen;
} rec;

/* Parse one directory extent into recs (bounds-checked); returns the count including . and .. */
static size_t list_dir(state *st, uint32_t lba, uint32_t size, rec *out, size_t max)
{
    CHECK(size % FSI_BLOCK_SIZE == 0 && size > 0);
    const uint8_t *d = blocks(st, lba, size);
    size_t n = 0;
    uint32_t pos = 0;
    while (pos < size) {
        uint8_t len = d[pos];
        if (len == 0) {
            uint32_t end = (pos / FSI_BLOCK_SIZE + 1) * FSI_BLOCK_SIZE;
            for (uint32_t q = pos; q < end; q++) CHECK(d[q] == 0);
            pos = end;
            continue;
        }
        CHECK(len >= 34 && len % 2 == 0);
        CHECK(pos / FSI_BLOCK_SIZE == (pos + len - 1) / FSI_BLOCK_SIZE);
        const uint8_t *r = d + pos;
        CHECK(r[1] == 0);                           /* no extended attribute records */
        CHECK(n < max);
        rec *o = &out[n++];
        o->lba = both32(r + 2);
        o->size = both32(r + 10);
        o->flags = r[25];
        CHECK(both16(r + 28) == 1);
        o->idlen = r[32];
        CHECK(o->idlen >= 1 && 33u + o->idlen <= len);
        CHECK(len == 33 + o->idlen + !(o->idlen & 1));
        o->id = r + 33;
        pos += len;
    }
    CHECK(n >= 2);
    CHECK(out[0].idlen == 1 && out[0].id[0] == 0 && (out[0].flags & 2));
    CHECK(out[1].idlen == 1 && out[1].id[0] == 1 && (out[1].flags & 2));
    CHECK(out[0].lba == lba && out[0].size == size);
    return n;
}

static int is_dchar(uint8_t c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

/* The identifier as UTF-16 (Joliet: UCS-2 BE; ISO: bytes), without ";1". */
static size_t rec_name(const rec *r, int joliet, uint16_t *out)
{
    size_t n = 0;
    if (joliet) {
        CHECK(r->idlen % 2 == 0);
        for (size_t i = 0; i + 1 < r->idlen; i += 2) out[n++] = be16(r->id + i);
    } else {
        for (size_t i = 0; i < r->idlen; i++) out[n++] = r->id[i];
    }
    if (!(r->flags & 2)) {
        CHECK(n >= 2 && out[n - 2] == ';' && out[n - 1] == '1');
        n -= 2;
    }
    return n;
}

static void check_iso_name(state *st, const rec *r, const uint16_t *name, size_t len)
{
    int level = st->opts.iso_level, dots = 0;
    size_t base = 0, ext = 0;
    CHECK(len >= 1);
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '.') { dots++; continue; }
        CHECK((is_dchar((uint8_t)name[i]) || name[i] == '~') && name[i] < 128);   /* "~N" tails */
        if (dots) ext++; else base++;
    }
    if (r->flags & 2) {
        CHECK(dots == 0);
        CHECK(len <= (level == 1 ? 8u : 31u));
    } else {
        CHECK(dots <= 1);
        if (level == 1) CHECK(base <= 8 && ext <= 3 && base + ext >= 1);
        else CHECK(len <= 30);
    }
}

static void check_joliet_name(const uint16_t *name, size_t len)
{
    CHECK(len >= 1 && len <= 64);
    for (size_t i = 0; i < len; i++) {
        uint16_t c = name[i];
        CHECK(c >= 0x20 && c != '*' && c != '/' && c != ':' && c != ';' && c != '?' && c != '\\');
    }
}

/* Walk the tree's directory dir against the image's directory (lba, size) of file system t
 * (0: ISO 9660, 1: Joliet). */
static void walk(state *st, int t, const fsi_node *dir, uint32_t lba, uint32_t size, uint32_t parent_lba, int depth)
{
    static rec recs_pool[MAX_DEPTH + 8][MAX_KIDS + 2];
    static uint16_t names_pool[MAX_DEPTH + 8][MAX_KIDS + 2][130];
    static size_t lens_pool[MAX_DEPTH + 8][MAX_KIDS + 2];
    CHECK(depth < MAX_DEPTH + 8);             /* the stack's depth plus a merged subtree */
    for (size_t i = 0; i < st->ndirs[t]; i++) CHECK(st->dir_lbas[t][i] != lba);    /* no cycle, no sharing */
    CHECK(st->ndirs[t] < 4096);
    st->dir_lbas[t][st->ndirs[t]++] = lba;
    rec *recs = recs_pool[depth];
    size_t n = list_dir(st, lba, size, recs, MAX_KIDS + 2);
    CHECK(recs[1].lba == parent_lba);
    size_t kids = fsi_dir_child_count(dir), live = 0;
    uint16_t (*names)[130] = names_pool[depth];
    size_t *lens = lens_pool[depth];
    /* names: valid and unique */
    for (size_t i = 2; i < n; i++) {
        CHECK(recs[i].idlen <= (t ? 132 : 37));
        lens[i] = rec_name(&recs[i], t, names[i]);
        if (t) check_joliet_name(names[i], lens[i]);
        else check_iso_name(st, &recs[i], names[i], lens[i]);
        for (size_t j = 2; j < i; j++)
            CHECK(lens[j] != lens[i] || memcmp(names[j], names[i], lens[i] * 2));
    }
    /* every child of the tree's directory is there under its mapped name */
    for (size_t k = 0; k < kids; k++) {
        const fsi_node *c = fsi_dir_child(dir, k);
        uint16_t want[300];
        if (!c) continue;
        live++;
        size_t wl = fsi_map_name(st->img, c, t ? FSI_FS_JOLIET : FSI_FS_ISO9660, st->opts.iso_level, want,
                                 300);
        CHECK(wl >= 1 && wl <= 128);
        size_t hit = 0;
        for (size_t i = 2; i < n; i++)
            if (lens[i] == wl && !memcmp(names[i], want, wl * 2)) { hit = i; break; }
        CHECK(hit);
        rec *r = &recs[hit];
        CHECK(!!(r->flags & 2) == !!fsi_node_is_dir(c));
        CHECK(!!(r->flags & 1) == !!fsi_node_hidden(c));
        if (fsi_node_is_dir(c)) {
            walk(st, t, c, r->lba, r->size, lba, depth + 1);
        } else {
            file_rec *f = file_of(st, c);
            CHECK(f);
            CHECK(!f->found[t]);
            f->found[t] = 1;
            CHECK(r->size == f->size);
            if (!f->size) {
                CHECK(r->lba == 0);
            } else {
                uint64_t span = (f->size + FSI_BLOCK_SIZE - 1) / FSI_BLOCK_SIZE * FSI_BLOCK_SIZE;
                const uint8_t *d = blocks(st, r->lba, span);
                CHECK(!memcmp(d, f->data, f->size));
                for (uint64_t i = f->size; i < span; i++) CHECK(d[i] == 0);
            }
        }
    }
    CHECK(n - 2 == live);
}

/* The volume descriptors from block 16 to the terminator; the PVD and the Joliet SVD. */
static void check_iso(state *st)
{
    const uint8_t *pvd = NULL, *svd = NULL;
    int term = 0;
    for (uint32_t b = 16; b < 16 + 64 && !term; b++) {
        const uint8_t *d = blocks(st, st->opts.session_start + b, FSI_BLOCK_SIZE);
        CHECK(!memcmp(d + 1, "CD001", 5) && d[6] == 1);
        switch (d[0]) {
        case 0: break;                                          /* boot record */
        case 1: CHECK(!pvd); pvd = d; break;
        case 2: CHECK(!svd); svd = d; CHECK(d[88] == '%' && d[89] == '/' && d[90] == 'E'); break;
        case 255: term = 1; break;
        default: CHECK(0);
        }
    }
    CHECK(term && pvd);
    CHECK(!!svd == !!(st->opts.fs & FSI_FS_JOLIET));
    for (int t = 0; t < 2; t++) {
        const uint8_t *vd = t ? svd : pvd;
        if (!vd) continue;
        if (!t && !(st->opts.fs & FSI_FS_ISO9660)) continue;   /* a minimal PVD only (El Torito alone) */
        CHECK(both32(vd + 80) == st->opts.session_start + st->image_size / FSI_BLOCK_SIZE);
        CHECK(both16(vd + 128) == FSI_BLOCK_SIZE);
        /* path table: in the image; the root's entry first */
        uint32_t pts = both32(vd + 132);
        const uint8_t *ptl = blocks(st, le32(vd + 140), pts);
        const uint8_t *ptm = blocks(st, be32(vd + 148), pts);
        CHECK(pts >= 10);
        CHECK(ptl[0] == 1 && ptl[1] == 0 && le16(ptl + 6) == 1 && ptm[0] == 1 && be16(ptm + 6) == 1);
        /* root directory record */
        const uint8_t *r = vd + 156;
        CHECK(r[0] == 34 && r[32] == 1 && r[33] == 0 && (r[25] & 2));
        uint32_t lba = both32(r + 2), size = both32(r + 10);
        CHECK(le32(ptl + 2) == lba && be32(ptm + 2) == lba);
        /* every path table entry (L and M agree) names a directory found in the walk */
        st->ndirs[t] = 0;
        walk(st, t, fsi_image_root(st->img), lba, size, lba, 0);
        size_t entries = 0;
        for (uint32_t pos = 0; pos < pts; entries++) {
            CHECK(pos + 8 <= pts);
            uint8_t l = ptl[pos];
            CHECK(l >= 1 && ptm[pos] == l && pos + 8 + l + (l & 1) <= pts);
            uint32_t el = le32(ptl + pos + 2);
            CHECK(be32(ptm + pos + 2) == el);
            int seen = 0;
            for (size_t i = 0; i < st->ndirs[t]; i++) seen |= st->dir_lbas[t][i] == el;
            CHECK(seen);
            uint16_t parent = le16(ptl + pos + 6);
            CHECK(parent >= 1 && parent <= entries + 1 && be16(ptm + pos + 6) == parent);
            pos += 8 + l + (l & 1);
        }
        CHECK(entries == st->ndirs[t] || (entries == 65535 && st->ndirs[t] > 65535));
    }
}

/* ---- the harness --------------------------------------------------------------------------------- */

static const int udf_revs[] = { 0x102, 0x150, 0x200, 0x201, 0x250, 0x260 };

typedef struct mem_vol { const uint8_t *b; uint64_t blocks; } mem_vol;
static int read_mem(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    mem_vol *v = ctx;
    CHECK(lba + count <= v->blocks);
    memcpy(buf, v->b + lba * FSI_BLOCK_SIZE, (size_t)count * FSI_BLOCK_SIZE);
    return 0;
}

static uint8_t *read_image(fsi_plan *p, uint64_t size, input *in)
{
    uint8_t *b = malloc(size ? size : 1);
    CHECK(b);
    fsi_cursor *c = fsi_cursor_new(p);
    fsi_err err;
    CHECK(c);
    if (!in) {
        CHECK(fsi_cursor_read(c, 0, b, (size_t)size, &err) == FSI_OK);
    } else {
        /* in pieces the input chooses (odd sizes, across every kind of boundary) */
        uint64_t off = 0;
        while (off < size) {
            size_t len = 65536;                 /* once the input is used up */
            if (in->n) {
                unsigned k = byte(in);
                len = k < 128 ? (size_t)k * 97 + 1 : (size_t)(k - 127) * FSI_BLOCK_SIZE;
            }
            if (len > size - off) len = (size_t)(size - off);
            CHECK(fsi_cursor_read(c, off, b + off, len, &err) == FSI_OK);
            off += len;
        }
        CHECK(fsi_cursor_read(c, size, b, 1, &err) == FSI_E_RANGE);
    }
    fsi_cursor_free(c);
    return b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static state st;
    input in = { data, size };
    uint16_t vol[40];
    fsi_boot_entry boot[2];
    uint8_t *boot_data[2] = { NULL, NULL };

    memset(&st, 0, sizeof st);
    st.img = fsi_image_new();
    CHECK(st.img);

    /* options */
    unsigned f = byte(&in), g = byte(&in);
    st.opts.fs = f & 7;
    st.opts.iso_level = (int)((f >> 3) & 3) % 3 + 1;
    st.opts.strict = (f >> 5) & 1;
    st.opts.udf_revision = udf_revs[g % 6];
    st.opts.udf_redundant_metadata = (g >> 3) & 1;
    st.opts.creation_time = fsi_time_from_unix(1700000000 + (int64_t)(g >> 4) * 86400 * 400, 0);
    st.opts.session_start = (g & 0x80) && (g & 0x40) ? 2048 * (g & 7) : 0;
    if (f & 0x40) {
        size_t l = read_name(&in, vol, 40);
        st.opts.volume_name = vol;
        st.opts.volume_name_len = l;
    }
    if (f & 0x80) {
        unsigned e = byte(&in);
        st.opts.boot_count = e % 3;
        for (size_t i = 0; i < st.opts.boot_count; i++) {
            uint64_t bs = 1 + read_size(&in);
            boot_data[i] = malloc(bs);
            CHECK(boot_data[i]);
            for (uint64_t k = 0; k < bs; k++) boot_data[i][k] = (uint8_t)(k * 3 + i);
            memset(&boot[i], 0, sizeof boot[i]);
            boot[i].platform = e & 8 ? FSI_BOOT_EFI : FSI_BOOT_X86;
            boot[i].emulation = e & 16 ? FSI_EMUL_HARD_DISK : FSI_EMUL_NONE;
            boot[i].sector_count = -1;
            boot[i].src = fsi_source_new_memory(boot_data[i], bs);
            boot[i].size = bs;
            boot[i].id = e & 32 ? "fuzz" : NULL;
        }
        st.opts.boot = boot;
    }

    /* the tree */
    fsi_node *stack[MAX_DEPTH + 1];
    int depth = 0;
    stack[0] = fsi_image_root(st.img);
    for (int ops = 0; in.n && ops < 2000; ops++) {
        unsigned op = byte(&in);
        if (op == 0xFF)
            break;                              /* the rest chooses the read pieces */
        switch (op & 7) {
        case 0: case 1:
            add_file(&st, st.img, stack[depth], &in);
            break;
        case 2:
            merge_op(&st, stack[depth], &in);
            break;
        case 3: case 4: {
            fsi_node *d = add_dir(&st, st.img, stack[depth], &in);
            if (d && fsi_node_is_dir(d) && depth < MAX_DEPTH) stack[++depth] = d;
            break;
        }
        case 5:
            if (depth) depth--;
            break;
        case 6:
            remove_child(&st, stack[depth], op >> 3);
            break;
        case 7: {
            fsi_times t = { 0, 0, fsi_time_from_unix((int64_t)(op >> 3) * 100000000 - 1000000000, 0) };
            fsi_node_set_times(stack[depth], &t);
            break;
        }
        }
    }

    /* layout */
    fsi_plan *p = NULL;
    fsi_err err;
    fsi_status s = fsi_plan_build(st.img, &st.opts, &p, &err);
    if (s != FSI_OK) {
        if (getenv("FSI_FUZZ_VERBOSE"))
            fprintf(stderr, "writer: fs %u level %d strict %d boot %zu: status %d\n", st.opts.fs, st.opts.iso_level,
                    st.opts.strict, st.opts.boot_count, s);
        CHECK(err.code == s);
        CHECK((s == FSI_E_NO_OUTPUT && !st.opts.fs) ||
              (st.opts.strict && (s == FSI_E_ISO9660_LEVELS || s == FSI_E_TOO_MANY_DIRS)) ||
              (s == FSI_E_INVALID_PARAM && st.opts.boot_count) || s == FSI_E_NO_UNIQUE_NAME);
        goto out;
    }
    CHECK(fsi_image_file_count(st.img) == st.nfiles);
    st.image_size = (uint64_t)fsi_plan_total_blocks(p) * FSI_BLOCK_SIZE;
    CHECK(st.image_size >= 18 * FSI_BLOCK_SIZE);
    if (getenv("FSI_FUZZ_VERBOSE"))
        fprintf(stderr, "writer: fs %u level %d strict %d udf %#x boot %zu start %u: %zu files, %llu dirs, %u blocks\n",
                st.opts.fs, st.opts.iso_level, st.opts.strict, st.opts.udf_revision, st.opts.boot_count,
                st.opts.session_start, st.nfiles, (unsigned long long)fsi_image_dir_count(st.img), fsi_plan_total_blocks(p));

    /* extents: sorted, disjoint, inside the image; one per file with data */
    {
        size_t ne = fsi_plan_extent_count(p), nf = 0;
        uint64_t end = st.opts.session_start;
        for (size_t i = 0; i < ne; i++) {
            const fsi_extent_info *e = fsi_plan_extent(p, i);
            CHECK(e->first_block >= end);
            end = (uint64_t)e->first_block + e->block_count;
            CHECK(end <= st.opts.session_start + st.image_size / FSI_BLOCK_SIZE);
            if (e->is_file) {
                nf++;
                CHECK(e->block_count == (e->size + FSI_BLOCK_SIZE - 1) / FSI_BLOCK_SIZE);
            }
        }
        size_t with_data = st.opts.boot_count;
        for (size_t i = 0; i < st.nfiles; i++) with_data += st.files[i].size > 0;
        CHECK(nf <= with_data);
    }

    /* the bytes, in pieces and at once; and from a clone of the tree */
    st.image = read_image(p, st.image_size, &in);
    {
        uint8_t *whole = read_image(p, st.image_size, NULL);
        CHECK(!memcmp(whole, st.image, st.image_size));
        free(whole);
        fsi_image *cl = NULL;
        if (fsi_image_clone(st.img, &cl) == FSI_OK) {
            fsi_plan *p2 = NULL;
            CHECK(fsi_plan_build(cl, &st.opts, &p2, &err) == FSI_OK);
            CHECK(fsi_plan_total_blocks(p2) * (uint64_t)FSI_BLOCK_SIZE == st.image_size);
            uint8_t *again = read_image(p2, st.image_size, NULL);
            CHECK(!memcmp(again, st.image, st.image_size));
            free(again);
            fsi_plan_unref(p2);
            fsi_image_free(cl);
        }
    }

    /* the file systems, read back */
    if (st.opts.fs & (FSI_FS_ISO9660 | FSI_FS_JOLIET)) {
        check_iso(&st);
        for (size_t i = 0; i < st.nfiles; i++) {
            if (st.opts.fs & FSI_FS_ISO9660) CHECK(st.files[i].found[0]);
            if (st.opts.fs & FSI_FS_JOLIET) CHECK(st.files[i].found[1]);
        }
    }
    if (!st.opts.session_start) {
        mem_vol v = { st.image, st.image_size / FSI_BLOCK_SIZE };
        unsigned id = fsi_identify(read_mem, &v, v.blocks);
        CHECK((id & st.opts.fs) == st.opts.fs);
    }
    free(st.image);
    fsi_plan_unref(p);
out:
    for (size_t i = 0; i < st.opts.boot_count; i++) {
        fsi_source_unref(boot[i].src);
        free(boot_data[i]);
    }
    for (size_t i = 0; i < st.nfiles; i++) free(st.files[i].data);
    fsi_image_free(st.img);
    return 0;
}
