/*
 * Native fsimage's parts (src/cli): fsimage.c (the settings in fsimage.exe's order, failures),
 * walk.c (AddTree: the walk and the data sources), session.c (--append / --rewrite), write.c (the
 * output, the progress line, --map). The command line is options.h, shared with fsimage.exe; the
 * DLL's rules are the policy module's (include/fsi/policy.h).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FSI_CLI_NATIVE_H
#define FSI_CLI_NATIVE_H

#include <stdint.h>
#include "fsi/engine.h"
#include "fsi/policy.h"
#include "options.h"

#define E_OUTOFMEMORY_HR ((int32_t)0x8007000E)
#define E_INVALIDARG_HR  ((int32_t)0x80070057)

/* ---- fsimage.c: failures (each prints, removes a partly written output, exits 1) --------------- */

extern cli_bar g_bar;                   /* the progress line (write.c draws it) */

/* "fsimage: STEP: 0xHRESULT text" with the DLL's text of hr and its inserts (UTF-8; NULL: none). */
_Noreturn void fail_hr(const char *step, int32_t hr, const char *i1, const char *i2, const char *i3);
/* The same with UTF-16 inserts. */
_Noreturn void fail_hr16(const char *step, int32_t hr, const uint16_t *const ins[3]);
/* An engine failure with the inserts the DLL gives (fsi_policy_engine_error). */
_Noreturn void fail_engine(const char *step, const fsi_err *e);
/* "fsimage: STEP: PATH: <strerror(errno)>". */
_Noreturn void fail_errno(const char *step, const char *path);
_Noreturn void fail_nomem(const char *step);
/* "fsimage: warning: " fmt with path and why, unless quiet. */
void warn(int quiet, const char *fmt, const char *path, const char *why);

/* Set by fsimage.c: the output file, removed on failure once created. */
extern const char *g_out_path;
extern int g_out_created;

/* ---- walk.c: IFsiDirectoryItem::AddTree ------------------------------------------------------- */

/* A file name (UTF-8 bytes) as Wine shows it to Windows programs (U+FFFD for what is not UTF-8,
 * by Wine's rules). Returns the UTF-16 units written (at most cap). */
size_t cli_name_to_utf16(const unsigned char *s, size_t n, uint16_t *out, size_t cap);

/* AddTree(source, includeBase) into the root of img: the walk into a detached folder, the DLL's
 * checks of an addition (strict limits; FreeMediaBlocks when media_blocks > 0, with the layout
 * settings po), then one merge. */
void cli_add_tree(fsi_image *img, const cli_options *o, const fsi_plan_opts *po);

/* The host file behind a file of the image, if it is one walk.c added (for the copy path). */
const char *cli_source_path(const fsi_source *src);

/* ---- session.c: --append / --rewrite ---------------------------------------------------------- */

/* OUT.iso as the medium the DLL sees through fsimage.exe's multisession objects
 * (tools/fsimage/imagedisc.c). */
typedef struct previous {
    int fd;                             /* OUT.iso, for reading; -1: none */
    uint64_t size, blocks;              /* before anything is written */
    fsi_medium *m;
    unsigned disc_fs;                   /* the imported session's file systems */
} previous;

/* MultisessionInterfaces and ImportFileSystem / ImportSpecificFileSystem: the last session of
 * OUT.iso into img; po gets its file systems, UDF revision and where the new session goes; the
 * imported volume name goes to volume (*vlen units) when -V is not given. */
void cli_import(fsi_image *img, const cli_options *o, fsi_plan_opts *po, previous *pv, uint16_t *volume,
                size_t *vlen);

/* Save the bytes of OUT.iso in [off, off + len) below its old end, to be put back on failure. */
void cli_save_old(const previous *pv, uint64_t off, uint64_t len);
/* From now on (fd open for writing) a failure puts the saved bytes back and cuts fd to size. */
void cli_restore_arm(int fd, uint64_t size);
void cli_restore_disarm(void);
/* On failure: put them back (called by the fail_* functions). */
void cli_restore_old(void);
void cli_previous_free(previous *pv);

/* ---- write.c ---------------------------------------------------------------------------------- */

/* --map: the progress items of plan from session_start on stdout. */
void cli_print_map(const fsi_plan *plan, uint32_t session_start);

/* Write plan (whose first block is origin) to o->output: a new file, or (--append/--rewrite) only
 * the modified ranges into the existing one (pv: what it held). Draws the progress line when
 * stderr is a terminal and not --quiet. */
void cli_write_image(fsi_plan *plan, fsi_image *img, const cli_options *o, uint32_t origin, const previous *pv);

#endif /* FSI_CLI_NATIVE_H */
