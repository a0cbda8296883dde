/*
 * fsi/policy.h - what IMAPI2FS decides around the layout engine, for every front end.
 *
 * The rules imapi2fs.dll follows (src/com) and that the command lines (native fsimage, src/cli;
 * fsimage.exe, tools/fsimage) must follow the same way, as portable C11 with no Windows types:
 * HRESULTs are int32_t (the values of imapi2fserror.h), strings are UTF-16 as the engine's
 * (uint16_t, native byte order, not terminated unless said). The DLL wraps the results in BSTRs and
 * IErrorInfo; the command lines print them as UTF-8. Sources: src/policy/messages.c (message texts,
 * status -> HRESULT, the inserts of an engine failure), src/policy/policy.c (the rest).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FSI_POLICY_H
#define FSI_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "fsi/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- HRESULTs and their message texts ------------------------------------------------------ */

/* One code of imapi2fserror.h with its name and text exactly as in the DLL's message table (the
 * SDK's FileSystemImageMsg.h), without the trailing CR LF; the text may hold FormatMessage inserts
 * "%1!ls!" ... "%3!I64d!". */
struct fsi_error_text {
    int32_t hr;                     /* e.g. IMAPI_E_INVALID_PARAM (0xC0AAB101) */
    const uint16_t *name;           /* e.g. u"IMAPI_E_INVALID_PARAM", terminated */
    const uint16_t *text;           /* terminated */
};

/* Every code the current imapi2fs.dll knows, plus the two imapi2.dll recorder codes it forwards
 * (E_IMAPI_RECORDER_MEDIA_NO_MEDIA, _INCOMPATIBLE); sorted by (uint32_t)hr. */
extern const struct fsi_error_text fsi_error_table[];
extern const size_t fsi_error_table_count;

/* The entry of hr (binary search), or NULL when hr is not one of the table's. */
const struct fsi_error_text *fsi_error_lookup(int32_t hr);

/* The HRESULT the DLL returns for an engine status: FSI_E_DUP_NAME is IMAPI_E_DUP_NAME,
 * FSI_E_CORRUPT IMAPI_E_FILE_SYSTEM_READ_CONSISTENCY_ERROR, FSI_E_NOMEM E_OUTOFMEMORY and so on;
 * 0 for FSI_OK, IMAPI_E_FSI_INTERNAL_ERROR for none. */
int32_t fsi_hresult_from_status(fsi_status st);

/* The text of hr with the inserts "%1" ... "%3" (any "!type!" after them skipped) replaced by
 * ins[0..2] (terminated; NULL: empty), "%%" by "%", trailing blanks and line ends cut, into out
 * (cap units, terminated). Codes outside the table: the texts Windows gives for E_OUTOFMEMORY and
 * E_INVALIDARG, else nothing. Returns the units written, 0 when hr has no text here. */
size_t fsi_message_format(int32_t hr, const uint16_t *const ins[3], uint16_t *out, size_t cap);

/* A file system's name in messages: u"ISO9660", u"Joliet", u"UDF", u"ISO9660/Joliet" (both, as
 * Windows names them together), u"" for anything else. */
const uint16_t *fsi_policy_fs_name(unsigned fs);

/* The HRESULT and message inserts of an engine failure, as the DLL reports it: the item's path,
 * then (FSI_E_NO_UNIQUE_NAME) the file system; the file system alone for FSI_E_DATA_TOO_BIG,
 * FSI_E_TOO_MANY_DIRS, FSI_E_CORRUPT, FSI_E_FS_NOT_FOUND, FSI_E_FS_FEATURE; the block for
 * FSI_E_MEDIUM_READ; path, expected and found bytes for FSI_E_INCONSISTENT (decimal). */
typedef struct fsi_error_inserts {
    const uint16_t *ins[3];         /* for fsi_message_format; point into this struct or at constants */
    uint16_t path[FSI_ERR_PATH_MAX + 1];
    uint16_t num[2][24];
} fsi_error_inserts;
int32_t fsi_policy_engine_error(const fsi_err *err, fsi_error_inserts *out);

/* ---- volume name and time --------------------------------------------------------------------- */

/* The creation time of an image: SOURCE_DATE_EPOCH (decimal seconds >= 0) when the environment has
 * it, else now (the caller's clock: GetSystemTimeAsFileTime, clock_gettime). */
fsi_time fsi_policy_creation_time(fsi_time now);

/* The volume name when none is set: t as "YYYYMMDD_HHMMSS", UTC (15 units, the documented maximum;
 * docs/behaviour.md). Writes 15 units and a terminating 0; returns 15. */
size_t fsi_policy_default_volume_name(fsi_time t, uint16_t out[16]);

/* put_VolumeName's check: at most 32 UTF-16 units, none below U+0020. */
int fsi_policy_volume_name_ok(const uint16_t *name, size_t len);

/* ---- checks when items are added -------------------------------------------------------------- */

/* StrictFileSystemCompliance (ECMA-119 6.8.2.1) for an ISO 9660 or Joliet image: adding add under
 * parent (whole: add itself; else its children, as AddTree without the base folder) may give at most
 * 8 levels of directories, the root the first, and 65,535 directories (16-bit path table parent
 * numbers). Returns 0, IMAPI_E_ISO9660_LEVELS or IMAPI_E_TOO_MANY_DIRS (*insert: the file system's
 * name for the message). No check without strict or without ISO 9660 and Joliet in fs. */
int32_t fsi_policy_check_strict(const fsi_image *img, unsigned fs, int strict, const fsi_node *parent,
                                const fsi_node *add, int whole, const uint16_t **insert);

/* A plan for the size of tree: as fsi_plan_build, except that a file over the 2 GiB ceiling of
 * levels 1 and 2 is measured as level 3 lays it out (several extents): an add is judged by that
 * size, while CreateResultImage refuses the file. */
fsi_status fsi_policy_size_plan(const fsi_image *tree, const fsi_plan_opts *o, fsi_plan **plan, fsi_err *err);

/* FreeMediaBlocks for one addition (the DLL's fsimage_check_add from a fresh start): the exact size
 * of tree bounds the start (fsi_size_bound), fsi_add_bound of what is added on top; when that passes
 * limit blocks, the exact plan of a copy with the addition (fsi_image_clone_with) decides. o: the
 * layout settings; parent, add, whole as for fsi_policy_check_strict. Returns 0,
 * IMAPI_E_IMAGE_SIZE_LIMIT, or the HRESULT of a failure: with *err filled (err->code != 0) when a
 * plan failed, else (the copy) with the added item as the message's insert. */
int32_t fsi_policy_check_limit(const fsi_image *tree, const fsi_plan_opts *o, uint64_t limit,
                               const fsi_node *parent, const fsi_node *add, int whole, fsi_err *err);

/* The UDF revisions the engine writes (UDFRevisionsSupported), lowest first. */
extern const int fsi_policy_udf_revisions[];
extern const size_t fsi_policy_udf_revision_count;

/* The file system ImportFileSystem takes from a session holding disc_fs (GetDefaultFileSystemForImport):
 * UDF, else Joliet, else ISO 9660; 0 (FsiFileSystemNone) when disc_fs holds none of them. */
unsigned fsi_policy_import_fs(unsigned disc_fs);

/* ---- El Torito entries (BootOptions) ---------------------------------------------------------- */

/* The image size a floppy emulation needs (1,228,800, 1,474,560 or 2,949,120 bytes); 0 for none. */
uint32_t fsi_policy_floppy_size(unsigned emulation);

/* AssignBootImage: a floppy-sized image switches to that floppy's emulation; else emulation stays. */
unsigned fsi_policy_emulation_for_size(uint64_t size, unsigned emulation);

/* PlatformId's values: FSI_BOOT_X86, _POWERPC, _MAC, _EFI. */
int fsi_policy_platform_ok(unsigned platform);

/* Manufacturer: the ID string is up to 24 bytes (of the ANSI code page; the caller converts). */
#define FSI_POLICY_BOOT_ID_MAX 24

/* put_BootImageOptions(Array): the engine's entry for an image of size bytes (data: its first bytes,
 * len of them, for the hard disk's system type) with these settings: the default load segment, the
 * engine's load size (fsi_boot_sector_count), the MBR's type for hard disk emulation. id and src
 * are left NULL for the caller. Returns 0, IMAPI_E_INVALID_PARAM (platform or emulation),
 * IMAPI_E_BOOT_IMAGE_DATA (no bytes) or IMAPI_E_BOOT_EMULATION_IMAGE_SIZE_MISMATCH. */
int32_t fsi_policy_boot_entry(fsi_boot_entry *e, unsigned platform, unsigned emulation, uint64_t size,
                              const void *data, size_t len);

/* ---- progress items --------------------------------------------------------------------------- */

/* The description of the blocks between files: u"File system metadata" (terminated). */
extern const uint16_t fsi_policy_metadata_desc[];
#define FSI_POLICY_METADATA_DESC_LEN 20

/* The progress items of a result (IFileSystemImageResult::ProgressItems, fsimage --map), in block
 * order: each file extent of plan (empty ones left out) and a "File system metadata" item for every
 * gap before, between and after them, from session_start to the end of the plan. fn is called for
 * each (first block, count, description of desc_len units); a non-zero return stops the walk and is
 * returned. */
typedef int fsi_policy_item_fn(void *ctx, uint32_t first, uint32_t count, const uint16_t *desc, size_t desc_len);
int fsi_policy_progress_items(const fsi_plan *plan, uint32_t session_start, fsi_policy_item_fn *fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* FSI_POLICY_H */
