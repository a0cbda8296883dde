/*
 * fsi_mkiso: build an image of a directory with the engine (native test tool).
 *
 *   fsi_mkiso [-l LEVEL] [-i | -j] [--fs LIST] [--udf REV] [--no-mirror] [-s] [-V VOLUME]
 *             [-S SESSION_START] [-n] [--boot FILE[,...]]... [-o OUT] DIR [OUT]
 *
 *   -l   ISO 9660 interchange level (1, 2, 3; default 2)
 *   -i   ISO 9660 only; -j Joliet only (default both)
 *   --fs LIST     file systems, comma separated: iso, joliet, udf (e.g. --fs udf, --fs iso,joliet,udf)
 *   --udf REV     UDF revision: 0x102, 0x150, 0x200, 0x201, 0x250, 0x260 or 1.02 ... 2.60 (default
 *                 0x102); implies udf in --fs when --fs is not given (ISO 9660 + Joliet + UDF)
 *   --no-mirror   2.50+: no redundant metadata copy (the mirror file shares the metadata's extents)
 *   -s   strict file system compliance
 *   -n   do not write: read the whole image and discard it (timing)
 *   --boot FILE[,platform=x86|ppc|mac|efi|N][,emulation=none|1.2|1.44|2.88|hd][,id=NAME]
 *          [,sectors=N][,segment=N]
 *        an El Torito entry (repeatable, in catalog order); sectors default: fsi_boot_sector_count;
 *        hard disk emulation reads the system type from the image's MBR
 *
 * Symbolic links are followed (to files and directories); dangling links are skipped with a
 * warning, as are loops (a directory already on the current path, by device and inode).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsi/engine.h"

typedef struct dev_ino { dev_t dev; ino_t ino; } dev_ino;

static dev_ino *g_path;
static size_t g_depth, g_cap;
static unsigned long g_warnings;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static fsi_times times_of(const struct stat *st)
{
    fsi_times t;
    t.modification = fsi_time_from_unix(st->st_mtim.tv_sec, (int32_t)st->st_mtim.tv_nsec);
    t.access = fsi_time_from_unix(st->st_atim.tv_sec, (int32_t)st->st_atim.tv_nsec);
    t.creation = fsi_time_from_unix(st->st_ctim.tv_sec, (int32_t)st->st_ctim.tv_nsec);
    return t;
}

static int add_dir(fsi_image *img, fsi_node *dir, const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "warning: cannot open %s: %s\n", path, strerror(errno));
        g_warnings++;
        return 0;
    }
    struct dirent *de;
    size_t plen = strlen(path);
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, ".."))
            continue;
        size_t nl = strlen(nm);
        char *full = malloc(plen + nl + 2);
        if (!full)
            return -1;
        memcpy(full, path, plen);
        full[plen] = '/';
        memcpy(full + plen + 1, nm, nl + 1);
        struct stat st;
        if (stat(full, &st) != 0) {
            fprintf(stderr, "warning: skipping %s: %s\n", full, strerror(errno));
            g_warnings++;
            free(full);
            continue;
        }
        uint16_t name[512];
        size_t ul = fsi_utf8_to_utf16(nm, nl, name, 512);
        if (ul == (size_t)-1) {
            fprintf(stderr, "warning: skipping %s: name is not UTF-8\n", full);
            g_warnings++;
            free(full);
            continue;
        }
        fsi_node *n = NULL;
        fsi_status s;
        if (S_ISDIR(st.st_mode)) {
            int loop = 0;
            for (size_t i = 0; i < g_depth; i++)
                if (g_path[i].dev == st.st_dev && g_path[i].ino == st.st_ino)
                    loop = 1;
            if (loop) {
                fprintf(stderr, "warning: skipping %s: directory loop\n", full);
                g_warnings++;
                free(full);
                continue;
            }
            s = fsi_node_new_dir(name, ul, &n);
        } else if (S_ISREG(st.st_mode)) {
            fsi_source *src = st.st_size ? fsi_source_new_path(full) : NULL;
            if (st.st_size && !src)
                return -1;
            s = fsi_node_new_file(name, ul, (uint64_t)st.st_size, src, &n);
            fsi_source_unref(src);
        } else {
            fprintf(stderr, "warning: skipping %s: not a file or directory\n", full);
            g_warnings++;
            free(full);
            continue;
        }
        if (s != FSI_OK) {
            fprintf(stderr, "warning: skipping %s: engine status %d\n", full, (int)s);
            g_warnings++;
            free(full);
            continue;
        }
        fsi_times t = times_of(&st);
        fsi_node_set_times(n, &t);
        s = fsi_dir_attach(img, dir, n, 0);
        if (s != FSI_OK) {
            fprintf(stderr, "error: attach %s: %d\n", full, (int)s);
            fsi_node_unref(n);
            free(full);
            closedir(d);
            return -1;
        }
        if (S_ISDIR(st.st_mode)) {
            if (g_depth == g_cap) {
                g_cap = g_cap ? 2 * g_cap : 64;
                g_path = realloc(g_path, g_cap * sizeof *g_path);
                if (!g_path)
                    return -1;
            }
            g_path[g_depth++] = (dev_ino){ st.st_dev, st.st_ino };
            int r = add_dir(img, n, full);
            g_depth--;
            if (r < 0) {
                fsi_node_unref(n);
                free(full);
                closedir(d);
                return r;
            }
        }
        fsi_node_unref(n);
        free(full);
    }
    closedir(d);
    return 0;
}

static void print_err(const char *what, fsi_status s, const fsi_err *e)
{
    char p[4 * FSI_ERR_PATH_MAX + 1];
    if (fsi_utf16_to_utf8(e->path, e->path_len, p, sizeof p) == (size_t)-1)
        strcpy(p, "?");
    fprintf(stderr, "error: %s: status %d fs %u path '%s' expected %llu found %llu\n", what, (int)s, e->fs, p,
            (unsigned long long)e->expected, (unsigned long long)e->found);
}

static const char USAGE[] = "usage: %s [-l LEVEL] [-i|-j] [--fs iso,joliet,udf] [--udf REV] [--no-mirror] [-s] "
                            "[-V VOL] [-S START] [-n] [--boot FILE[,platform=x86|ppc|mac|efi|N]"
                            "[,emulation=none|1.2|1.44|2.88|hd][,id=NAME][,sectors=N][,segment=N]]... "
                            "[-o OUT] DIR [OUT]\n";

/* --boot FILE[,key=value]...: one El Torito entry (repeatable, in order). */
static fsi_boot_entry g_boot[FSI_BOOT_MAX];
static char g_boot_id[FSI_BOOT_MAX][25];
static size_t g_nboot;

static int parse_boot(char *arg)
{
    if (g_nboot == FSI_BOOT_MAX)
        return 0;
    fsi_boot_entry *e = &g_boot[g_nboot];
    memset(e, 0, sizeof *e);
    e->sector_count = -1;
    char *save = NULL, *tok = strtok_r(arg, ",", &save);
    if (!tok)
        return 0;
    struct stat st;
    if (stat(tok, &st) != 0 || !S_ISREG(st.st_mode)) {
        fprintf(stderr, "error: boot image %s not found\n", tok);
        return 0;
    }
    e->size = (uint64_t)st.st_size;
    if (!(e->src = fsi_source_new_path(tok)))
        return 0;
    int hd = 0;
    const char *path = tok;
    while ((tok = strtok_r(NULL, ",", &save))) {
        char *v = strchr(tok, '=');
        if (!v)
            return 0;
        *v++ = 0;
        if (!strcmp(tok, "platform"))
            e->platform = !strcmp(v, "x86") ? FSI_BOOT_X86 : !strcmp(v, "ppc") ? FSI_BOOT_POWERPC
                        : !strcmp(v, "mac") ? FSI_BOOT_MAC : !strcmp(v, "efi") ? FSI_BOOT_EFI
                        : (unsigned)strtoul(v, NULL, 0);
        else if (!strcmp(tok, "emulation")) {
            if (!strcmp(v, "none")) e->emulation = FSI_EMUL_NONE;
            else if (!strcmp(v, "1.2")) e->emulation = FSI_EMUL_FLOPPY12;
            else if (!strcmp(v, "1.44")) e->emulation = FSI_EMUL_FLOPPY144;
            else if (!strcmp(v, "2.88")) e->emulation = FSI_EMUL_FLOPPY288;
            else if (!strcmp(v, "hd")) e->emulation = FSI_EMUL_HARD_DISK, hd = 1;
            else return 0;
        } else if (!strcmp(tok, "id")) {
            snprintf(g_boot_id[g_nboot], sizeof g_boot_id[g_nboot], "%s", v);
            e->id = g_boot_id[g_nboot];
        } else if (!strcmp(tok, "sectors"))
            e->sector_count = (int32_t)strtol(v, NULL, 0);
        else if (!strcmp(tok, "segment"))
            e->load_segment = (uint16_t)strtoul(v, NULL, 0);
        else
            return 0;
    }
    if (hd) {                               /* the system type from the image's MBR */
        uint8_t mbr[512] = { 0 };
        FILE *f = fopen(path, "rb");
        size_t got = f ? fread(mbr, 1, sizeof mbr, f) : 0;
        if (f)
            fclose(f);
        e->system_type = fsi_boot_system_type(mbr, got);
    }
    g_nboot++;
    return 1;
}

static int parse_fs(const char *s, unsigned *fs)
{
    *fs = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        if (n == 3 && !strncmp(s, "iso", 3))
            *fs |= FSI_FS_ISO9660;
        else if (n == 6 && !strncmp(s, "joliet", 6))
            *fs |= FSI_FS_JOLIET;
        else if (n == 3 && !strncmp(s, "udf", 3))
            *fs |= FSI_FS_UDF;
        else
            return 0;
        s += n;
        if (*s == ',')
            s++;
    }
    return *fs != 0;
}

static int parse_rev(const char *s)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return (int)strtol(s, NULL, 16);
    if (s[0] >= '1' && s[0] <= '9' && s[1] == '.' && strlen(s) == 4)   /* 2.50 -> 0x250 */
        return (s[0] - '0') << 8 | (s[2] - '0') << 4 | (s[3] - '0');
    return (int)strtol(s, NULL, 0);
}

int main(int argc, char **argv)
{
    int level = 2, strict = 0, noout = 0, udf_rev = 0, mirror = 1, fs_given = 0;
    unsigned fs = FSI_FS_ISO9660 | FSI_FS_JOLIET;
    const char *out = NULL, *vol = "FSI_MKISO";
    uint32_t session = 0;
    int opt;
    static const struct option longopts[] = {
        { "fs", required_argument, NULL, 'F' },
        { "udf", required_argument, NULL, 'U' },
        { "no-mirror", no_argument, NULL, 'M' },
        { "boot", required_argument, NULL, 'B' },
        { NULL, 0, NULL, 0 },
    };
    while ((opt = getopt_long(argc, argv, "l:ijsV:S:no:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'l': level = atoi(optarg); break;
        case 'i': fs = FSI_FS_ISO9660; fs_given = 1; break;
        case 'j': fs = FSI_FS_JOLIET; fs_given = 1; break;
        case 'F':
            if (!parse_fs(optarg, &fs)) {
                fprintf(stderr, "error: --fs takes iso, joliet, udf, comma separated\n");
                return 2;
            }
            fs_given = 1;
            break;
        case 'U': udf_rev = parse_rev(optarg); break;
        case 'M': mirror = 0; break;
        case 'B':
            if (!parse_boot(optarg)) {
                fprintf(stderr, "error: bad --boot %s\n", optarg);
                return 2;
            }
            break;
        case 's': strict = 1; break;
        case 'V': vol = optarg; break;
        case 'S': session = (uint32_t)strtoul(optarg, NULL, 0); break;
        case 'n': noout = 1; break;
        case 'o': out = optarg; break;
        default:
            fprintf(stderr, USAGE, argv[0]);
            return 2;
        }
    }
    if (optind == argc - 2 && !out)
        out = argv[argc - 1];
    else if (optind != argc - 1) {
        fprintf(stderr, USAGE, argv[0]);
        return 2;
    }
    if (!out && !noout) {
        fprintf(stderr, USAGE, argv[0]);
        return 2;
    }
    if (udf_rev && !fs_given)
        fs |= FSI_FS_UDF;
    if ((fs & FSI_FS_UDF) && !udf_rev)
        udf_rev = 0x102;
    const char *dir = argv[optind];
    fsi_image *img = fsi_image_new();
    if (!img)
        return 1;
    struct stat rst;
    if (stat(dir, &rst) != 0 || !S_ISDIR(rst.st_mode)) {
        fprintf(stderr, "error: %s is not a directory\n", dir);
        return 1;
    }
    fsi_times rt = times_of(&rst);
    fsi_node_set_times(fsi_image_root(img), &rt);
    g_cap = 64;
    g_path = malloc(g_cap * sizeof *g_path);
    g_path[g_depth++] = (dev_ino){ rst.st_dev, rst.st_ino };
    double t0 = now();
    if (add_dir(img, fsi_image_root(img), dir) < 0) {
        fprintf(stderr, "error: building the tree failed\n");
        return 1;
    }
    double t1 = now();
    uint16_t vname[256];
    size_t vl = fsi_utf8_to_utf16(vol, strlen(vol), vname, 256);
    fsi_plan_opts o = { 0 };
    o.fs = fs;
    o.iso_level = level;
    o.udf_revision = udf_rev;
    o.udf_redundant_metadata = mirror;
    o.volume_name = vname;
    o.volume_name_len = vl == (size_t)-1 ? 0 : vl;
    o.creation_time = fsi_time_from_unix((int64_t)time(NULL), 0);
    o.session_start = session;
    o.strict = strict;
    o.boot = g_boot;
    o.boot_count = g_nboot;
    fsi_plan *plan = NULL;
    fsi_err err;
    fsi_status s = fsi_plan_build(img, &o, &plan, &err);
    double t2 = now();
    if (s != FSI_OK) {
        print_err("plan", s, &err);
        return 1;
    }
    FILE *f = NULL;
    if (!noout) {
        f = fopen(out, "wb");
        if (!f) {
            perror(out);
            return 1;
        }
    }
    fsi_cursor *c = fsi_cursor_new(plan);
    uint64_t total = (uint64_t)fsi_plan_total_blocks(plan) * FSI_BLOCK_SIZE;
    size_t chunk = 4u << 20;
    uint8_t *buf = malloc(chunk);
    for (uint64_t off = 0; off < total; off += chunk) {
        size_t n = total - off < chunk ? (size_t)(total - off) : chunk;
        s = fsi_cursor_read(c, off, buf, n, &err);
        if (s != FSI_OK) {
            print_err("read", s, &err);
            return 1;
        }
        if (f && fwrite(buf, 1, n, f) != n) {
            perror(out);
            return 1;
        }
    }
    if (f && fclose(f) != 0) {
        perror(out);
        return 1;
    }
    double t3 = now();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    fprintf(stderr,
            "files %llu dirs %llu blocks %u extents %zu | tree %.3fs plan %.3fs read %.3fs | max rss %ld MiB | "
            "warnings %lu\n",
            (unsigned long long)fsi_image_file_count(img), (unsigned long long)fsi_image_dir_count(img),
            fsi_plan_total_blocks(plan), fsi_plan_extent_count(plan), t1 - t0, t2 - t1, t3 - t2,
            ru.ru_maxrss / 1024, g_warnings);
    free(buf);
    fsi_cursor_free(c);
    fsi_plan_unref(plan);
    fsi_image_free(img);
    free(g_path);
    return 0;
}
