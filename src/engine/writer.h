/*
 * The writer chain: how fsi_plan_build (plan.c) lays out and renders an image, one writer per format,
 * in the spirit of libisofs' writer.h (compute_data_blocks, write_vol_desc, write_data, free_data),
 * adapted to a pull model: every metadata block is rendered once, into the plan's store (store.c),
 * and the cursor later serves any block range from it and from the file sources.
 *
 *   snapshot.c   the tree, breadth first in ISO 9660 order, with its ISO 9660 names; which imported
 *                files stay where they are (multisession)
 *   writers      iso9660.c, eltorito.c, joliet.c, udf.c (with udf_vds.c and udf_area.c), in this
 *                order, each behind fsi_writer_ops; plan.c lists them (fsi_writers)
 *   plan.c       creates the writers of the selected formats, lets each check the snapshot, then
 *                asks them phase by phase for blocks from the next free one (their reservations),
 *                places the file data, and renders every reservation, in block order, into the store
 *
 * Phases (fsi_phase), in block order:
 *   DESC    from block 16, the ECMA-119 volume descriptor set: PVD (iso9660, or eltorito's stub when
 *           there is no ISO 9660 tree), boot record at 17 (eltorito), Joliet SVD (joliet); the plan
 *           closes the set with its terminator
 *   VRS     the extended area: BEA01, NSR02/NSR03, TEA01 (udf)
 *   META    the boot catalog and the stub's tree (eltorito); UDF's volume structures at their fixed
 *           blocks (32, 64, 96, 256), the partition's first blocks and the UDF metadata (udf)
 *   TABLES  path tables: ISO 9660 L and M (iso9660), Joliet L and M (joliet)
 *   DIRS    directory extents: ISO 9660's (iso9660), Joliet's (joliet)
 *           (then the file data, which the plan places: boot images, files, their named streams)
 *   TAIL    after the data: the UDF metadata mirror, reserve VDS (2.50+) and last anchor (udf)
 * A writer reserves blocks by advancing the next free block; what it reserves it renders, and only
 * that (the store refuses blocks past the reservation; what a writer leaves is zeros). Adding a
 * format is a file with its fsi_writer_ops and a line in fsi_writers.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FSI_WRITER_H
#define FSI_WRITER_H

#include "fsi_internal.h"

#define FSI_NONE UINT32_MAX

/* ---------------------------------------------------------------------------------------------- */
/* The snapshot (snapshot.c)                                                                        */

/* One item of the snapshot. Items are in breadth-first order; the children of a directory are
 * [first, first + nkids), in ISO 9660 order when ISO 9660 or Joliet is written (ECMA-119 9.3 of
 * their ISO 9660 names), else in name order. So the directories are in ISO 9660 path table order
 * (6.9.1: by level, then parent number, then identifier). */
typedef struct fsi_pitem {
    const fsi_node *node;
    uint32_t parent;
    uint32_t first, nkids;
    uint32_t level;                 /* dirs: root = 1 */
    uint32_t plen;                  /* dirs: ISO 9660 path length */
    uint32_t file;                  /* files with data: index in the plan's files[]; FSI_NONE otherwise */
    uint32_t ref_first, ref_n;      /* imported files referenced in place: runs rext[ref_first ..
                                       + ref_n) (absolute); ref_n = 0 otherwise */
} fsi_pitem;

typedef struct fsi_snap {
    /* set before fsi_snap_take */
    const fsi_plan_opts *o;
    fsi_err *err;
    int trees;                      /* ISO 9660 or Joliet: the ECMA-119 hierarchies are written */
    int level;                      /* ISO 9660 level (3 without them) */
    uint32_t head_end;              /* opts->base: blocks 16 .. head_end - 1 are rewritten */
    uint32_t reuse_floor;           /* old blocks below this are not referenced in place */
    uint32_t rewritten;             /* opts->base: a block below the session a format rewrites, or 0 */
    /* the snapshot */
    fsi_pitem *it;
    size_t n, cap;
    fsi_mapped *iso;                /* by item: the ISO 9660 names in pool (trees only) */
    size_t icap;
    fsi_u16pool pool;
    fsi_disc_extent *rext;          /* imported files' runs referenced in place, absolute */
    size_t nrext, rcap;
} fsi_snap;

/* Take the snapshot of the tree under root (items, ISO 9660 names; the ECMA-119 tree rules of
 * strict mode and the 2 GiB ceiling of levels 1 and 2; multisession extents kept in place). Errors
 * fill s->err. */
fsi_status fsi_snap_take(fsi_snap *s, const fsi_node *root);
void fsi_snap_free(fsi_snap *s);

static inline fsi_status fsi_fail(fsi_err *err, fsi_status st, unsigned fs, const fsi_node *n)
{
    fsi_err_set(err, st, fs, n);
    return st;
}

/* ---------------------------------------------------------------------------------------------- */
/* The metadata store (store.c): what writers render                                                */

typedef struct fsi_meta_store {
    uint8_t *data;
    size_t len, cap;
    uint64_t *off;                  /* store block i: data[off[i] .. off[i + 1]), then zeros */
    size_t nblk, ocap;              /* blocks stored; room for offsets */
    size_t nsegs;
    fsi_meta_seg segs[FSI_MAX_SEGS];
    uint64_t at;                    /* the relative block the next block stored is */
    uint64_t end;                   /* blocks from here on are not this reservation's */
} fsi_meta_store;

/* Room for the offsets of blocks blocks (more are made room for as they come); 0 on out of memory. */
int fsi_store_init(fsi_meta_store *ms, size_t blocks);
/* Store n blocks of buf (trailing zeros are not kept) / n zero blocks, from ms->at. 0 on out of
 * memory, or when they would pass ms->end. */
int fsi_store_blocks(fsi_meta_store *ms, const uint8_t *buf, size_t n);
int fsi_store_zeros(fsi_meta_store *ms, size_t n);
/* Zero blocks up to relative block rel: stored (a few bytes each: the area before the file data
 * stays one segment) / not stored (read as zeros: gaps after the file data). */
int fsi_store_zeros_to(fsi_meta_store *ms, uint64_t rel);
int fsi_store_skip_to(fsi_meta_store *ms, uint64_t rel);
/* The next n blocks are store blocks store .. store + n - 1 again (the UDF metadata mirror). */
int fsi_store_repeat(fsi_meta_store *ms, size_t store, size_t n);
/* Hand the rendered blocks over to p (meta, meta_off, segs); ms is left empty. */
void fsi_store_give(fsi_meta_store *ms, fsi_plan *p);
void fsi_store_free(fsi_meta_store *ms);

/* ---------------------------------------------------------------------------------------------- */
/* Writers                                                                                          */

enum fsi_phase { FSI_PH_DESC, FSI_PH_VRS, FSI_PH_META, FSI_PH_TABLES, FSI_PH_DIRS, FSI_PH_TAIL, FSI_PHASES };

typedef struct fsi_writer fsi_writer;

/* Place the data of a file item's named stream st right after the file's (and the other streams
 * before it); *file: its index in the plan's files[]. */
typedef fsi_status (*fsi_place_fn)(void *ctx, const fsi_stream *st, uint32_t *file);

/* A format's writer. selected, create, reserve, render and free are always there; the others may
 * be NULL (nothing to check, no streams, nothing rewritten, no part in the size bound). */
typedef struct fsi_writer_ops {
    const char *name;
    /* Is the format in an image planned with o? */
    int (*selected)(const fsi_plan_opts *o);
    /* A writer over s (options set, not taken yet); NULL on out of memory. */
    fsi_writer *(*create)(const fsi_snap *s);
    /* The snapshot is taken: the format's names, order, sizes and rules (errors: s->err). */
    fsi_status (*check)(fsi_writer *w);
    /* Take the blocks of phase ph from *next (relative, advanced past them). */
    fsi_status (*reserve)(fsi_writer *w, enum fsi_phase ph, uint64_t *next);
    /* Render what ph reserved into ms, which stands at its first block; p has its files placed and
     * its total. 0 on out of memory. */
    int (*render)(fsi_writer *w, enum fsi_phase ph, const fsi_plan *p, fsi_meta_store *ms);
    /* Data of item i the format records after the file's own (UDF named streams): place each; NULL
     * when the format records none. */
    fsi_status (*streams)(fsi_writer *w, uint32_t i, fsi_place_fn place, void *ctx);
    /* Random-write (opts.base): the block below the session the format rewrites into blk (UDF: the
     * anchor at 256, w->rewrites); NULL when it rewrites none. */
    void (*rewrite)(const fsi_writer *w, uint8_t *blk);
    /* Size bound (engine.h, units of 1/FSI_BOUND_ONE block): what the planned layout can grow beyond
     * what item_bound counts for later items; what item n (not its children) or a named stream can
     * add to an image planned with o at ISO level (3 without ISO 9660 and Joliet). */
    uint64_t (*slack)(const fsi_writer *w);
    uint64_t (*item_bound)(const fsi_plan_opts *o, const fsi_node *n, int level);
    uint64_t (*stream_bound)(const fsi_plan_opts *o, const uint16_t *name, size_t len, uint64_t size);
    void (*free)(fsi_writer *w);
} fsi_writer_ops;

struct fsi_writer {
    const fsi_writer_ops *ops;
    const fsi_snap *s;
    uint32_t reuse_floor;           /* multisession: old blocks below this cannot be referenced */
    uint32_t rewrites;              /* random-write: the block below the session it rewrites, 0: none */
    int spread;                     /* size bound: zeros that keep copies apart grow with the image */
    uint32_t spread_blocks;         /* those zeros in this plan (the bound's base leaves them out) */
};

extern const fsi_writer_ops fsi_iso9660_writer, fsi_eltorito_writer, fsi_joliet_writer, fsi_udf_writer;
/* The writers, in chain order (plan.c). */
extern const fsi_writer_ops *const fsi_writers[];
extern const size_t fsi_nwriters;

/* File data (plan.c): a file of FSI_ALIGN_MIN bytes or more starts on an even absolute block, one of
 * FSI_ALIGN_BIG bytes or more on a multiple of 32 blocks. */
#define FSI_ALIGN_MIN (UINT64_C(1) << 20)
#define FSI_ALIGN_BIG (UINT64_C(8) << 20)

/* ---------------------------------------------------------------------------------------------- */
/* ECMA-119 directory hierarchies (iso9660.c): ISO 9660's, and Joliet's over the same items         */

typedef struct fsi_ecma_dir {
    uint32_t num;                   /* path table directory number */
    uint32_t lba;                   /* relative block of its extent */
    uint32_t size;                  /* bytes of its extent */
} fsi_ecma_dir;

typedef struct fsi_hier {
    const fsi_snap *s;
    int joliet;                     /* identifiers in UCS-2 BE, measured in Joliet's limits */
    unsigned fs;                    /* for errors: FSI_FS_ISO9660 or FSI_FS_JOLIET */
    const fsi_u16pool *pool;        /* identifiers: pool->p + name[i].off, name[i].len units */
    const fsi_mapped *name;         /* by item */
    const uint32_t *order;          /* record order: the j-th child of d is order[d->first + j];
                                       NULL: the snapshot's, d->first + j */
    fsi_ecma_dir *d;                /* by item (directories) */
    uint32_t *dirs;                 /* directories in path table order */
    size_t ndirs;
    uint32_t pt_size;               /* bytes of each path table */
    uint32_t vd;                    /* its volume descriptor */
    uint32_t pt_l, pt_m;            /* first blocks of the type L and M path tables */
} fsi_hier;

/* Number the directories in path table order (breadth first in record order); strict mode refuses a
 * parent number over 65535 (FSI_E_TOO_MANY_DIRS naming number_fs). Then measure: directory extents
 * and path tables. */
fsi_status fsi_hier_number(fsi_hier *h, unsigned number_fs);
fsi_status fsi_hier_measure(fsi_hier *h);

/* The writer of a hierarchy (ISO 9660's, Joliet's) begins with this. Its blocks: its volume
 * descriptor (DESC: the PVD or Joliet's SVD), its type L and M path tables (TABLES), its directory
 * extents (DIRS); their rendering; the slack of its directories and path tables. */
typedef struct fsi_hier_writer {
    fsi_writer w;
    fsi_hier h;
} fsi_hier_writer;
fsi_status fsi_hier_reserve(fsi_writer *w, enum fsi_phase ph, uint64_t *next);
int fsi_hier_render(fsi_writer *w, enum fsi_phase ph, const fsi_plan *p, fsi_meta_store *ms);
uint64_t fsi_hier_slack(const fsi_writer *w);
/* What an item adds to a hierarchy at most (units): parts records of rec bytes and, for a directory,
 * its extent and a path table record of pathrec bytes in each table. */
uint64_t fsi_hier_item_bound(int joliet, int level, uint64_t parts, size_t rec, size_t pathrec, int is_dir);
/* Directory records of a file of size bytes: one per part of at most 4 GiB - 2048 (level 3). */
uint64_t fsi_hier_parts(int level, uint64_t size);
void fsi_hier_free(fsi_hier *h);

/* ---------------------------------------------------------------------------------------------- */
/* Size bound helpers (engine.h: fsi_size_bound)                                                    */

#define FSI_ONE FSI_BOUND_ONE

/* bytes as units of per_block bytes a block, rounded up */
static inline uint64_t fsi_units(uint64_t bytes, uint64_t per_block)
{
    return (bytes * FSI_ONE + per_block - 1) / per_block;
}

/* Something of size bytes, filled per_block bytes a block at least but the last, takes at most
 * bytes / per_block + 1 blocks: its slack is that less the blocks it takes. */
static inline uint64_t fsi_bytes_slack(uint64_t bytes, uint64_t per_block, uint64_t blocks)
{
    uint64_t bound = fsi_units(bytes, per_block) + FSI_ONE;
    return bound > blocks * FSI_ONE ? bound - blocks * FSI_ONE : 0;
}

#endif
