/*
 * imapi2fs layout engine: portable C API (no Windows headers).
 *
 * Data flows one way:  tree (fsi_image)  ->  layout plan (fsi_plan)  ->  sector stream (fsi_cursor).
 *
 *  - The tree holds items (directories, files) with UTF-16 names, times and a data source per file.
 *  - fsi_plan_build() maps names per file system, assigns every block of the image once and renders
 *    all metadata (volume descriptors, path tables, directory records). The plan is a snapshot: it
 *    holds references to the data sources it needs and stays valid after the tree changes or is
 *    freed.
 *  - fsi_cursor_read() produces image bytes at any offset. File data is read from its source only
 *    when those bytes are read (the source is opened then and closed when the cursor moves past it).
 *
 * Units: a "block" is 2048 bytes (FSI_BLOCK_SIZE); sizes in bytes are uint64_t.
 * Names and paths are UTF-16 code units (uint16_t), not NUL-terminated unless stated; paths use '\'
 * as separator and start with '\' for the root, as IMAPI2FS does.
 * Times are fsi_time: 100-ns ticks since 1601-01-01 00:00 UTC (Windows FILETIME), signed.
 *
 * Thread safety: an fsi_image is not internally locked (the caller serialises access to one image).
 * An fsi_plan is immutable and may be shared by several cursors on several threads; each fsi_cursor
 * is used by one thread at a time.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FSI_ENGINE_H
#define FSI_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FSI_BLOCK_SIZE 2048u

/* File systems, same bit values as IMAPI2FS FsiFileSystems. */
enum {
    FSI_FS_NONE    = 0,
    FSI_FS_ISO9660 = 1,
    FSI_FS_JOLIET  = 2,
    FSI_FS_UDF     = 4,
};

#define FSI_FS_UNKNOWN 0x40000000u   /* FsiFileSystemUnknown: a volume, but none of the above */

/* Engine status codes. The COM layer maps each one to an IMAPI2FS HRESULT. */
typedef enum fsi_status {
    FSI_OK = 0,
    FSI_E_NOMEM,            /* E_OUTOFMEMORY */
    FSI_E_INVALID_PARAM,    /* IMAPI_E_INVALID_PARAM: bad argument (empty name, bad level, ...) */
    FSI_E_INVALID_NAME,     /* IMAPI_E_INVALID_PATH: a name with '\', '/', NUL, or "." / ".." */
    FSI_E_DUP_NAME,         /* IMAPI_E_DUP_NAME: an item of that name exists in the directory */
    FSI_E_NOT_FOUND,        /* IMAPI_E_ITEM_NOT_FOUND */
    FSI_E_NOT_DIR,          /* IMAPI_E_NOT_DIR: a path component is a file */
    FSI_E_NO_UNIQUE_NAME,   /* IMAPI_E_NO_UNIQUE_NAME (err.fs says which file system) */
    FSI_E_DATA_TOO_BIG,     /* IMAPI_E_DATA_TOO_BIG: file too large for err.fs at this level */
    FSI_E_TOO_MANY_DIRS,    /* IMAPI_E_TOO_MANY_DIRS (path table parent number > 65535), strict only */
    FSI_E_ISO9660_LEVELS,   /* IMAPI_E_ISO9660_LEVELS (depth > 8), strict only */
    FSI_E_NO_OUTPUT,        /* IMAPI_E_NO_OUTPUT: no file system selected */
    FSI_E_IMAGE_TOO_BIG,    /* more than 2^32-1 blocks */
    FSI_E_READ,             /* IMAPI_E_DATA_STREAM_READ_FAILURE: a source could not be opened/read */
    FSI_E_INCONSISTENT,     /* IMAPI_E_DATA_STREAM_INCONSISTENCY: a source is shorter/longer than recorded */
    FSI_E_RANGE,            /* read past the end of the image */
    FSI_E_CORRUPT,          /* IMAPI_E_FILE_SYSTEM_READ_CONSISTENCY_ERROR: an imported volume's metadata
                               is inconsistent (err.fs says which file system) */
    FSI_E_FS_NOT_FOUND,     /* IMAPI_E_FILE_SYSTEM_NOT_FOUND: the medium holds no such file system */
    FSI_E_FS_FEATURE,       /* IMAPI_E_FILE_SYSTEM_FEATURE_NOT_SUPPORTED: e.g. interleaved ISO files */
    FSI_E_MEDIUM_READ,      /* IMAPI_E_IMPORT_READ_FAILURE: a block of the medium could not be read
                               (err.expected = the block) */
} fsi_status;

typedef int64_t fsi_time;   /* 100-ns ticks since 1601-01-01 UTC */

/* Unix seconds <-> fsi_time. */
#define FSI_TIME_UNIX_EPOCH INT64_C(116444736000000000)
static inline fsi_time fsi_time_from_unix(int64_t sec, int32_t nsec)
{ return FSI_TIME_UNIX_EPOCH + sec * 10000000 + nsec / 100; }

/* Error detail: which item (full image path) and which file system a failure is about. */
#define FSI_ERR_PATH_MAX 1024
typedef struct fsi_err {
    fsi_status code;
    unsigned   fs;                          /* FSI_FS_* the failure concerns, or 0 */
    size_t     path_len;                    /* UTF-16 units in path (truncated to FSI_ERR_PATH_MAX) */
    uint16_t   path[FSI_ERR_PATH_MAX];      /* image path of the item, e.g. "\dir\file.txt" */
    uint64_t   expected, found;             /* sizes, for FSI_E_INCONSISTENT */
} fsi_err;

/* ---------------------------------------------------------------------------------------------- */
/* Data sources: where a file's bytes come from. Reference counted; the tree and each plan hold a   */
/* reference. open() is called when the first of the file's blocks is read, close() right after    */
/* the last, so at most one source per cursor is open at a time.                                    */

typedef struct fsi_source fsi_source;
typedef struct fsi_source_ops {
    /* Open for reading; *handle is passed to read/close. Return FSI_E_READ if it cannot be opened. */
    fsi_status (*open)(fsi_source *src, void **handle);
    /* Read up to len bytes at byte offset off; *got < len only at the end of the data. */
    fsi_status (*read)(fsi_source *src, void *handle, uint64_t off, void *buf, size_t len, size_t *got);
    void (*close)(fsi_source *src, void *handle);
    /* Called when the last reference goes. */
    void (*destroy)(fsi_source *src);
} fsi_source_ops;

struct fsi_source {
    const fsi_source_ops *ops;
    int32_t refs;                           /* atomic; starts at 1 */
};

void fsi_source_ref(fsi_source *src);
void fsi_source_unref(fsi_source *src);

/* A source reading a file by POSIX path (UTF-8). Available on every platform the engine builds on
 * (stdio/open based); the COM layer uses its own Win32 sources. NULL on out of memory. */
fsi_source *fsi_source_new_path(const char *path);
/* A source over a caller buffer that must outlive the source (tests). */
fsi_source *fsi_source_new_memory(const void *data, size_t size);
/* The same over a malloc'ed buffer that the source takes: freed when the last reference goes
 * (NULL on out of memory, data then still the caller's). */
fsi_source *fsi_source_new_memory_owned(void *data, size_t size);

/* ---------------------------------------------------------------------------------------------- */
/* Media: an existing volume (an earlier session, an image file) read in 2048-byte blocks.          */

/* Read count 2048-byte blocks at lba into buf; return 0 on success. Called from several threads at
 * once when several cursors read imported files; the callee serialises if it must. */
typedef int (*fsi_read_blocks_fn)(void *ctx, uint64_t lba, uint32_t count, void *buf);

typedef struct fsi_medium fsi_medium;
/* A reference-counted medium of total_blocks blocks; release(ctx) runs when the last reference goes
 * (the medium, every imported file's source and every plan that copies from it hold one). NULL on
 * out of memory (release is then not called). */
fsi_medium *fsi_medium_new(fsi_read_blocks_fn read, void *ctx, void (*release)(void *ctx),
                           uint64_t total_blocks);
void fsi_medium_ref(fsi_medium *m);
void fsi_medium_unref(fsi_medium *m);
uint64_t fsi_medium_blocks(const fsi_medium *m);
/* Read blocks with bounds check: FSI_E_MEDIUM_READ if lba + count exceeds the medium or read fails. */
fsi_status fsi_medium_read(fsi_medium *m, uint64_t lba, uint32_t count, void *buf);

/* Where an imported file's bytes are on the medium: len bytes from absolute block lba. The data of a
 * file is its extents in order; every extent but the last is a whole number of blocks. lba
 * FSI_HOLE: len bytes of zeros that are not recorded (UDF unrecorded or unallocated extents). */
#define FSI_HOLE UINT64_MAX
typedef struct fsi_disc_extent {
    uint64_t lba;
    uint64_t len;
} fsi_disc_extent;

/* A source reading a file's data from the medium: the extents (copied), or, when n == 0, size bytes
 * of data embedded in the file's ICB (copied). A plan references such a file's extents in place
 * instead of copying them when fsi_plan_opts.reuse_end allows (multisession); otherwise the data is
 * read from the medium like any other source. NULL on out of memory. */
fsi_source *fsi_source_new_medium(fsi_medium *m, const fsi_disc_extent *ext, size_t n,
                                  const void *embedded, size_t size);
/* The extents of a medium source (NULL and *n = 0 for any other source or embedded data). */
const fsi_disc_extent *fsi_source_disc_extents(const fsi_source *src, size_t *n);

/* ---------------------------------------------------------------------------------------------- */
/* The tree. Item names are case-sensitive and unique within their directory.                       */

typedef struct fsi_image fsi_image;
typedef struct fsi_node fsi_node;

fsi_image *fsi_image_new(void);             /* NULL on out of memory */
void fsi_image_free(fsi_image *img);
/* A deep copy of the tree (names, times, hidden flags, sizes); data sources are shared. For change
 * points. FSI_E_NOMEM leaves *out NULL. O(items). */
fsi_status fsi_image_clone(const fsi_image *img, fsi_image **out);
/* A copy of img as it would be after an addition to directory dir of its tree: a copy of src (with
 * its subtree) when whole, else copies of src's children, merged in as fsi_dir_merge does (a
 * directory meeting a directory merges, anything else replaces). img and src are not changed; for
 * the size an addition would give (fsi_size_bound). FSI_E_NOT_FOUND if dir is not in img's tree. */
fsi_status fsi_image_clone_with(const fsi_image *img, const fsi_node *dir, const fsi_node *src, int whole,
                                fsi_image **out);
fsi_node *fsi_image_root(fsi_image *img);

uint64_t fsi_image_file_count(const fsi_image *img);        /* files in the tree */
uint64_t fsi_image_dir_count(const fsi_image *img);         /* directories, root excluded */

/* Nodes are reference counted so that a caller (a COM item) can keep one alive after it is removed
 * from the tree. A node created detached (fsi_node_new_*) starts with one reference owned by the
 * caller; attaching it gives the tree its own reference. */
void fsi_node_ref(fsi_node *n);
void fsi_node_unref(fsi_node *n);

/* Create a detached directory / file item. name: 1..255 UTF-16 units, none of '\', '/', NUL, not
 * "." or "..". A file takes its own reference on src (may be NULL for an empty file with size 0). */
fsi_status fsi_node_new_dir(const uint16_t *name, size_t name_len, fsi_node **out);
fsi_status fsi_node_new_file(const uint16_t *name, size_t name_len, uint64_t size, fsi_source *src,
                             fsi_node **out);

/* Attach a detached node under directory dir. With replace = 0 an existing item of the same name
 * fails with FSI_E_DUP_NAME; with replace != 0 it is removed first. Counts are updated when dir is
 * in img's tree; img may be NULL when dir is itself detached (building a subtree). */
fsi_status fsi_dir_attach(fsi_image *img, fsi_node *dir, fsi_node *child, int replace);

/* Merge the children of detached directory src into dir, recursively; on a name collision the item
 * from src wins (a directory meeting a directory merges). All or nothing: on failure (only
 * FSI_E_NOMEM) the tree is unchanged. src is consumed (emptied) on success. */
fsi_status fsi_dir_merge(fsi_image *img, fsi_node *dir, fsi_node *src);
/* Move the whole tree of src (an imported session, fsi_import) into directory dir of img, as
 * fsi_dir_merge does (on a name collision src's item wins). O(items of src). All or nothing: on
 * failure (FSI_E_NOMEM) both are unchanged; on success src is left with an empty root. */
fsi_status fsi_image_merge(fsi_image *img, fsi_node *dir, fsi_image *src);

/* Set the data of a detached file item (IFsiFileItem::put_Data before Add): takes a reference on
 * src (NULL with size 0 for an empty file) and drops the old one. FSI_E_INVALID_PARAM for a
 * directory or an attached node. */
fsi_status fsi_node_set_file_data(fsi_node *n, uint64_t size, fsi_source *src);

/* Detach n from its parent (and the tree). A directory is detached with its whole subtree.
 * Counts are updated. The tree's reference is dropped. */
void fsi_node_detach(fsi_image *img, fsi_node *n);

/* Child of dir by exact name, or NULL. O(1) on average. */
fsi_node *fsi_dir_lookup(const fsi_node *dir, const uint16_t *name, size_t name_len);
/* Walk a relative path ("a\b\c", '/' accepted too, leading '\' allowed) from dir. */
fsi_status fsi_dir_walk(const fsi_node *dir, const uint16_t *path, size_t path_len, fsi_node **out);

/* Children in insertion order; index 0..count-1. */
size_t fsi_dir_child_count(const fsi_node *dir);
fsi_node *fsi_dir_child(const fsi_node *dir, size_t index);

int fsi_node_is_dir(const fsi_node *n);
/* Where n stands (for the COM items, which outlive changes to the tree): 1 in img's tree; 0 in a
 * subtree that is no tree's (made detached, and what was built under it); -1 out of a tree it was
 * in (it or an ancestor was removed or replaced, or its tree was freed: a rolled-back one). O(depth). */
int fsi_node_standing(const fsi_image *img, const fsi_node *n);
fsi_node *fsi_node_parent(const fsi_node *n);               /* NULL for root or detached */
const uint16_t *fsi_node_name(const fsi_node *n, size_t *len);
/* Full image path into buf (cap units); returns the full length (may exceed cap). Root is "\". */
size_t fsi_node_path(const fsi_node *n, uint16_t *buf, size_t cap);
uint64_t fsi_node_size(const fsi_node *n);                  /* file data size in bytes; 0 for dirs */
fsi_source *fsi_node_source(const fsi_node *n);             /* borrowed; NULL for dirs/empty files */

typedef struct fsi_times { fsi_time creation, access, modification; } fsi_times;
void fsi_node_get_times(const fsi_node *n, fsi_times *t);
void fsi_node_set_times(fsi_node *n, const fsi_times *t);
int  fsi_node_hidden(const fsi_node *n);
void fsi_node_set_hidden(fsi_node *n, int hidden);

/* Named streams of a file (IFsiFileItem2::AddStream). They are written in UDF 2.00 and later only
 * (a stream directory per file, one EFE per stream, the data once in the partition like file data);
 * below 2.00 and in ISO 9660 / Joliet they are left out. At most FSI_STREAMS_MAX streams are written
 * per image: the first ones in plan order (files breadth-first in the order of the UDF directories,
 * each file's streams in the order they were added); the others are left out.
 * A stream name is 1..FSI_NAME_MAX UTF-16 units that fit a UDF file identifier (255 OSTA CS0 bytes),
 * without NUL, '\', '/' or ':', and does not start with "*UDF" (reserved for UDF's own streams):
 * otherwise FSI_E_INVALID_NAME (FSI_E_INVALID_PARAM for an empty one). Names are case-sensitive. */
#define FSI_STREAMS_MAX 1000u

/* Add a stream to file n (attached or not); takes its own reference on src (NULL for size 0).
 * FSI_E_DUP_NAME if n has a stream of that name (it is not replaced); FSI_E_INVALID_PARAM for a
 * directory. */
fsi_status fsi_node_add_stream(fsi_node *n, const uint16_t *name, size_t name_len, uint64_t size,
                               fsi_source *src);
/* Remove the stream of that name; FSI_E_NOT_FOUND if there is none. */
fsi_status fsi_node_remove_stream(fsi_node *n, const uint16_t *name, size_t name_len);
size_t fsi_node_stream_count(const fsi_node *n);            /* 0 for directories */
/* Stream i (0 .. count-1) in insertion order: its name (borrowed, valid until the stream is
 * removed), and optionally its size and source (borrowed). NULL when i is out of range. */
const uint16_t *fsi_node_stream(const fsi_node *n, size_t i, size_t *name_len, uint64_t *size,
                                fsi_source **src);
/* Index of the stream of that name, or (size_t)-1. */
size_t fsi_node_find_stream(const fsi_node *n, const uint16_t *name, size_t name_len);

/* Real-time file (IFsiFileItem2::IsRealTime): UDF 2.01 and later record file type 249 in the file's
 * (E)FE; otherwise nothing is written. Ignored for directories. */
int  fsi_node_realtime(const fsi_node *n);
void fsi_node_set_realtime(fsi_node *n, int realtime);

/* ---------------------------------------------------------------------------------------------- */
/* Layout                                                                                           */

/* El Torito (1.0) boot entries: the boot record volume descriptor at block 17 points at a boot
 * catalog listing them. Entry 0 is the initial/default entry; the others follow in sections, one per
 * run of consecutive entries with the same platform and ID string (the last header 0x91). */
#define FSI_BOOT_MAX 32u                    /* IMAPI2FS_BOOT_ENTRY_COUNT_MAX */

enum {                                      /* platform ids (IMAPI2FS PlatformId) */
    FSI_BOOT_X86     = 0x00,
    FSI_BOOT_POWERPC = 0x01,
    FSI_BOOT_MAC     = 0x02,
    FSI_BOOT_EFI     = 0xEF,
};

enum {                                      /* boot media types (IMAPI2FS EmulationType) */
    FSI_EMUL_NONE      = 0,
    FSI_EMUL_FLOPPY12  = 1,                 /* 1,228,800 bytes */
    FSI_EMUL_FLOPPY144 = 2,                 /* 1,474,560 bytes */
    FSI_EMUL_FLOPPY288 = 3,                 /* 2,949,120 bytes */
    FSI_EMUL_HARD_DISK = 4,
};

typedef struct fsi_boot_entry {
    unsigned platform;              /* FSI_BOOT_* */
    unsigned emulation;             /* FSI_EMUL_*; a floppy type needs an image of exactly that size */
    uint16_t load_segment;          /* real-mode segment the image is loaded at; 0: the default 0x7C0 */
    uint8_t system_type;            /* hard disk emulation: the partition type of the image's MBR
                                     * (fsi_boot_system_type); 0 otherwise */
    int32_t sector_count;           /* 512-byte sectors loaded; -1: fsi_boot_sector_count() */
    fsi_source *src;                /* the image's bytes; the plan takes its own reference */
    uint64_t size;                  /* bytes, > 0 */
    const char *id;                 /* ID string (manufacturer), up to 24 bytes; NULL: none. Read
                                     * while the plan is built only. */
} fsi_boot_entry;

/* The load size the engine writes when sector_count is -1 (see docs/behaviour.md): floppy and hard
 * disk emulation 1 (the boot sector); EFI the whole image in 512-byte sectors, 0 when that does not
 * fit in 16 bits; x86/PowerPC/Mac without emulation the whole image rounded up to a 2048-byte block
 * when it is at most 64 KiB, else 4 (one CD block: self-loading images need no more). */
uint16_t fsi_boot_sector_count(unsigned platform, unsigned emulation, uint64_t size);
/* The system type of a hard disk image: the type byte of the first used partition of the MBR in
 * its first 512 bytes (El Torito 2.0 5.3), 0 if there is no MBR signature or no partition. */
uint8_t fsi_boot_system_type(const void *mbr, size_t len);

/* Whether rev is a UDF revision the engine writes: 0x102, 0x150, 0x200, 0x201, 0x250 or 0x260
 * (OSTA UDF 1.02 to 2.60; the values of IFileSystemImage::UDFRevision). */
int fsi_udf_revision_supported(int rev);

typedef struct fsi_plan_opts {
    unsigned fs;                    /* FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF, any mix. With
                                       ISO 9660 or Joliet, a file over 2 GiB at ISO level 1/2 fails
                                       the plan (FSI_E_DATA_TOO_BIG), UDF or not */
    int iso_level;                  /* ISO 9660 interchange level 1, 2 or 3 */
    int udf_revision;               /* 0x102, 0x150, 0x200, 0x201, 0x250 or 0x260 (UDF only) */
    int udf_redundant_metadata;     /* 2.50+: write the metadata mirror file (default 1) */
    const uint16_t *volume_name;    /* may be NULL: then "" */
    size_t volume_name_len;
    fsi_time creation_time;         /* volume creation/modification dates */
    uint32_t session_start;         /* first block of the session (0 for a new image) */
    /* Multisession. An imported file (fsi_source_new_medium) whose extents all lie below reuse_end
     * (absolute blocks), are whole blocks but the last, and fit the formats' extent rules is
     * referenced where it is; any other is copied into this session. 0: copy every file.
     * Sequential media: reuse_end = session_start. */
    uint32_t reuse_end;
    /* Random-write (overwrite) media: base is the medium the previous session is on. The result
     * then covers blocks 0 .. session_start + total - 1: blocks below session_start are base's,
     * except those rewritten so that readers find the new session (fsi_plan_modified_count): the
     * volume recognition area from block 16 (the new session's descriptors, which carry absolute
     * addresses, and zeros over the rest of the old sequence up to base_vrs_end) and, with UDF,
     * the anchor at block 256. Imported extents that meet a rewritten block are copied.
     * session_start must be at least base_vrs_end and 257 with UDF. NULL: a plain session. */
    fsi_medium *base;
    uint32_t base_vrs_end;          /* first block after the old volume recognition sequence */
    int strict;                     /* StrictFileSystemCompliance */
    /* El Torito: boot_count entries (0: not bootable; at most FSI_BOOT_MAX). The boot record is
     * block 17 (so a Joliet SVD moves to 18); without ISO 9660 and Joliet a minimal PVD (an empty
     * root) comes with it. Boot images are placed first in the file data, in entry order, each from
     * a block boundary; they are in no directory tree. */
    const fsi_boot_entry *boot;
    size_t boot_count;
} fsi_plan_opts;

typedef struct fsi_plan fsi_plan;

/* Build the layout of img. On failure *err says what and where. The plan is independent of img. */
fsi_status fsi_plan_build(const fsi_image *img, const fsi_plan_opts *opts, fsi_plan **out,
                          fsi_err *err);
void fsi_plan_ref(fsi_plan *p);
void fsi_plan_unref(fsi_plan *p);

uint32_t fsi_plan_total_blocks(const fsi_plan *p);  /* blocks of the result: session_start to the
                                                       end, or 0 to the end with opts.base */
/* ---- an upper bound of the size, for adding items one at a time -------------------------------
 * The DLL refuses an addition that would make the image larger than FreeMediaBlocks. Building the
 * plan on every add is O(image) per add; instead the DLL keeps an upper bound: the size of the
 * last plan built plus its slack (what its layout can grow beyond what is counted for the items
 * added later: the unfilled ends of directory blocks and path tables, alignment before large
 * files, UDF allocation units), plus fsi_add_bound of each item added since. Only when the bound
 * passes the limit does it build the exact plan (of a copy with the addition, fsi_image_clone_with)
 * to decide. Removing items never makes an image larger, so they are not subtracted; a change of
 * settings, a rollback or an import needs a new start. Units: 1/FSI_BOUND_ONE block. */
#define FSI_BOUND_ONE (UINT64_C(1) << 16)
typedef struct fsi_size_bound {
    uint64_t base;                  /* the plan's size and slack (units); with UDF 2.50+ the size
                                       without the zeros that keep copies far apart */
    uint64_t added;                 /* fsi_add_bound of what was added since (units) */
    int spread;                     /* UDF 2.50+: those zeros grow with the image (udf.c) */
} fsi_size_bound;
/* Start a bound at plan p (built with the settings the adds will use). */
void fsi_size_bound_start(fsi_size_bound *sb, const fsi_plan *p);
/* The bound, in blocks, with more units added on top of sb->added. */
uint64_t fsi_size_bound_blocks(const fsi_size_bound *sb, uint64_t more);
/* What adding n (a file with its named streams, or a directory with its subtree) anywhere in a tree
 * planned with o can add at most (units): directory records and path table records (numeric tails
 * of other names moving up a digit included), UDF (E)FEs and FIDs (twice with a metadata mirror),
 * the data and the alignment before it. O(items of n). */
uint64_t fsi_add_bound(const fsi_plan_opts *o, const fsi_node *n);
/* The same for a named stream of size bytes added to a file that is in the tree. */
uint64_t fsi_add_stream_bound(const fsi_plan_opts *o, const uint16_t *name, size_t name_len, uint64_t size);

/* The block ranges the result differs from what is on the medium (IFileSystemImageResult2::
 * ModifiedBlocks), in recording order: one range (the session) for a plain session; with
 * opts.base the rewritten recognition area, the UDF anchor at 256 and the new session. Absolute
 * first block and count. */
size_t fsi_plan_modified_count(const fsi_plan *p);
void fsi_plan_modified(const fsi_plan *p, size_t i, uint32_t *first, uint32_t *count);

/* Extents of the image: one per file with data, plus metadata ranges ("file system metadata").
 * Sorted by first_block, non-overlapping. Used for progress items. */
typedef struct fsi_extent_info {
    const uint16_t *path;           /* file: full image path; metadata: a description */
    size_t path_len;
    uint32_t first_block, block_count;
    uint64_t size;                  /* bytes of data (files) */
    int is_file;
} fsi_extent_info;
size_t fsi_plan_extent_count(const fsi_plan *p);
const fsi_extent_info *fsi_plan_extent(const fsi_plan *p, size_t i);

/* The name item n gets in file system fs (ISO 9660 with ";1" stripped, Joliet, UDF) at ISO level
 * iso_level (1-3): the name fsi_plan_build records, by the same rule (src/engine/names.c). Returns
 * the length; writes up to cap units. 0 if n has no name there: the root, a detached item, an
 * invalid fs or level. UDF keeps names as they are unless one in the directory exceeds 255 OSTA
 * CS0 bytes. The directory's names are mapped on every call: O(children of n's parent). */
size_t fsi_map_name(const fsi_image *img, const fsi_node *n, unsigned fs, int iso_level, uint16_t *buf,
                    size_t cap);

/* The volume identifier a volume name becomes in one file system (FSI_FS_ISO9660: d-characters,
 * upper case, 32 at most; FSI_FS_JOLIET: 16 UCS-2 units, forbidden characters replaced;
 * FSI_FS_UDF: 30 units), without padding. Returns the length; writes up to cap units. */
size_t fsi_volume_name(unsigned fs, const uint16_t *name, size_t len, uint16_t *out, size_t cap);

/* ---------------------------------------------------------------------------------------------- */
/* Sector stream                                                                                    */

typedef struct fsi_cursor fsi_cursor;

/* Called when file data is copied: at 0, every 512 blocks (1 MiB) and at the end of each file. */
typedef void (*fsi_progress_fn)(void *ctx, const fsi_extent_info *file, uint32_t copied_blocks,
                                uint32_t total_blocks);

fsi_cursor *fsi_cursor_new(fsi_plan *p);                    /* takes a plan reference */
void fsi_cursor_free(fsi_cursor *c);
void fsi_cursor_set_progress(fsi_cursor *c, fsi_progress_fn fn, void *ctx);
/* Read exactly len bytes of the image at byte offset off (relative to session_start * 2048).
 * Fails with FSI_E_RANGE if off + len exceeds the image, FSI_E_READ / FSI_E_INCONSISTENT (with
 * err filled in) if a source fails. Large requests read file data straight into buf. */
fsi_status fsi_cursor_read(fsi_cursor *c, uint64_t off, void *buf, size_t len, fsi_err *err);

/* ---------------------------------------------------------------------------------------------- */
/* Reading existing volumes                                                                         */

/* The file systems a volume of total_blocks blocks holds (IdentifyFileSystemsOnDisc): FSI_FS_ISO9660
 * (a PVD), FSI_FS_JOLIET (an SVD with a UCS-2 escape sequence), FSI_FS_UDF (NSR02/NSR03 and an
 * AVDP at 256, N-1 or N-257); FSI_FS_UNKNOWN for a recognition area with none of them; 0 for no
 * volume descriptor at all. Source: ECMA-119 8, ECMA-167 2/9 and 3/10.2. */
unsigned fsi_identify(fsi_read_blocks_fn read, void *ctx, uint64_t total_blocks);
/* The same for the session that starts at absolute block session_start (descriptors from
 * session_start + 16, anchors at session_start + 256, N - 1, N - 257; blocks are absolute). */
unsigned fsi_identify_session(fsi_read_blocks_fn read, void *ctx, uint64_t total_blocks, uint64_t session_start);
/* The first block after the volume recognition sequence of the session at session_start (its
 * descriptor set and extended area, at most 64 blocks): session_start + 16 when there is none. */
uint64_t fsi_recognition_end(fsi_read_blocks_fn read, void *ctx, uint64_t total_blocks, uint64_t session_start);
/* The UDF revision the session at session_start records (its LVD's domain identifier suffix, OSTA
 * UDF 2.1.5.3), e.g. 0x250; 0 when there is no UDF volume or no such LVD. Bounded reads. */
int fsi_identify_udf_revision(fsi_read_blocks_fn read, void *ctx, uint64_t total_blocks, uint64_t session_start);
/* The first block of the last session on a medium of total_blocks blocks (IMultisessionSequential::
 * StartAddressOfPreviousSession for an image file): sessions follow one another from block 0, each
 * starting where the volume before it ends (the PVD's volume space size, or for UDF alone the end
 * of its partition) or within 1024 blocks after it (the padding some writers add). 0 when the
 * medium holds one session or none. Bounded reads; at most 1000 sessions are followed. */
uint64_t fsi_last_session(fsi_read_blocks_fn read, void *ctx, uint64_t total_blocks);
/* Where a new session goes on random-write (overwrite) media: after the old volume (volume_end,
 * fsi_import_info.volume_blocks) and what is recorded (written_end = LastWrittenAddress + 1), at
 * block 257 at least (after the anchor at 256), rounded up to write_unit and to 32 blocks, and not
 * below vrs_end (the end of the recognition sequence the new one replaces). docs/behaviour.md. */
uint64_t fsi_overwrite_session_start(uint64_t volume_end, uint64_t written_end, uint32_t write_unit,
                                     uint64_t vrs_end);

/* Import (IFileSystemImage::ImportFileSystem): read the tree of one file system of the session that
 * starts at block session_start of m (its volume descriptors at session_start + 16; UDF anchors at
 * session_start + 256, N - 1 and N - 257) into a new image *out. Metadata only: each file gets a
 * medium source over its extents (fsi_source_new_medium). Names, times and the hidden flag are
 * kept; ISO 9660 names lose their ";1" version and a trailing '.'. Nothing read is trusted: every
 * location and length is checked against the medium, directory loops and absurd counts are
 * refused. Errors: FSI_E_FS_NOT_FOUND, FSI_E_CORRUPT and FSI_E_FS_FEATURE (err->fs = fs),
 * FSI_E_MEDIUM_READ (err->expected = the block), FSI_E_NOMEM. Sources: ECMA-119 8, 9; Joliet;
 * ECMA-167 3/10, 4/14; OSTA UDF 2.2, 2.3. */
typedef struct fsi_import_info {
    unsigned fs;                    /* the file system read */
    uint16_t volume_name[128];      /* its volume identifier, trailing spaces removed */
    size_t volume_name_len;
    int udf_revision;               /* UDF: the revision its domain identifier / LVID records */
    uint64_t volume_blocks;         /* the end of the volume it describes: ISO volume space size,
                                       UDF the last block of its partition or anchor + 1 */
    uint64_t files, dirs;           /* items read (root excluded) */
} fsi_import_info;

/* Import progress (DFileSystemImageImportEvents::UpdateImport): before each directory (path with a
 * trailing '\') and after each file; totals are -1 when unknown (ISO 9660 / Joliet files). */
typedef void (*fsi_import_fn)(void *ctx, const uint16_t *path, size_t path_len, int64_t dirs_done,
                              int64_t dirs_total, int64_t files_done, int64_t files_total);

fsi_status fsi_import(fsi_medium *m, uint64_t session_start, unsigned fs, fsi_image **out,
                      fsi_import_info *info, fsi_import_fn progress, void *ctx, fsi_err *err);

/* ---------------------------------------------------------------------------------------------- */
/* UTF helpers (for front ends and tests).                                                          */

/* UTF-8 -> UTF-16; returns units written (excluding NUL, always NUL-terminates when cap > 0), or
 * (size_t)-1 on invalid UTF-8 or overflow. */
size_t fsi_utf8_to_utf16(const char *s, size_t len, uint16_t *out, size_t cap);
/* UTF-16 -> UTF-8; same conventions. Unpaired surrogates become U+FFFD. */
size_t fsi_utf16_to_utf8(const uint16_t *s, size_t len, char *out, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
