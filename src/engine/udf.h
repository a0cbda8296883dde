/*
 * The UDF writer's state, shared by its three files: udf.c (the layout: names, addresses, blocks;
 * the writer's operations), udf_area.c (the metadata area: FSD, (E)FEs, allocation extent
 * descriptors, FIDs; the metadata file EFEs) and udf_vds.c (volume structures: volume identifiers,
 * recognition sequence, volume descriptor sequences, integrity, anchors), each using only those
 * after it. See the top of udf.c for the layout and the choices.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FSI_UDF_H
#define FSI_UDF_H

#include "writer.h"

#define FSI_UDF_VDS_BLOCKS 16u      /* a volume descriptor sequence's extent */
#define FSI_UDF_FE_HDR 176u
#define FSI_UDF_EFE_HDR 216u
#define FSI_UDF_AED_HDR 24u

/* A file's stream directory (UDF 2.00+) and its streams ps[first .. first + n). */
typedef struct fsi_psdir {
    uint32_t item;                  /* the file: index in the snapshot */
    uint32_t first, n;
    uint32_t fe;                    /* logical block of the stream directory EFE in the area */
    uint32_t dir;                   /* logical block of its FID stream */
    uint32_t dsize;                 /* bytes of FIDs */
} fsi_psdir;

typedef struct fsi_pstream {
    uint32_t index;                 /* stream index in the node */
    uint32_t fe, aeds;              /* its EFE (+ allocation extent descriptors) in the area */
    uint32_t file;                  /* index in the plan's files[] (FSI_NONE: empty stream) */
} fsi_pstream;

/* One item of the snapshot in UDF. */
typedef struct fsi_uitem {
    uint32_t fe;                    /* logical block of the (E)FE in the UDF metadata area */
    uint32_t aeds;                  /* allocation extent descriptor blocks following the FE */
    uint32_t dir;                   /* dirs: logical block of the FID stream in the area */
    uint32_t dsize;                 /* dirs: bytes of FIDs */
    uint16_t links;                 /* file link count */
    fsi_mapped name;                /* in pool; len 0: the node's own name */
} fsi_uitem;

/* The UDF writer (relative blocks unless said otherwise). */
typedef struct fsi_udf {
    fsi_writer w;
    int rev;                        /* 0x102 ... 0x260 */
    int metadata;                   /* rev >= 0x250: metadata partition */
    int mirror;                     /* metadata mirror file with its own copy */
    uint32_t vrs;                   /* BEA01 */
    uint32_t mvds, rvds, lvis, avdp;  /* rvds: 64, or (2.50+) after the partition */
    uint32_t part, part_len;        /* physical partition */
    uint32_t area;                  /* first block of the UDF metadata area (2.50: metadata file data) */
    uint32_t area_blocks;           /* its length (2.50: a multiple of the allocation unit) */
    uint32_t area_used;             /* what its contents take, before that rounding */
    uint32_t gap;                   /* 2.50+: zero blocks between the file data and the tail */
    uint32_t area_lb;               /* logical block of the area's first block in its partition */
    uint32_t mirror_at;             /* 2.50 with mirror: first block of the mirror copy (at the end
                                       of the partition, after the file data) */
    size_t area_store;              /* store block of the area's first block */
    uint32_t avdp_last;             /* the last block */
    uint32_t lb0;                   /* blocks the physical partition starts before session_start + part
                                       (multisession: so that it holds the referenced old extents);
                                       a multiple of FSI_UDF_AU. Logical blocks of the physical
                                       partition are relative block - part + lb0. */
    uint64_t files, dirs;           /* LVID counts (dirs include the root) */
    uint64_t next_unique;
    fsi_uitem *u;                   /* by item */
    fsi_u16pool pool;               /* names mapped (a directory with a name too long for UDF) */
    /* named streams (2.00+): one stream directory per file that has streams written, in item
     * order, and their streams */
    fsi_psdir *sd;
    size_t nsd;
    fsi_pstream *ps;
    size_t nps;
} fsi_udf;

static inline uint32_t fsi_udf_abs(const fsi_udf *x, uint32_t rel) { return x->w.s->o->session_start + rel; }
static inline uint16_t fsi_udf_tag_version(int rev) { return rev >= 0x200 ? 3 : 2; }
/* Unique IDs: root 0, the other items 16, 17, ... in plan order (UDF 3.2.1.1). */
static inline uint64_t fsi_udf_unique(size_t i) { return i ? 15 + (uint64_t)i : 0; }
static inline size_t fsi_udf_fid_len(size_t lfi) { return (38 + lfi + 3) & ~(size_t)3; }

/* Item i's name in UDF. */
static inline const uint16_t *fsi_udf_name(const fsi_udf *x, size_t i, size_t *len)
{
    const fsi_uitem *c = &x->u[i];
    if (c->name.len) {
        *len = c->name.len;
        return x->pool.p + c->name.off;
    }
    *len = x->w.s->it[i].node->name_len;
    return x->w.s->it[i].node->name;
}

/* Stream j of stream directory d. */
static inline const fsi_stream *fsi_udf_stream(const fsi_udf *x, const fsi_psdir *d, uint32_t j)
{
    return &x->w.s->it[d->item].node->u.f.streams[x->ps[d->first + j].index];
}

/* Identifiers: implementation "*IMAPI2FS OPEN" (OS class 6 = Windows NT, OS identifier 0); UDF
 * identifiers with the revision; domain "*OSTA UDF Compliant" (no write protection). */
static inline void fsi_udf_impl_id(uint8_t *p)
{
    static const uint8_t suf[8] = { 6, 0 };
    fsi_udf_regid(p, "*IMAPI2FS OPEN", suf);
}

static inline void fsi_udf_udf_id(uint8_t *p, const char *id, int rev)
{
    uint8_t suf[8] = { (uint8_t)rev, (uint8_t)(rev >> 8), 6, 0 };
    fsi_udf_regid(p, id, suf);
}

static inline void fsi_udf_domain_id(uint8_t *p, int rev)
{
    uint8_t suf[8] = { (uint8_t)rev, (uint8_t)(rev >> 8), 0 };  /* domain flags: no write protect */
    fsi_udf_regid(p, "*OSTA UDF Compliant", suf);
}

/* ---- udf_area.c --------------------------------------------------------------------------------- */

/* An (E)FE and where its data is (udf_area.c). */
typedef struct fsi_udf_icb {
    int efe, ad_long;
    uint8_t file_type;
    uint16_t links;
    uint32_t perms;
    uint64_t info_len, blocks;
    fsi_time access, mod, create;
    uint64_t unique;
    uint32_t lb;                    /* logical block of the FE in its partition (tag location) */
    uint16_t own_part;              /* partition reference of the FE (for long_ad continuations) */
    /* data: one contiguous run at data_lb of info_len bytes (zero: no descriptors) */
    uint32_t data_lb;
    uint16_t data_part;             /* long_ad only */
    uint32_t max_ext;               /* largest extent (bytes) */
    uint16_t flags;                 /* ICB tag flags besides the descriptor type (0x2000: a stream) */
    uint64_t obj_size;              /* EFE object size when it differs from info_len (streams), else 0 */
    int sdir;                       /* EFE: a stream directory at sdir_lb of partition sdir_part */
    uint32_t sdir_lb;
    uint16_t sdir_part;
    /* instead of data_lb: runs of absolute blocks (imported files), in the physical partition
     * that starts at absolute block part_abs */
    const fsi_disc_extent *runs;
    uint32_t nruns;
    uint32_t part_abs;
} fsi_udf_icb;

/* Allocation extent descriptor blocks an ICB with nad descriptors needs after its FE. */
uint64_t fsi_udf_icb_aeds(uint64_t nad, int efe, int ad_long);
/* The FE (block 0 of buf) and its AEDs (blocks 1..) into zeroed buf. */
void fsi_udf_render_icb(uint8_t *buf, const fsi_udf_icb *c, int rev);
/* The metadata (mirror) file EFE (2.50+), in the physical partition. */
void fsi_udf_meta_fe(const fsi_udf *x, uint8_t *buf, int is_mirror);
/* The metadata area: FSD, TD, every (E)FE, the FID streams; x->area_store is set. */
int fsi_udf_render_area(fsi_udf *x, const fsi_plan *p, fsi_meta_store *ms);

/* ---- udf_vds.c ---------------------------------------------------------------------------------- */

/* The volume name as fsi_volume_name(FSI_FS_UDF) gives it (at most 32 units), and the logical volume
 * identifier dstring of flen bytes: the name, or the volume set identifier when it is empty. */
void fsi_udf_vol_name(const fsi_udf *x, uint16_t *out, size_t *len);
void fsi_udf_lv_ident(const fsi_udf *x, uint8_t *f, size_t flen);
/* BEA01, NSR02 or NSR03, TEA01. */
int fsi_udf_render_vrs(const fsi_udf *x, fsi_meta_store *ms);
/* From the store's block up to the partition: the main (and 1.02 - 2.01 reserve) VDS, the integrity
 * sequence, the anchor at 256, zeros between them. */
int fsi_udf_render_volume(const fsi_udf *x, fsi_meta_store *ms);
/* A volume descriptor sequence at relative block at (16 blocks: 6 descriptors, then zeros). */
int fsi_udf_render_vds(const fsi_udf *x, fsi_meta_store *ms, uint32_t at);
/* An AVDP recorded at absolute block loc into a zeroed block; a TD. */
void fsi_udf_write_avdp(const fsi_udf *x, uint8_t *d, uint32_t loc);
void fsi_udf_write_td(int rev, uint8_t *d, uint32_t loc);

#endif
