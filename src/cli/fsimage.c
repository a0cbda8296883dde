/*
 * fsimage: build a file system image of a folder with the imapi2fs layout engine (native front end).
 *
 *   fsimage [options] SOURCE OUT.iso
 *
 * The native counterpart of tools/fsimage/fsimage.exe (which drives imapi2fs.dll through COM): the
 * same command line (options.c, compiled into both), the same messages and, for the same tree and
 * SOURCE_DATE_EPOCH, the same image bytes (tests/com/native.test.sh, tests/golden). It does what
 * the DLL does for it, with the DLL's rules from the policy module (include/fsi/policy.h): the
 * property checks in fsimage.exe's order, AddTree (walk.c), the previous session (session.c), the
 * default volume name and creation time, BootOptions, the result and its progress items (write.c).
 *
 * On failure: exit status 1 and "fsimage: <step>: 0xHRESULT <message>" (the DLL's code and text) or
 * "fsimage: <step>: <path>: <system error>"; usage errors exit with 2. A partly written output file
 * is removed, a failed --append/--rewrite leaves the image as it was.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "native.h"
#include "fsi_version.h"        /* FSI_VERSION: the project's version (CMakeLists.txt) */
#include "imapi2fserror.h"

cli_bar g_bar;
const char *g_out_path;
int g_out_created;

/* ---- failures --------------------------------------------------------------------------------- */

static _Noreturn void die(void)
{
    if (g_out_created)
        unlink(g_out_path);
    cli_restore_old();
    exit(1);
}

void fail_hr16(const char *step, int32_t hr, const uint16_t *const ins[3])
{
    uint16_t text[2048];
    char out[3 * 2048 + 32];
    size_t n = fsi_message_format(hr, ins, text, sizeof text / sizeof text[0]);
    if (n)
        cli_utf8(text, n, out, sizeof out);
    else
        snprintf(out, sizeof out, "Error 0x%08x", (unsigned)hr);
    cli_say_failure(&g_bar, step, (uint32_t)hr, out);
    die();
}

void fail_hr(const char *step, int32_t hr, const char *i1, const char *i2, const char *i3)
{
    const char *in[3] = { i1, i2, i3 };
    uint16_t buf[3][FSI_ERR_PATH_MAX + 1];
    const uint16_t *ins[3] = { NULL, NULL, NULL };
    for (int i = 0; i < 3; i++)
        if (in[i]) {
            size_t n = strlen(in[i]), k = fsi_utf8_to_utf16(in[i], n, buf[i], FSI_ERR_PATH_MAX);
            if (k == (size_t)-1)        /* not UTF-8: as Wine would show it */
                k = cli_name_to_utf16((const unsigned char *)in[i], n, buf[i], FSI_ERR_PATH_MAX);
            buf[i][k] = 0;
            ins[i] = buf[i];
        }
    fail_hr16(step, hr, ins);
}

void fail_engine(const char *step, const fsi_err *e)
{
    fsi_error_inserts ins;
    int32_t hr = fsi_policy_engine_error(e, &ins);
    fail_hr16(step, hr, ins.ins);
}

void fail_errno(const char *step, const char *path)
{
    int e = errno;
    cli_bar_end(&g_bar);
    fprintf(stderr, "fsimage: %s: %s: %s\n", step, path, strerror(e));
    die();
}

void fail_nomem(const char *step) { fail_hr(step, E_OUTOFMEMORY_HR, NULL, NULL, NULL); }

void warn(int quiet, const char *fmt, const char *path, const char *why)
{
    if (!quiet) {
        fputs("fsimage: warning: ", stderr);
        fprintf(stderr, fmt, path, why);
        fputc('\n', stderr);
    }
}

/* ---- --boot: BootOptions ---------------------------------------------------------------------- */

typedef struct boot_set {
    fsi_boot_entry e[FSI_BOOT_MAX];
    char id[FSI_BOOT_MAX][FSI_POLICY_BOOT_ID_MAX + 1];
    size_t n;
} boot_set;

/* AssignBootImage: the image's bytes (the DLL keeps a copy; so do we). */
static uint8_t *read_boot_image(const char *file, size_t *size)
{
    uint8_t *data = NULL;
    size_t cap = 0;
    FILE *f = fopen(file, "rb");
    *size = 0;
    if (!f)
        fail_errno("opening the boot image", file);
    for (;;) {
        size_t got;
        if (*size == cap) {
            uint8_t *grown;
            if (cap >= 0x80000000u)
                fail_hr("AssignBootImage", IMAPI_E_BOOT_IMAGE_DATA, NULL, NULL, NULL);
            if (!(grown = realloc(data, cap = cap ? 2 * cap : 65536)))
                fail_nomem("AssignBootImage");
            data = grown;
        }
        if (!(got = fread(data + *size, 1, cap - *size, f)))
            break;
        *size += got;
    }
    if (ferror(f))
        fail_errno("opening the boot image", file);
    fclose(f);
    return data;
}

/* One entry the way fsimage.exe makes its BootOptions (AssignBootImage, PlatformId, Emulation,
 * Manufacturer) and put_BootImageOptions(Array) (put_step) copies it. */
static void make_boot(boot_set *set, const char *spec, const char *put_step)
{
    char *buf = strdup(spec);
    cli_boot_spec b;
    unsigned emulation;
    uint8_t *data;
    size_t size;
    int32_t hr;
    int r;

    if (!buf)
        fail_nomem("--boot");
    if ((r = cli_boot_parse(buf, &b)) == 1)
        fail_hr("--boot", E_INVALIDARG_HR, NULL, NULL, NULL);
    if (r)
        exit(2);
    data = read_boot_image(b.file, &size);
    emulation = fsi_policy_emulation_for_size(size, FSI_EMUL_NONE);
    if (!fsi_policy_platform_ok(b.platform))
        fail_hr("PlatformId", IMAPI_E_INVALID_PARAM, "newVal", NULL, NULL);
    if (b.emulation >= 0) {
        /* put after AssignBootImage, the explicit emulation wins, if the size fits */
        uint32_t need = fsi_policy_floppy_size((unsigned)b.emulation);
        if (need && need != size)
            fail_hr("Emulation", IMAPI_E_BOOT_EMULATION_IMAGE_SIZE_MISMATCH, NULL, NULL, NULL);
        emulation = (unsigned)b.emulation;
    }
    memset(set->id[set->n], 0, sizeof set->id[set->n]);
    if (b.manufacturer) {
        /* up to 24 bytes of the ANSI code page: ASCII here (docs/behaviour.md) */
        size_t ml = strlen(b.manufacturer);
        for (size_t i = 0; i < ml; i++)
            if ((unsigned char)b.manufacturer[i] >= 0x80)
                ml = FSI_POLICY_BOOT_ID_MAX + 1;
        if (ml > FSI_POLICY_BOOT_ID_MAX)
            fail_hr("Manufacturer", IMAPI_E_INVALID_PARAM, "newVal", NULL, NULL);
        memcpy(set->id[set->n], b.manufacturer, ml);
    }
    if ((hr = fsi_policy_boot_entry(&set->e[set->n], b.platform, emulation, size, data, size)))
        fail_hr(put_step, hr, "newVal", NULL, NULL);
    set->e[set->n].id = set->id[set->n];
    if (!(set->e[set->n].src = fsi_source_new_memory_owned(data, size)))    /* the source frees the copy */
        fail_nomem(put_step);
    set->n++;
    free(buf);
}

/* ---- the image -------------------------------------------------------------------------------- */

static fsi_time creation_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return fsi_policy_creation_time(fsi_time_from_unix(ts.tv_sec, (int32_t)ts.tv_nsec));
}

/* The properties, in fsimage.exe's order and with the DLL's checks: the previous session first
 * (--append, --rewrite), FileSystemsToCreate, UDFRevision, ISO9660InterchangeLevel,
 * FreeMediaBlocks, StrictFileSystemCompliance, VolumeName (volume, *vlen units), the boot entries. */
static void set_properties(fsi_image *img, const cli_options *o, fsi_plan_opts *po, previous *pv,
                           boot_set *boot, uint16_t volume[64], size_t *vlen)
{
    const char *boot_step = o->nboot == 1 && !o->boot_array ? "BootImageOptions" : "BootImageOptionsArray";
    fsi_plan *plan;
    fsi_err err;

    memset(po, 0, sizeof *po);
    po->fs = o->fs;
    po->iso_level = 2;
    po->udf_revision = 0x102;
    po->udf_redundant_metadata = !o->no_mirror;
    if (o->append) {
        cli_import(img, o, po, pv, volume, vlen);
        if (o->fs_given && o->fs != po->fs)
            fail_hr("FileSystemsToCreate", IMAPI_E_FILE_SYSTEM_CHANGE_NOT_ALLOWED, NULL, NULL, NULL);
    }
    if (o->udf) {
        if (!fsi_udf_revision_supported(o->udf))
            fail_hr("UDFRevision", IMAPI_E_INVALID_PARAM, "newVal", NULL, NULL);
        if ((pv->disc_fs & FSI_FS_UDF) && o->udf != po->udf_revision)
            fail_hr("UDFRevision", IMAPI_E_UDF_REVISION_CHANGE_NOT_ALLOWED, NULL, NULL, NULL);
        po->udf_revision = o->udf;
    }
    if (po->fs & FSI_FS_ISO9660) {
        if (o->level < 1 || o->level > 3)
            fail_hr("ISO9660InterchangeLevel", IMAPI_E_INVALID_PARAM, "newVal", NULL, NULL);
        po->iso_level = o->level;
    }
    if (o->media_blocks > 0) {
        /* FreeMediaBlocks: the empty image must fit */
        if (fsi_plan_build(img, po, &plan, &err) != FSI_OK)
            fail_engine("FreeMediaBlocks", &err);
        if (fsi_plan_total_blocks(plan) > (uint64_t)o->media_blocks)
            fail_hr("FreeMediaBlocks", IMAPI_E_IMAGE_TOO_BIG, NULL, NULL, NULL);
        fsi_plan_unref(plan);
    }
    po->strict = o->strict;
    if (o->volume) {
        size_t n = strlen(o->volume);
        *vlen = fsi_utf8_to_utf16(o->volume, n, volume, 64);
        if (*vlen == (size_t)-1)
            *vlen = cli_name_to_utf16((const unsigned char *)o->volume, n, volume, 64);
        if (!fsi_policy_volume_name_ok(volume, *vlen))
            fail_hr("VolumeName", IMAPI_E_INVALID_VOLUME_NAME, NULL, NULL, NULL);
    }
    for (int i = 0; i < o->nboot; i++)
        make_boot(boot, o->boot[i], boot_step);
    if (o->append && (o->nboot || o->boot_array))   /* boot images go into a first session only */
        fail_hr(boot_step, IMAPI_E_BOOT_OBJECT_CONFLICT, NULL, NULL, NULL);
    po->boot = boot->e;
    po->boot_count = boot->n;
}

int main(int argc, char **argv)
{
    cli_options o;
    fsi_plan_opts po;
    boot_set boot;
    uint16_t volume[64], defname[16];
    size_t vlen = 0;
    fsi_image *img;
    fsi_plan *plan = NULL;
    fsi_err err;
    uint32_t total;
    previous pv;

    switch (cli_parse(argc, argv, &o)) {
    case CLI_HELP: cli_usage(stdout); return 0;
    case CLI_VERSION: printf("fsimage (imapi2fs) %s\n", FSI_VERSION); return 0;
    case CLI_BAD: return 2;
    default: break;
    }
    g_out_path = o.output;
    memset(&pv, 0, sizeof pv);
    pv.fd = -1;
    memset(&boot, 0, sizeof boot);
    if (!(img = fsi_image_new()))
        fail_nomem("memory");
    {
        /* the root folder is dated when the image is made, as the DLL does */
        fsi_times t;
        t.creation = t.access = t.modification = creation_time();
        fsi_node_set_times(fsi_image_root(img), &t);
    }
    set_properties(img, &o, &po, &pv, &boot, volume, &vlen);
    if (!o.quiet)
        cli_say_adding(o.source);
    cli_add_tree(img, &o, &po);

    /* CreateResultImage */
    po.creation_time = creation_time();
    po.volume_name = vlen ? volume : defname;
    po.volume_name_len = vlen ? vlen : fsi_policy_default_volume_name(po.creation_time, defname);
    if (fsi_plan_build(img, &po, &plan, &err) != FSI_OK)
        fail_engine("CreateResultImage", &err);
    total = fsi_plan_total_blocks(plan);
    if (!o.quiet)                       /* the root counts, as on Windows */
        cli_say_counts(fsi_image_file_count(img), fsi_image_dir_count(img) + 1, total);
    /* a random-write result covers the volume from block 0 */
    if (o.map)
        cli_print_map(plan, po.base ? 0 : po.session_start);
    cli_write_image(plan, img, &o, po.base ? 0 : po.session_start, &pv);

    fsi_plan_unref(plan);
    fsi_image_free(img);
    cli_previous_free(&pv);
    for (size_t i = 0; i < boot.n; i++)
        fsi_source_unref(boot.e[i].src);
    return 0;
}
