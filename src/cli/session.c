/*
 * Native fsimage --append / --rewrite: the previous session of OUT.iso, imported as the DLL does it
 * through fsimage.exe's multisession objects (src/com/fsimage.c import_fs,
 * tools/fsimage/imagedisc.c), and the bytes a failed append must put back.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "native.h"
#include "imapi2fserror.h"

/* len bytes at off, all of them (0), or -1 */
static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
    size_t done = 0;
    while (done < len) {
        ssize_t r = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        done += (size_t)r;
    }
    return 0;
}

static int file_read(void *ctx, uint64_t lba, uint32_t count, void *buf)
{
    const previous *pv = ctx;
    return pread_all(pv->fd, buf, (size_t)count * FSI_BLOCK_SIZE, lba * FSI_BLOCK_SIZE);
}

#define FS_SUPPORTED (FSI_FS_ISO9660 | FSI_FS_JOLIET | FSI_FS_UDF)

/* MultisessionInterfaces and ImportFileSystem / ImportSpecificFileSystem as the DLL does them
 * (src/com/fsimage.c, import_fs): the session's tree goes into img, and po gets its file systems,
 * UDF revision and where the new session goes. The imported volume name becomes the volume name
 * when none is given, as fsimage.exe does. */
void cli_import(fsi_image *img, const cli_options *o, fsi_plan_opts *po, previous *pv, uint16_t *volume,
                size_t *vlen)
{
    struct stat st;
    fsi_import_info info;
    fsi_image *imp = NULL;
    fsi_err err;
    uint64_t start = 0;
    unsigned want = o->import_fs;

    do
        pv->fd = open(o->output, O_RDONLY | O_CLOEXEC);
    while (pv->fd < 0 && errno == EINTR);
    if (pv->fd < 0)
        fail_errno("open the image to append to", o->output);
    if (fstat(pv->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        errno = EINVAL;
        fail_errno("open the image to append to", o->output);
    }
    pv->size = (uint64_t)st.st_size;
    pv->blocks = pv->size / FSI_BLOCK_SIZE;
    if (!(pv->m = fsi_medium_new(file_read, pv, NULL, pv->blocks)))
        fail_nomem("memory");
    if (!pv->blocks)                    /* IsFirstDataSession */
        fail_hr("ImportFileSystem", IMAPI_E_EMPTY_DISC, NULL, NULL, NULL);
    if (o->append == 1)
        start = fsi_last_session(file_read, pv, pv->blocks);
    pv->disc_fs = fsi_identify_session(file_read, pv, pv->blocks, start);
    if (!pv->disc_fs)
        fail_hr("ImportFileSystem", IMAPI_E_EMPTY_DISC, NULL, NULL, NULL);
    if (!(pv->disc_fs & FS_SUPPORTED))
        fail_hr("ImportFileSystem", IMAPI_E_NO_SUPPORTED_FILE_SYSTEM, NULL, NULL, NULL);
    if (want && !(pv->disc_fs & want))
        {
        const uint16_t *ins[3] = { fsi_policy_fs_name(want), NULL, NULL };
        fail_hr16("ImportFileSystem", IMAPI_E_FILE_SYSTEM_NOT_FOUND, ins);
    }
    if (!want)                          /* GetDefaultFileSystemForImport */
        want = fsi_policy_import_fs(pv->disc_fs);
    if (fsi_import(pv->m, start, want, &imp, &info, NULL, NULL, &err) != FSI_OK)
        fail_engine("ImportFileSystem", &err);
    if (fsi_image_merge(img, fsi_image_root(img), imp) != FSI_OK)
        fail_nomem("ImportFileSystem");
    fsi_image_free(imp);

    /* the new session carries the same file systems, and UDF the same revision */
    po->fs = pv->disc_fs & FS_SUPPORTED;
    if (pv->disc_fs & FSI_FS_UDF) {
        int rev = want == FSI_FS_UDF && info.udf_revision
                ? info.udf_revision : fsi_identify_udf_revision(file_read, pv, pv->blocks, start);
        if (fsi_udf_revision_supported(rev))
            po->udf_revision = rev;
    }
    if (o->append == 1) {
        /* sequential: after what is recorded; old files stay where they are */
        po->session_start = (uint32_t)pv->blocks;
        po->reuse_end = po->session_start;
    } else {
        /* random-write: after the old volume, whose recognition area and anchor are rewritten */
        uint64_t vrs_end = fsi_recognition_end(file_read, pv, pv->blocks, 0);
        po->base = pv->m;
        po->base_vrs_end = (uint32_t)vrs_end;
        po->reuse_end = info.volume_blocks > UINT32_MAX ? UINT32_MAX : (uint32_t)info.volume_blocks;
        po->session_start = (uint32_t)fsi_overwrite_session_start(info.volume_blocks, pv->blocks, 16, vrs_end);
    }
    if (!o->volume && info.volume_name_len &&
        fsi_policy_volume_name_ok(info.volume_name, info.volume_name_len)) {   /* put_VolumeName's checks */
        memcpy(volume, info.volume_name, info.volume_name_len * sizeof(uint16_t));
        *vlen = info.volume_name_len;
    }
    if (!o->quiet)                      /* the root counts, as in the DLL's DirectoryCount */
        cli_say_imported(want, fsi_image_file_count(img), fsi_image_dir_count(img) + 1, po->session_start);
}

/* On failure after the output has been opened for --append/--rewrite: the bytes below its old end
 * that are rewritten are saved first and put back, and the file is cut to its old size, so that a
 * failed append leaves the image as it was. */
static struct {
    int fd, active;
    uint64_t size;
    struct saved { uint64_t off; size_t len; uint8_t *data; } *saved;
    size_t nsaved;
} g_restore;

void cli_save_old(const previous *pv, uint64_t off, uint64_t len)
{
    struct saved *grown;
    if (off >= pv->size)
        return;
    if (len > pv->size - off)
        len = pv->size - off;
    uint8_t *d = malloc(len ? len : 1);
    grown = realloc(g_restore.saved, (g_restore.nsaved + 1) * sizeof *grown);
    if (!d || !grown)
        fail_nomem("memory");
    g_restore.saved = grown;
    if (pread_all(pv->fd, d, (size_t)len, off) != 0)
        fail_errno("read the image to append to", g_out_path);
    g_restore.saved[g_restore.nsaved].off = off;
    g_restore.saved[g_restore.nsaved].len = (size_t)len;
    g_restore.saved[g_restore.nsaved++].data = d;
}

void cli_restore_arm(int fd, uint64_t size)
{
    g_restore.fd = fd;
    g_restore.size = size;
    g_restore.active = 1;
}

void cli_restore_disarm(void) { g_restore.active = 0; }

void cli_restore_old(void)
{
    if (!g_restore.active)
        return;
    g_restore.active = 0;
    /* best effort: the process is failing already */
    for (size_t i = 0; i < g_restore.nsaved; i++)
        if (pwrite(g_restore.fd, g_restore.saved[i].data, g_restore.saved[i].len, (off_t)g_restore.saved[i].off) < 0)
            break;
    (void)!ftruncate(g_restore.fd, (off_t)g_restore.size);
}

void cli_previous_free(previous *pv)
{
    fsi_medium_unref(pv->m);
    if (pv->fd >= 0)
        close(pv->fd);
    for (size_t i = 0; i < g_restore.nsaved; i++)
        free(g_restore.saved[i].data);
    free(g_restore.saved);
    g_restore.saved = NULL;
    g_restore.nsaved = 0;
}
