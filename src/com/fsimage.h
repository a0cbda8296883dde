/*
 * MsftFileSystemImage's object, shared by the files that implement its methods (private to src/com):
 * fsimage.c (the object: IUnknown, the tree, CreateResultImage, the vtable, create), settings.c
 * (the plain properties), changepoint.c, media.c (media types, the previous session's medium),
 * import.c (ImportFileSystem, MultisessionInterfaces), sizelimit.c (the checks of an addition,
 * FreeMediaBlocks), bootarray.c (BootImageOptions, BootImageOptionsArray).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef IMAPI2FS_FSIMAGE_H
#define IMAPI2FS_FSIMAGE_H

#include "private.h"
#include "fsi/policy.h"   /* the rules shared with the command lines */

#define DEFAULT_FREE_MEDIA_BLOCKS 332800
#define FS_SUPPORTED (FsiFileSystemISO9660 | FsiFileSystemJoliet | FsiFileSystemUDF)

/* What a change point restores: the tree and the settings (RollbackToChangePoint). */
typedef struct change_point {
    LONG number;
    fsi_image *tree;
    LONG session_start, free_media_blocks, udf_revision, iso_level;
    BSTR volume_name;
    VARIANT_BOOL strict, restricted, stage, redundant_udf;
    FsiFileSystems fs;
} change_point;

/* Every field is read and written with cs held, except refs (atomic) and what fsimage_create sets
 * before the object is handed out (sei, events, made). */
struct fsimage {
    IFileSystemImage3 IFileSystemImage3_iface;
    fsi_error_support sei;
    LONG refs;
    CRITICAL_SECTION cs;
    fsi_image *tree;
    LONG session_start;
    LONG free_media_blocks;
    BSTR volume_name;               /* NULL: generated when the result is created */
    BSTR working_dir;
    LONG change_point;
    LONG locked_change_point;       /* LockInChangePoint: no rollback before it */
    change_point *points;           /* snapshots taken when ChangePoint is read, by number */
    fsi_stash *stash;               /* staged file data (created on first use) */
    size_t npoints;
    VARIANT_BOOL strict, restricted, stage, redundant_udf;
    FsiFileSystems fs;
    LONG udf_revision;
    LONG iso_level;
    fsi_events *events;             /* IConnectionPointContainer (events.c) */
    fsi_boot_set *boot;             /* El Torito entries (BootImageOptions(Array)); NULL: none */
    /* multisession (multisession.c, docs/behaviour.md) */
    fsi_msession *ms;               /* MultisessionInterfaces, or NULL */
    fsi_medium *medium;             /* the medium a session was imported from, or NULL */
    FsiFileSystems imported;        /* the file system imported (FsiFileSystemNone: none) */
    FsiFileSystems disc_fs;         /* the file systems of the imported session */
    BSTR imported_name;             /* its volume name */
    uint32_t old_end;               /* random-write: the end of the imported volume (blocks) */
    uint32_t base_vrs_end;          /* random-write: the end of its recognition sequence */
    /* FreeMediaBlocks: an upper bound of the size, kept per add (fsimage_check_add) */
    fsi_size_bound bound;
    int bound_ok;                   /* 0: start again at the exact plan */
    fsi_plan_opts bound_opts;       /* the settings it was started with */
    LONG bound_boot, boot_changes;  /* boot entries put since */
    fsi_time made;                  /* when the object was made: the root's times (docs/behaviour.md) */
    LONG epoch;                     /* moves whenever items may have left the tree (item.c, item_bind) */
};

static inline fsimage *impl_from_IFileSystemImage3(IFileSystemImage3 *iface)
{
    return impl_from(iface, fsimage, IFileSystemImage3_iface);
}

/* ---- one-line getters and setters ----------------------------------------------------------- */

/* A property getter: TRACE, E_POINTER for a NULL value, then get (an expression of img and value,
 * giving the HRESULT) with the image lock held. */
#define FSIMAGE_GETTER(prop, type, get)                                                            \
    HRESULT WINAPI fsimage_get_##prop(IFileSystemImage3 *iface, type *value)                       \
    {                                                                                              \
        fsimage *img = impl_from_IFileSystemImage3(iface);                                         \
        HRESULT hr;                                                                                \
                                                                                                   \
        TRACE("(%p)->(%p)\n", iface, value);                                                       \
        if (!value) return E_POINTER;                                                              \
        EnterCriticalSection(&img->cs);                                                            \
        hr = (get);                                                                                \
        LeaveCriticalSection(&img->cs);                                                            \
        return hr;                                                                                 \
    }
/* A getter of one field of the struct, copied as it is. */
#define FSIMAGE_FIELD_GETTER(prop, type, field) FSIMAGE_GETTER(prop, type, (*value = img->field, S_OK))
/* A property setter: TRACE (fmt: value's printf format), then put (an expression of img and value,
 * giving the HRESULT) with the image lock held. */
#define FSIMAGE_SETTER(prop, type, fmt, put)                                                       \
    HRESULT WINAPI fsimage_put_##prop(IFileSystemImage3 *iface, type value)                        \
    {                                                                                              \
        fsimage *img = impl_from_IFileSystemImage3(iface);                                         \
        HRESULT hr;                                                                                \
                                                                                                   \
        TRACE("(%p)->(" fmt ")\n", iface, value);                                                  \
        EnterCriticalSection(&img->cs);                                                            \
        hr = (put);                                                                                \
        LeaveCriticalSection(&img->cs);                                                            \
        return hr;                                                                                 \
    }

/* ---- helpers between the files (all with the lock held unless said) --------------------------- */

/* fsimage.c: the settings the layout depends on (not the volume name and time: descriptors of
 * fixed size); plan_opts adds the creation time and the volume name (defname: the generated one,
 * when none is set). */
void fsimage_layout_opts(fsimage *img, fsi_plan_opts *o);
void fsimage_plan_opts(fsimage *img, fsi_plan_opts *o, WCHAR defname[16]);
/* sizelimit.c: the exact size of the image the current tree would give (0 with no file system). */
HRESULT fsimage_used_blocks(fsimage *img, LONG *out);
/* changepoint.c: free every snapshot (the object's end). */
void fsimage_free_points(fsimage *img);
/* media.c: the previous session's medium (a new reference) and where its volume descriptors are;
 * IMAPI_E_MULTISESSION_NOT_SET, IMAPI_E_EMPTY_DISC with IErrorInfo set. */
HRESULT fsimage_session_medium(fsimage *img, fsi_medium **m, uint64_t *start);
/* media.c: fsi_medium_read as an fsi_read_blocks_fn (ctx: the medium); no lock needed. */
int fsimage_medium_read(void *ctx, uint64_t lba, uint32_t count, void *buf);
/* media.c: the file systems of the session at start (IdentifyFileSystemsOnDisc at that session);
 * this one and the next read the medium only: no lock needed. */
unsigned fsimage_session_fs(fsi_medium *m, uint64_t start);
/* media.c: CalculateDiscIdentifier's text for the session at start of m (16 hex digits). */
void fsimage_disc_identifier(fsi_medium *m, uint64_t start, WCHAR text[17]);

/* ---- the methods outside the vtable's file, declared by signature ------------------------------ */
/* (files: settings.c the plain properties, changepoint.c, media.c, import.c, sizelimit.c UsedBlocks,
 * bootarray.c; fsimage.c FileCount and DirectoryCount) */

typedef HRESULT WINAPI fsimage_get_long(IFileSystemImage3 *iface, LONG *value);
typedef HRESULT WINAPI fsimage_put_long(IFileSystemImage3 *iface, LONG value);
typedef HRESULT WINAPI fsimage_get_bstr(IFileSystemImage3 *iface, BSTR *value);
typedef HRESULT WINAPI fsimage_put_bstr(IFileSystemImage3 *iface, BSTR value);
typedef HRESULT WINAPI fsimage_get_bool(IFileSystemImage3 *iface, VARIANT_BOOL *value);
typedef HRESULT WINAPI fsimage_put_bool(IFileSystemImage3 *iface, VARIANT_BOOL value);
typedef HRESULT WINAPI fsimage_get_fs(IFileSystemImage3 *iface, FsiFileSystems *value);
typedef HRESULT WINAPI fsimage_put_fs(IFileSystemImage3 *iface, FsiFileSystems value);
typedef HRESULT WINAPI fsimage_get_array(IFileSystemImage3 *iface, SAFEARRAY **value);
typedef HRESULT WINAPI fsimage_put_array(IFileSystemImage3 *iface, SAFEARRAY *value);
typedef HRESULT WINAPI fsimage_recorder_method(IFileSystemImage3 *iface, IDiscRecorder2 *recorder);

fsimage_get_long fsimage_get_SessionStartBlock, fsimage_get_FreeMediaBlocks, fsimage_get_UDFRevision,
    fsimage_get_ISO9660InterchangeLevel, fsimage_get_ChangePoint, fsimage_get_UsedBlocks, fsimage_get_FileCount,
    fsimage_get_DirectoryCount;
fsimage_put_long fsimage_put_SessionStartBlock, fsimage_put_FreeMediaBlocks, fsimage_put_UDFRevision,
    fsimage_put_ISO9660InterchangeLevel, fsimage_RollbackToChangePoint;
fsimage_get_bstr fsimage_get_VolumeName, fsimage_get_ImportedVolumeName, fsimage_get_WorkingDirectory,
    fsimage_get_VolumeNameUDF, fsimage_get_VolumeNameJoliet, fsimage_get_VolumeNameISO9660,
    fsimage_CalculateDiscIdentifier;
fsimage_put_bstr fsimage_put_VolumeName, fsimage_put_WorkingDirectory;
fsimage_get_bool fsimage_get_StrictFileSystemCompliance, fsimage_get_UseRestrictedCharacterSet,
    fsimage_get_StageFiles, fsimage_get_CreateRedundantUdfMetadataFiles;
fsimage_put_bool fsimage_put_StrictFileSystemCompliance, fsimage_put_UseRestrictedCharacterSet,
    fsimage_put_StageFiles, fsimage_put_CreateRedundantUdfMetadataFiles;
fsimage_get_fs fsimage_get_FileSystemsToCreate, fsimage_get_FileSystemsSupported, fsimage_ImportFileSystem;
fsimage_put_fs fsimage_put_FileSystemsToCreate, fsimage_ImportSpecificFileSystem;
fsimage_get_array fsimage_get_UDFRevisionsSupported, fsimage_get_ISO9660InterchangeLevelsSupported,
    fsimage_get_MultisessionInterfaces, fsimage_get_BootImageOptionsArray;
fsimage_put_array fsimage_put_MultisessionInterfaces, fsimage_put_BootImageOptionsArray;
fsimage_recorder_method fsimage_SetMaxMediaBlocksFromDevice, fsimage_ChooseImageDefaults;

HRESULT WINAPI fsimage_LockInChangePoint(IFileSystemImage3 *iface);
HRESULT WINAPI fsimage_ChooseImageDefaultsForMediaType(IFileSystemImage3 *iface, IMAPI_MEDIA_PHYSICAL_TYPE value);
HRESULT WINAPI fsimage_IdentifyFileSystemsOnDisc(IFileSystemImage3 *iface, IDiscRecorder2 *recorder, FsiFileSystems *fs);
HRESULT WINAPI fsimage_ProbeSpecificFileSystem(IFileSystemImage3 *iface, FsiFileSystems fs, VARIANT_BOOL *appendable);
HRESULT WINAPI fsimage_GetDefaultFileSystemForImport(IFileSystemImage3 *iface, FsiFileSystems fs, FsiFileSystems *def);
HRESULT WINAPI fsimage_get_BootImageOptions(IFileSystemImage3 *iface, IBootOptions **value);
HRESULT WINAPI fsimage_put_BootImageOptions(IFileSystemImage3 *iface, IBootOptions *value);

#endif
