/*
 * Shared helpers for the engine tests: UTF-16 literals, memory trees, a minimal ISO 9660 reader.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FSI_TEST_UTIL_H
#define FSI_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fsi_internal.h"

/* Every test program's first call in main: test_x runs all its cases, test_x CASE only those CASE
 * names (cmocka_set_test_filter: a case's name; '*' and '?' match any characters). */
static inline void fsi_test_args(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
}

/* ASCII/UTF-8 string -> UTF-16 in a rotating static buffer. */
static inline const uint16_t *U(const char *s, size_t *len)
{
    static uint16_t bufs[8][1024];
    static int k;
    uint16_t *b = bufs[k++ & 7];
    size_t n = fsi_utf8_to_utf16(s, strlen(s), b, 1024);
    assert_true(n != (size_t)-1);
    if (len)
        *len = n;
    return b;
}

static inline int u16_eq(const uint16_t *a, size_t al, const char *s)
{
    size_t bl;
    const uint16_t *b = U(s, &bl);
    return al == bl && memcmp(a, b, al * 2) == 0;
}

static inline fsi_node *mkdir_in(fsi_image *img, fsi_node *parent, const char *name)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    fsi_node *n = NULL;
    assert_int_equal(fsi_node_new_dir(u, l, &n), FSI_OK);
    assert_int_equal(fsi_dir_attach(img, parent, n, 0), FSI_OK);
    fsi_node_unref(n);      /* the tree keeps it */
    return n;
}

static inline fsi_node *mkfile_in(fsi_image *img, fsi_node *parent, const char *name, const void *data,
                                  size_t size)
{
    size_t l;
    const uint16_t *u = U(name, &l);
    fsi_source *src = size ? fsi_source_new_memory(data, size) : NULL;
    fsi_node *n = NULL;
    assert_int_equal(fsi_node_new_file(u, l, size, src, &n), FSI_OK);
    fsi_source_unref(src);
    assert_int_equal(fsi_dir_attach(img, parent, n, 0), FSI_OK);
    fsi_node_unref(n);
    return n;
}

/* ---- minimal ISO 9660 reader ------------------------------------------------------------------ */

static inline uint32_t rd_le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static inline uint32_t rd_be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static inline uint16_t rd_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint16_t rd_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* both-byte-order fields must agree */
static inline uint32_t rd_both32(const uint8_t *p)
{
    assert_int_equal(rd_le32(p), rd_be32(p + 4));
    return rd_le32(p);
}
static inline uint16_t rd_both16(const uint8_t *p)
{
    assert_int_equal(rd_le16(p), rd_be16(p + 2));
    return rd_le16(p);
}

typedef struct iso_img {
    uint8_t *b;
    uint64_t size;
    uint32_t ss;                    /* session start: LBAs in the image are absolute */
} iso_img;

/* Read the whole image through a cursor, one block at a time. */
static inline void iso_load(fsi_plan *p, iso_img *im)
{
    im->size = (uint64_t)fsi_plan_total_blocks(p) * FSI_BLOCK_SIZE;
    im->b = malloc(im->size);
    assert_non_null(im->b);
    fsi_cursor *c = fsi_cursor_new(p);
    fsi_err err;
    for (uint64_t off = 0; off < im->size; off += FSI_BLOCK_SIZE)
        assert_int_equal(fsi_cursor_read(c, off, im->b + off, FSI_BLOCK_SIZE, &err), FSI_OK);
    fsi_cursor_free(c);
}

static inline const uint8_t *iso_block(const iso_img *im, uint32_t lba)
{
    assert_true(lba >= im->ss);
    assert_true((uint64_t)(lba - im->ss + 1) * FSI_BLOCK_SIZE <= im->size);
    return im->b + (uint64_t)(lba - im->ss) * FSI_BLOCK_SIZE;
}

typedef struct iso_rec {
    uint32_t lba, size;
    uint8_t flags;
    uint8_t id[256];
    size_t idlen;
    uint8_t date[7];
} iso_rec;

/* Parse a directory extent; checks that no record straddles a block and that block tails are zero.
 * Returns the number of records (including "." and ".."). */
static inline size_t iso_list(const iso_img *im, uint32_t lba, uint32_t size, iso_rec *out, size_t max)
{
    assert_int_equal(size % FSI_BLOCK_SIZE, 0);
    const uint8_t *d = iso_block(im, lba);
    iso_block(im, lba + size / FSI_BLOCK_SIZE - 1);
    size_t n = 0;
    uint32_t pos = 0;
    while (pos < size) {
        uint8_t len = d[pos];
        if (len == 0) {
            /* zero to the end of this block */
            uint32_t end = (pos / FSI_BLOCK_SIZE + 1) * FSI_BLOCK_SIZE;
            for (uint32_t q = pos; q < end; q++)
                assert_int_equal(d[q], 0);
            pos = end;
            continue;
        }
        assert_true(len >= 34);
        assert_int_equal(len % 2, 0);
        assert_true(pos / FSI_BLOCK_SIZE == (pos + len - 1) / FSI_BLOCK_SIZE);   /* no straddling */
        const uint8_t *r = d + pos;
        assert_true(n < max);
        iso_rec *o = &out[n++];
        o->lba = rd_both32(r + 2);
        o->size = rd_both32(r + 10);
        memcpy(o->date, r + 18, 7);
        o->flags = r[25];
        assert_int_equal(rd_both16(r + 28), 1);
        o->idlen = r[32];
        assert_int_equal(len, 33 + o->idlen + !(o->idlen & 1));
        memcpy(o->id, r + 33, o->idlen);
        pos += len;
    }
    return n;
}

/* Identifier of a record as ASCII (Joliet: UCS-2 BE narrowed, non-ASCII as '?'). */
static inline void iso_rec_name(const iso_rec *r, int joliet, char *out)
{
    if (!joliet) {
        memcpy(out, r->id, r->idlen);
        out[r->idlen] = 0;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i + 1 < r->idlen; i += 2) {
        uint16_t c = rd_be16(r->id + i);
        out[k++] = c < 128 ? (char)c : '?';
    }
    out[k] = 0;
}

/* Root directory record of the PVD (joliet = 0) or the Joliet SVD. */
static inline void iso_root(const iso_img *im, int joliet, uint32_t *lba, uint32_t *size)
{
    /* the first descriptor of that type in the set (an El Torito boot record may come first) */
    const uint8_t *vd = im->b + 16 * FSI_BLOCK_SIZE;
    while (vd[0] != (joliet ? 2 : 1) && vd[0] != 255)
        vd += FSI_BLOCK_SIZE;
    assert_int_equal(vd[0], joliet ? 2 : 1);
    *lba = rd_both32(vd + 156 + 2);
    *size = rd_both32(vd + 156 + 10);
}

/* Look up a '/' separated path of identifiers (as stored, e.g. "DIR/FILE.TXT;1"). The first record
 * of a file is returned. 0 if not found. */
static inline int iso_find(const iso_img *im, int joliet, const char *path, iso_rec *out)
{
    uint32_t lba, size;
    iso_root(im, joliet, &lba, &size);
    static iso_rec recs[70000];
    char comp[256];
    const char *p = path;
    for (;;) {
        const char *e = strchr(p, '/');
        size_t cl = e ? (size_t)(e - p) : strlen(p);
        memcpy(comp, p, cl);
        comp[cl] = 0;
        size_t n = iso_list(im, lba, size, recs, 70000);
        int found = 0;
        for (size_t i = 2; i < n; i++) {
            char nm[256];
            iso_rec_name(&recs[i], joliet, nm);
            if (!strcmp(nm, comp)) {
                *out = recs[i];
                found = 1;
                break;
            }
        }
        if (!found)
            return 0;
        if (!e)
            return 1;
        lba = out->lba;
        size = out->size;
        p = e + 1;
    }
}

#endif
