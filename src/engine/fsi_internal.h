/*
 * imapi2fs layout engine: private declarations shared by the engine's translation units (and by the
 * engine's white-box tests, which include this header), in the engine's layer order: what a section
 * declares uses only what the sections above it declare. The writers' own interface (the snapshot,
 * the writer chain, the metadata store) is writer.h.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FSI_INTERNAL_H
#define FSI_INTERNAL_H

#include "fsi/engine.h"

#include <stdlib.h>
#include <string.h>

#define FSI_NAME_MAX 255u

/* ---------------------------------------------------------------------------------------------- */
/* Helpers (util.c, civil.c)                                                                        */

/* Room for need elements of elem bytes in the array *arrp (a pointer to the array's pointer) of
 * capacity *cap elements: grown by doubling from 4 when need exceeds it. 1, or 0 on out of memory
 * (the array and *cap unchanged). FSI_GROW(a, cap, need) for an array a and its capacity cap. */
int fsi_grow(void *arrp, size_t *cap, size_t need, size_t elem);
#define FSI_GROW(a, cap, need) fsi_grow(&(a), &(cap), (need), sizeof *(a))

/* A growable pool of UTF-16 units. */
typedef struct fsi_u16pool {
    uint16_t *p;
    size_t len, cap;
} fsi_u16pool;

int fsi_pool_reserve(fsi_u16pool *pool, size_t extra);     /* 0 on out of memory */
void fsi_pool_free(fsi_u16pool *pool);

/* Generic stable merge sort of uint32_t keys with a context comparator. 0 on out of memory. */
typedef int (*fsi_cmp_fn)(void *ctx, uint32_t a, uint32_t b);
int fsi_sort_u32(uint32_t *a, size_t n, fsi_cmp_fn cmp, void *ctx);

/* FNV-1a of a name (the tree's hash of children, UDF's volume set identifier). */
uint32_t fsi_name_hash(const uint16_t *s, size_t n);

/* Civil UTC date of t (clamped to year 1..9999), and the fsi_time of a civil date and time in UTC
 * minus offset_min minutes (time zones; an invalid date gives 1970). */
void fsi_time_civil(fsi_time t, int *year, int *mon, int *day, int *hour, int *min, int *sec, int *cs);
fsi_time fsi_time_from_civil(int year, int mon, int day, int hour, int min, int sec, int64_t ticks,
                             int offset_min);

/* Byte order (ECMA-119 7.2 / 7.3, ECMA-167 1/7.1): writing and reading. */
static inline void fsi_put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void fsi_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void fsi_put_le32(uint8_t *p, uint32_t v)
{ p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }
static inline void fsi_put_be32(uint8_t *p, uint32_t v)
{ p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }
static inline void fsi_put_le64(uint8_t *p, uint64_t v) { fsi_put_le32(p, (uint32_t)v); fsi_put_le32(p + 4, (uint32_t)(v >> 32)); }
/* 7.2.3 / 7.3.3: both-byte orders, little-endian first. */
static inline void fsi_put_both16(uint8_t *p, uint16_t v) { fsi_put_le16(p, v); fsi_put_be16(p + 2, v); }
static inline void fsi_put_both32(uint8_t *p, uint32_t v) { fsi_put_le32(p, v); fsi_put_be32(p + 4, v); }
static inline uint16_t fsi_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t fsi_le32(const uint8_t *p)
{ return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static inline uint64_t fsi_le64(const uint8_t *p) { return fsi_le32(p) | (uint64_t)fsi_le32(p + 4) << 32; }
static inline uint16_t fsi_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static inline uint64_t fsi_blocks_of(uint64_t bytes) { return (bytes + FSI_BLOCK_SIZE - 1) / FSI_BLOCK_SIZE; }

/* ---------------------------------------------------------------------------------------------- */
/* Tree (tree.c: nodes, the image, errors; dir.c: a directory's children; streams.c: file items)    */

/* A named stream of a file (UDF 2.00+; streams.c). */
typedef struct fsi_stream {
    fsi_source *src;                /* owned reference or NULL (empty stream) */
    uint64_t size;
    uint16_t name_len;
    uint16_t *name;                 /* owned */
} fsi_stream;

struct fsi_node {
    int32_t refs;                   /* atomic */
    uint8_t is_dir, hidden, is_root;
    uint8_t realtime;               /* files: UDF 2.01+ real-time file (file type 249) */
    uint8_t gone;                   /* left the tree it was in: removed, replaced, or its parent was
                                     * freed (fsi_node_standing); cleared when attached again */
    uint16_t name_len;
    uint32_t hash;                  /* fsi_name_hash(name) */
    fsi_node *parent;               /* not owning; NULL when detached / root */
    size_t slot;                    /* index in parent's kids[] */
    fsi_times times;
    union {
        struct {
            uint64_t size;
            fsi_source *src;        /* owned reference or NULL */
            fsi_stream *streams;    /* named streams in insertion order (NULL: none) */
            uint32_t nstreams;
            size_t scap;
        } f;
        struct {
            fsi_node **kids;        /* insertion order; NULL entries are holes left by detach */
            size_t nkids;           /* used slots, holes included */
            size_t kcap, holes;
            fsi_node **tab;         /* open addressing (linear probing) hash of the children */
            size_t tcap, tcount;
            uint64_t sub_files;     /* files in the subtree below this directory */
            uint64_t sub_dirs;      /* directories in the subtree, this one excluded */
        } d;
    } u;
    uint16_t name[];
};

struct fsi_image {
    fsi_node *root;
};

/* A node named name (len units, not checked), one reference; NULL on out of memory. */
fsi_node *fsi_node_alloc(const uint16_t *name, size_t len, int is_dir);
void fsi_node_free_streams(fsi_node *n);   /* a file's streams (streams.c) */

void fsi_err_clear(fsi_err *err);
void fsi_err_set(fsi_err *err, fsi_status code, unsigned fs, const fsi_node *n);
void fsi_err_set_path(fsi_err *err, fsi_status code, unsigned fs, const uint16_t *path, size_t len);

/* ---------------------------------------------------------------------------------------------- */
/* UDF descriptors (udf_desc.c): ECMA-167 1/7 and 3/7 structures the UDF writer, the UDF import and  */
/* identification share                                                                             */

#define FSI_UDF_MAX_EXTENT UINT32_C(0x3FFFF800)   /* largest extent: < 2^30, whole blocks */
#define FSI_UDF_AU 32u                             /* metadata allocation/alignment unit (blocks) */

/* CRC-ITU-T (x^16 + x^12 + x^5 + 1, initial 0) of ECMA-167 1/7.2.6. */
uint16_t fsi_udf_crc(const uint8_t *p, size_t n);
/* The tag checksum (ECMA-167 3/7.2.3): bytes 0-3 and 5-15 of the tag at d, modulo 256. */
uint8_t fsi_udf_tag_checksum(const uint8_t *d);
/* Fill the 16-byte tag at d for a descriptor of desc_len bytes (CRC over bytes 16..desc_len). */
void fsi_udf_tag(uint8_t *d, uint16_t id, uint16_t version, uint32_t location, size_t desc_len);
/* Is the tag at d one of identifier id recorded at loc, with a good checksum? (The descriptor's CRC
 * is not checked.) */
int fsi_udf_tag_is(const uint8_t *d, uint16_t id, uint64_t loc);
/* The same, and the CRC when the descriptor's CRC length fits the avail bytes at d. */
int fsi_udf_tag_ok(const uint8_t *d, size_t avail, uint16_t id, uint64_t loc);
/* OSTA CS0 (UDF 2.1.1): compression ID 8 when every unit < 0x100, else 16; 0 bytes for "".
 * out needs 1 + 2n bytes. Returns the bytes written. */
size_t fsi_udf_cs0(const uint16_t *s, size_t n, uint8_t *out);
size_t fsi_udf_cs0_len(const uint16_t *s, size_t n);
/* Does name fit a UDF file identifier (CS0, 255 bytes)? */
int fsi_udf_name_fits(const uint16_t *s, size_t n);
/* CS0 of n bytes to UTF-16 (out: at least n units). Compression 8 and 16 (254 and 255, the deleted
 * forms of UDF 2.50, read the same). Returns the units, or (size_t)-1. */
size_t fsi_udf_cs0_decode(const uint8_t *s, size_t n, uint16_t *out);
/* dstring of flen bytes: CS0 cut to flen - 1 bytes (never splitting a surrogate pair), length in
 * the last byte, zero padded. */
void fsi_udf_dstring(uint8_t *f, size_t flen, const uint16_t *s, size_t n);
/* 12-byte timestamp (1/7.3): written as type 1 (local time), offset 0 (UTC); read as type 1 with its
 * offset (-2047: not specified, read as UTC), types 0 and 2 as UTC. Invalid dates read as 1970. */
void fsi_udf_timestamp(uint8_t *p, fsi_time t);
fsi_time fsi_udf_timestamp_read(const uint8_t *p);
/* regid (1/7.4): identifier id, zero padded, with an 8-byte suffix (NULL: zeros); is r's id s? */
void fsi_udf_regid(uint8_t *p, const char *id, const uint8_t suffix[8]);
int fsi_udf_regid_is(const uint8_t *r, const char *s);
/* charspec CS0 "OSTA Compressed Unicode" (UDF 2.1.2), 64 bytes. */
void fsi_udf_charspec(uint8_t *p);
/* extent_ad (3/7.1), long_ad (4/14.14.2) with the UDF unique ID in its implementation use. */
void fsi_udf_extent_ad(uint8_t *p, uint32_t len, uint32_t loc);
void fsi_udf_long_ad(uint8_t *p, uint32_t len, uint32_t lb, uint16_t part, uint32_t unique);
/* Number of extents a file of size bytes takes, and the length of extent i. */
uint64_t fsi_udf_extent_count(uint64_t size);
uint32_t fsi_udf_extent_len(uint64_t size, uint64_t i);

/* LVID (ECMA-167 3/10.10, UDF 2.2.6) into a zeroed block; returns its length (udf_vds.c). */
typedef struct fsi_udf_lvid {
    int rev;
    uint32_t location;              /* absolute */
    fsi_time time;
    uint64_t next_unique;
    uint32_t nparts;                /* 1, or 2 with the metadata partition */
    uint32_t free_space[2], size[2];
    uint32_t files, dirs;
} fsi_udf_lvid;
size_t fsi_udf_write_lvid(uint8_t *blk, const fsi_udf_lvid *l);

/* ---------------------------------------------------------------------------------------------- */
/* Name mapping (names.c): the one rule for which name an item gets                                 */

/* A mapped name inside a pool: len units without ";1"; name_len = units before the extension
 * separator (ISO files: the '.' is always present at name_len; Joliet files: at name_len when
 * name_len < len; directories: name_len == len). len 0: the item keeps its own name (UDF). */
typedef struct fsi_mapped {
    uint32_t off;
    uint16_t len;
    uint16_t name_len;
} fsi_mapped;

#define FSI_ISO_L1_NAME 8u
#define FSI_ISO_L1_EXT 3u
#define FSI_ISO_L2_FILE 30u           /* name + '.' + extension */
#define FSI_ISO_L2_DIR 31u
#define FSI_JOLIET_MAX 64u

/* Map the names of the n children kids[] of one directory for fs (FSI_FS_ISO9660, FSI_FS_JOLIET or
 * FSI_FS_UDF) at ISO level (1..3; ignored for Joliet and UDF), made unique within the directory
 * (~N rule, resolved in the ISO 9.3 order of the original names; see the top of names.c); the
 * result does not depend on the order of kids[]. UDF keeps every name (out[i].len = 0) unless one
 * of them does not fit a UDF file identifier. Names are appended to pool; out[i] describes kids[i].
 * The plan's writers and fsi_map_name both name items through it. FSI_E_NO_UNIQUE_NAME: *bad = index
 * of the child that could not get a name. */
fsi_status fsi_map_children(fsi_node *const *kids, size_t n, unsigned fs, int level,
                            fsi_u16pool *pool, fsi_mapped *out, size_t *bad);

/* ECMA-119 9.3 comparison of two identifiers split as name part [0, name_len) and extension part
 * (name_len + 1, len) (empty when name_len >= len): shorter part padded with 0x20. Ties: shorter
 * whole identifier first, then raw unit order. */
int fsi_ident_cmp(const uint16_t *a, size_t alen, size_t aname, const uint16_t *b, size_t blen,
                  size_t bname);

/* Volume identifiers: ISO (d-characters, 32 bytes, space padded) / Joliet (16 UCS-2 BE units). */
void fsi_volume_id_iso(const uint16_t *name, size_t len, uint8_t out[32]);
void fsi_volume_id_joliet(const uint16_t *name, size_t len, uint8_t out[32]);

/* ---------------------------------------------------------------------------------------------- */
/* ECMA-119 structures (ecma119.c): records and descriptors of ISO 9660, Joliet and El Torito       */

#define FSI_DIRREC_FIXED 33u

/* Length of a directory record with a len_fi byte identifier (9.1: padded to even length). */
static inline size_t fsi_dirrec_len(size_t len_fi) { return FSI_DIRREC_FIXED + len_fi + !(len_fi & 1); }
/* Length of a path table record (9.4). */
static inline size_t fsi_pathrec_len(size_t len_di) { return 8 + len_di + (len_di & 1); }
/* Position at which a record of length reclen starting at or after pos goes: records never straddle
 * a block boundary (6.8.1.1). */
static inline uint64_t fsi_dirrec_place(uint64_t pos, size_t reclen)
{
    uint64_t in = pos % FSI_BLOCK_SIZE;
    if (in + reclen > FSI_BLOCK_SIZE)
        pos += FSI_BLOCK_SIZE - in;
    return pos;
}

/* 9.1.5: 7-byte recording date, UTC, offset 0. Years before 1900 / after 2155 are clamped. */
void fsi_put_date7(uint8_t *p, fsi_time t);
/* 8.4.26.1: 17-byte "YYYYMMDDHHMMSScc" + offset 0. */
void fsi_put_date17(uint8_t *p, fsi_time t);

/* Write one directory record at p; returns its length. flags: 0x01 hidden, 0x02 directory,
 * 0x80 not final extent. */
size_t fsi_write_dirrec(uint8_t *p, uint32_t lba, uint32_t size, fsi_time t, uint8_t flags,
                        const uint8_t *id, size_t len_fi);
/* Write one path table record; msb != 0 for a type M table. Returns its length. */
size_t fsi_write_pathrec(uint8_t *p, int msb, uint32_t lba, uint16_t parent, const uint8_t *id,
                         size_t len_di);

typedef struct fsi_vd_info {
    int joliet;                     /* 0: primary (type 1), 1: Joliet supplementary (type 2) */
    const uint8_t *volume_id;       /* 32 bytes ready to copy */
    uint32_t volume_space;          /* blocks */
    uint32_t path_table_size;
    uint32_t path_l, path_m;        /* absolute LBAs */
    uint32_t root_lba, root_size;
    fsi_time root_time;
    fsi_time creation;
} fsi_vd_info;
void fsi_write_vd(uint8_t *block, const fsi_vd_info *vi);
void fsi_write_vd_terminator(uint8_t *block);

/* ---------------------------------------------------------------------------------------------- */
/* Plan (plan.c builds it; store.c keeps its rendered blocks; cursor.c and overlay.c read it)       */

typedef struct fsi_plan_file {
    fsi_source *src;                /* owned reference */
    uint64_t size;
    uint32_t first_block;           /* relative to session start */
    uint32_t blocks;
} fsi_plan_file;

/* A run of rendered blocks: relative blocks [first, first + count) are store blocks store ..
 * store + count - 1 (the UDF metadata mirror shares the metadata file's blocks). */
typedef struct fsi_meta_seg {
    uint32_t first, count;
    size_t store;
} fsi_meta_seg;

#define FSI_MAX_SEGS 4

struct fsi_plan {
    int32_t refs;
    uint32_t session_start;
    uint32_t total_blocks;          /* relative */
    uint32_t data_start;            /* first relative block after the metadata */
    uint32_t data_end;              /* first relative block after the file data: the tail starts */
    /* Rendered blocks, stored compactly: store block i holds the bytes meta[meta_off[i] ..
     * meta_off[i + 1]) followed by zeros (trailing zeros are not stored, so an almost empty
     * directory block costs a few dozen bytes, not 2048). Blocks 16 .. data_start-1 and
     * data_end .. total-1 are mapped to store blocks by segs[] (sorted); unmapped ones are zero. */
    uint8_t *meta;
    uint64_t *meta_off;
    size_t nsegs;
    fsi_meta_seg segs[FSI_MAX_SEGS];
    size_t nfiles;
    fsi_plan_file *files;           /* sorted by first_block */
    size_t next;
    fsi_extent_info *ext;           /* ext[0]: metadata, ext[1 + i]: files[i], then the tail */
    uint16_t *paths;
    /* random-write (opts.base): the result is blocks 0 .. session_start + total_blocks - 1 */
    fsi_medium *base;               /* owned reference, or NULL */
    uint32_t head_end;              /* blocks 16 .. head_end - 1: the new session's relative blocks
                                       16 .., then zeros */
    uint32_t head_new;              /* blocks of the new session's recognition area (from 16) */
    uint32_t rewritten;             /* a block below the session a format rewrites (UDF: the anchor
                                       at 256), 0: none; its bytes: rewritten_blk */
    uint8_t rewritten_blk[FSI_BLOCK_SIZE];
    uint64_t bound_base;            /* fsi_size_bound_start: size and slack (1/FSI_BOUND_ONE block) */
    int bound_spread;               /* UDF 2.50+: copies kept far apart (the base leaves out the zeros) */
};

/* Bytes [in, in + n) of the plan's relative block blk (16 <= blk < data_start, or data_end <= blk
 * < total) into out: its stored bytes, zeros after them or when the block is not stored (store.c). */
void fsi_store_read(const fsi_plan *p, uint64_t blk, size_t in, uint8_t *out, size_t n);

/* Read session bytes (offsets relative to session_start * 2048) through the cursor (cursor.c). */
fsi_status fsi_cursor_read_session(fsi_cursor *c, uint64_t off, void *buf, size_t len, fsi_err *err);
/* Random-write result below the session (overlay.c): bytes [off, off + len) from block 0, all below
 * session_start. */
fsi_status fsi_overlay_read(const fsi_plan *p, uint64_t off, void *buf, size_t len, fsi_err *err);

/* ---------------------------------------------------------------------------------------------- */
/* El Torito (eltorito.c): the options' checks, for fsi_plan_build                                  */

/* Check opts->boot (count, platform, emulation and size, sector count, ID length). */
fsi_status fsi_boot_check(const fsi_plan_opts *o);

/* ---------------------------------------------------------------------------------------------- */
/* Import (import.c: the entry; import_ctx.c: what the readers share; import_iso.c: ISO 9660 /     */
/* Joliet; import_udf*.c: UDF)                                                                      */

#define FSI_IMPORT_MAX_ITEMS 10000000u   /* more items than this: FSI_E_CORRUPT */
#define FSI_IMPORT_MAX_DEPTH 1000u       /* deeper directories: FSI_E_CORRUPT */

typedef struct fsi_import_ctx {
    fsi_medium *m;
    uint64_t blocks;                /* of the medium */
    uint64_t session_start;
    unsigned fs;                    /* the file system being read (for errors) */
    fsi_image *img;                 /* the tree being built */
    fsi_import_info *info;
    fsi_import_fn progress;
    void *pctx;
    fsi_err *err;
    uint64_t items;                 /* nodes created, for FSI_IMPORT_MAX_ITEMS */
    int64_t dirs_total, files_total;/* for progress: -1 when unknown */
    fsi_u16pool path;               /* scratch for progress paths */
} fsi_import_ctx;

/* A set of block addresses (partition, logical block) for loop detection: open addressing. */
typedef struct fsi_blockset {
    uint64_t *t;                    /* key + 1; 0 is free */
    size_t n, cap;
} fsi_blockset;
/* Add (part, lb): 1 if it was there already, 0 if added, -1 on out of memory. */
int fsi_blockset_add(fsi_blockset *s, unsigned part, uint32_t lb);
int fsi_blockset_has(const fsi_blockset *s, unsigned part, uint32_t lb);
void fsi_blockset_clear(fsi_blockset *s);           /* empty, memory kept */
static inline void fsi_blockset_free(fsi_blockset *s) { free(s->t); s->t = NULL; s->n = s->cap = 0; }

/* Read count blocks at absolute lba; FSI_E_MEDIUM_READ (err: block) past the medium or on failure. */
fsi_status fsi_imp_read(fsi_import_ctx *ic, uint64_t lba, uint32_t count, void *buf);
/* FSI_E_CORRUPT for ic->fs (err: fs), with a short reason for debugging builds. */
fsi_status fsi_imp_corrupt(fsi_import_ctx *ic, const char *why);
/* Create a directory / file under parent (attached to ic->img). A name that is already in parent
 * keeps the first item (the duplicate is skipped: *out = NULL, FSI_OK). Names that the tree refuses
 * (empty, '\', '/', NUL, "." / "..") are FSI_E_CORRUPT. Counts items, reports progress (files
 * after, directories before: call fsi_imp_dir_progress when starting to read a directory). src may
 * be NULL for an empty file; the file takes its own reference. */
fsi_status fsi_imp_add_dir(fsi_import_ctx *ic, fsi_node *parent, const uint16_t *name, size_t len,
                           const fsi_times *t, int hidden, fsi_node **out);
fsi_status fsi_imp_add_file(fsi_import_ctx *ic, fsi_node *parent, const uint16_t *name, size_t len,
                            uint64_t size, fsi_source *src, const fsi_times *t, int hidden,
                            fsi_node **out);
void fsi_imp_dir_progress(fsi_import_ctx *ic, const fsi_node *dir);

fsi_status fsi_import_iso(fsi_import_ctx *ic);   /* ic->fs = FSI_FS_ISO9660 or FSI_FS_JOLIET */
fsi_status fsi_import_udf(fsi_import_ctx *ic);

#endif
