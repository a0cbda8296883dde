/*
 * The UDF import's state, shared by its three files, each using only those after it: import_udf.c
 * (the volume: anchors, volume descriptor sequences, partitions, integrity, the metadata file; the
 * entry fsi_import_udf), import_udf_tree.c (directories, named streams, the walk of the tree) and
 * import_udf_icb.c (failures, bounded reads, partition mapping, ICBs, allocation descriptors and
 * extents). See the top of import_udf.c for what is read and how hostile images are handled.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FSI_IMPORT_UDF_H
#define FSI_IMPORT_UDF_H

#include "fsi_internal.h"

#define BS FSI_BLOCK_SIZE
#define MAX_MAPS 8u                 /* partition maps of the LVD (more: FSI_E_FS_FEATURE) */
#define MAX_PDS 16u                 /* distinct partition numbers remembered */
#define MAX_VDS_BLOCKS 512u         /* descriptors read in one volume descriptor sequence */
#define MAX_LVIS_BLOCKS 64u         /* integrity descriptors read */
#define MAX_LVIS_HOPS 8u            /* next integrity extents followed */
#define CHUNK 16u                   /* directory blocks read at once */
#define FID_HDR 38u
#define MAX_ICB_HOPS 64u            /* strategy 4096: indirect entries followed */
#define MAX_INFO_LEN (UINT64_C(1) << 62)


enum {
    TAG_PVD = 1, TAG_AVDP = 2, TAG_VDP = 3, TAG_IUVD = 4, TAG_PD = 5, TAG_LVD = 6, TAG_USD = 7, TAG_TD = 8,
    TAG_LVID = 9, TAG_FSD = 256, TAG_FID = 257, TAG_AED = 258, TAG_IE = 259, TAG_FE = 261, TAG_EFE = 266,
};

enum { P_PHYS = 1, P_META = 2 };

typedef struct upart {
    int kind;
    uint16_t num;                   /* partition number (its PD) */
    uint64_t start, len;            /* the PD's partition: absolute first block, blocks */
    /* metadata partition */
    unsigned phys;                  /* index of the (hidden) physical entry the metadata file is in */
    uint32_t meta_loc, mirror_loc;
    int dup;                        /* Duplicate Metadata Flag */
    fsi_disc_extent *mx;            /* the metadata (mirror) file's extents: absolute, whole blocks */
    uint64_t *mcum;                 /* first metadata block of each extent */
    size_t nmx;
    uint64_t mblocks;               /* blocks of the metadata partition */
} upart;

typedef struct upd {
    uint16_t num;
    uint32_t seq;
    uint64_t start, len;
} upd;

typedef struct qent {
    fsi_node *dir;
    uint32_t lb;
    uint16_t part;
    uint32_t depth;
} qent;

typedef struct udf {
    fsi_import_ctx *ic;
    uint64_t budget;                /* metadata blocks that may still be read */
    uint64_t ext_budget;            /* extents that may still be made */
    /* volume descriptor sequence */
    uint8_t lvd[BS];
    int have_lvd;
    uint32_t lvd_seq;
    upd pd[MAX_PDS];
    unsigned npd;
    /* partitions: [0, nmaps) are the LVD's maps (partition reference numbers), then hidden
     * physical entries for metadata files */
    upart p[2 * MAX_MAPS];
    unsigned nmaps, np;
    int meta;                       /* index of the metadata partition, -1: none */
    uint32_t fsd_lb;
    uint16_t fsd_part;
    uint64_t vol_end;
    /* scratch */
    uint8_t fe[BS], aed[BS];
    fsi_disc_extent *ext;           /* extents of the ICBs being read, as a stack */
    uint32_t *elb;                  /* logical block of each (directories: FID tag locations) */
    size_t next, ecap, lcap;
    fsi_blockset seen;                    /* directory ICBs met */
    fsi_blockset aeds;                    /* allocation extent descriptors of the chain being read */
    qent *q;
    size_t qhead, qlen, qcap;
    /* the first failure when trying alternatives (anchors, sequences, mirror) */
    fsi_status first;
    fsi_err saved;
} udf;

typedef struct icbi {
    uint8_t type;
    uint16_t flags;
    uint64_t info_len;
    fsi_times t;
    int embedded;
    const uint8_t *emb;             /* embedded data (in u->fe) */
    size_t e0, ne;                  /* its extents: u->ext[e0 .. e0 + ne) */
    int sdir;                       /* EFE: a stream directory */
    uint16_t sdir_part;
    uint32_t sdir_lb;
    unsigned part;                  /* where the ICB is (short_ad partition) */
    uint32_t area, lad;             /* its allocation descriptors in u->fe */
} icbi;

/* ---- import_udf_icb.c ---------------------------------------------------------------------------- */

/* FSI_E_CORRUPT / FSI_E_FS_FEATURE for the UDF volume, with a short reason for debugging builds. */
fsi_status fsi_udfr_corrupt(udf *u, const char *why);
fsi_status fsi_udfr_feature(udf *u, const char *why);
/* Keep the first failure of several alternatives (and clear the error for the next one); give it
 * back. */
void fsi_udfr_keep_failure(udf *u, fsi_status st);
fsi_status fsi_udfr_first_failure(udf *u);
/* Failures another anchor, sequence or the metadata mirror may get past. */
static inline int fsi_udfr_recoverable(fsi_status st) { return st == FSI_E_CORRUPT || st == FSI_E_MEDIUM_READ; }
/* Read count blocks of metadata at absolute lba, within the budget. */
fsi_status fsi_udfr_read(udf *u, uint64_t lba, uint32_t count, void *buf);
/* Absolute block of logical block lb of partition part, and how many blocks from there (at most
 * want, at least 1) are contiguous on the medium. NULL, or why not. */
const char *fsi_udfr_map(const udf *u, unsigned part, uint64_t lb, uint64_t want, uint64_t *abs, uint64_t *run);
fsi_status fsi_udfr_read_lb(udf *u, unsigned part, uint32_t lb, uint8_t *buf);
/* The (E)FE at lb of partition part into u->fe (*ci: its type, times, descriptors), and its data:
 * the extents pushed (ci->e0, ci->ne) or the embedded bytes. */
fsi_status fsi_udfr_read_icb(udf *u, unsigned part, uint32_t lb, icbi *ci);
fsi_status fsi_udfr_icb_data(udf *u, icbi *ci);

/* ---- import_udf_tree.c --------------------------------------------------------------------------- */

/* From the File Set Descriptor to the whole tree; start again (a new empty tree). */
fsi_status fsi_udfr_walk(udf *u);
fsi_status fsi_udfr_reset_walk(udf *u);

#endif
