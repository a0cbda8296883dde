/*
 * The command line of both fsimage front ends (options.h): the option table, the usage text made
 * from it, the parser, --boot's SPEC, the progress line and the messages. Compiled into native
 * fsimage (src/cli) and fsimage.exe (tools/fsimage).
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "options.h"

#include <stdlib.h>
#include <string.h>
#include "fsi/engine.h"

/* ---- the option table ------------------------------------------------------------------------- */

enum opt_id {
    O_FS, O_LEVEL, O_UDF, O_NO_MIRROR, O_VOLUME, O_BASE, O_MEDIA_BLOCKS, O_STRICT, O_BOOT, O_BOOT_ARRAY,
    O_MAP, O_APPEND, O_REWRITE, O_IMPORT, O_QUIET, O_HELP, O_VERSION,
};

typedef struct opt {
    char short_name;                    /* 0: long only */
    const char *long_name;
    const char *arg;                    /* the value's name in the usage text; NULL: a flag */
    const char *help;                   /* lines after the first start at column 24 */
} opt;

/* In enum opt_id's order, which is the usage text's. */
static const opt opts[] = {
    { 'f', "fs", "LIST", "file systems: iso9660,joliet,udf (default iso9660,joliet)" },
    { 'l', "level", "N", "ISO 9660 interchange level 1, 2 or 3 (default 2)" },
    { 'u', "udf", "REV", "UDF revision: 102, 150, 200, 201, 250 or 260 (or 0x102 ...; default 102)" },
    { 0, "no-mirror", NULL, "UDF 2.50+: no metadata mirror file (CreateRedundantUdfMetadataFiles)" },
    { 'V', "volume", "NAME", "volume name (default: generated from the date and time)" },
    { 'b', "base", NULL, "put SOURCE itself in the image (AddTree includeBaseDirectory)" },
    { 'm', "media-blocks", "N", "FreeMediaBlocks: capacity in 2048-byte blocks (default 0: no limit)" },
    { 's', "strict", NULL, "StrictFileSystemCompliance" },
    { 0, "boot", "SPEC", "an El Torito boot entry (repeatable, in catalog order):\n"
      "FILE[,platform=0|1|2|0xEF|x86|efi][,emulation=none|1.2|1.44|2.88|hd]\n"
      "[,manufacturer=NAME]; one entry goes through BootImageOptions,\n"
      "several through BootImageOptionsArray" },
    { 0, "boot-array", NULL, "use BootImageOptionsArray for a single entry too" },
    { 0, "map", NULL, "print the progress items on stdout, one line each:\n"
      "first block, last block, block count, description" },
    { 0, "append", NULL, "OUT.iso exists: import its last session (MultisessionInterfaces over\n"
      "the file, ImportFileSystem) and add SOURCE as a new session after it" },
    { 0, "rewrite", NULL, "like --append, as on random-write media: rewrite only the modified\n"
      "blocks of OUT.iso (IFileSystemImageResult2::ModifiedBlocks)" },
    { 0, "import", "FS", "with --append/--rewrite: import iso9660, joliet or udf\n"
      "(ImportSpecificFileSystem; default: UDF, else Joliet, else ISO 9660)" },
    { 'q', "quiet", NULL, "no progress on stderr" },
    { 'h', "help", NULL, "this text" },
    { 0, "version", NULL, "print the version of imapi2fs (fsimage.exe: and of the imapi2fs.dll\n"
      "that COM loads) and exit" },
};
#define NOPTS (sizeof opts / sizeof opts[0])

void cli_usage(FILE *f)
{
    fputs("usage: fsimage [options] SOURCE OUT.iso\n"
          "Build an image of the folder SOURCE: fsimage.exe through the IMAPI2FS COM API (imapi2fs.dll),\n"
          "native fsimage with the same layout engine directly; both write the same bytes.\n"
          "The defaults below are fsimage's own; a new MsftFileSystemImage has Windows' defaults\n"
          "(iso9660,joliet,udf, level 1, UDF 1.02, 332800 media blocks), which fsimage overrides.\n\n", f);
    for (size_t i = 0; i < NOPTS; i++) {
        const opt *o = &opts[i];
        char head[32];
        snprintf(head, sizeof head, "  %c%c%c --%s%s%s", o->short_name ? '-' : ' ', o->short_name ? o->short_name : ' ',
                 o->short_name ? ',' : ' ', o->long_name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "%-24s", head);
        for (const char *h = o->help; *h;) {
            const char *nl = strchr(h, '\n');
            size_t n = nl ? (size_t)(nl - h) : strlen(h);
            fprintf(f, "%.*s\n", (int)n, h);
            h += n;
            if (*h) {
                h++;
                fprintf(f, "%24s", "");
            }
        }
    }
}

/* ---- values ----------------------------------------------------------------------------------- */

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

static int same(const char *a, const char *b)           /* ASCII, ignoring case */
{
    while (*a && lower((unsigned char)*a) == lower((unsigned char)*b))
        a++, b++;
    return lower((unsigned char)*a) == lower((unsigned char)*b);
}

/* "iso9660,joliet,udf" (',' or '+' between, "iso" for iso9660, any case) -> a mask; 0 if bad */
static unsigned parse_fs(const char *list)
{
    char buf[256], *tok;
    unsigned fs = 0;
    snprintf(buf, sizeof buf, "%s", list);
    for (tok = buf; tok;) {
        char *end = tok + strcspn(tok, ",+");
        char *next = *end ? end + 1 : NULL;
        *end = 0;
        if (*tok) {
            if (same(tok, "iso9660") || same(tok, "iso")) fs |= FSI_FS_ISO9660;
            else if (same(tok, "joliet")) fs |= FSI_FS_JOLIET;
            else if (same(tok, "udf")) fs |= FSI_FS_UDF;
            else return 0;
        }
        tok = next;
    }
    return fs;
}

/* "250", "0x250" (hexadecimal, as the DLL's UDFRevision) and "2.50" all mean UDF 2.50. */
static int parse_udf(const char *s)
{
    if (s[0] >= '1' && s[0] <= '9' && s[1] == '.' && strlen(s) == 4)
        return (s[0] - '0') << 8 | (s[2] - '0') << 4 | (s[3] - '0');
    return (int)strtol(s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? s + 2 : s, NULL, 16);
}

/* One option with its value (NULL for a flag). Returns CLI_RUN, CLI_HELP, CLI_VERSION or CLI_BAD. */
static int take(cli_options *o, enum opt_id id, const char *v)
{
    switch (id) {
    case O_FS:
        if (!(o->fs = parse_fs(v))) {
            fprintf(stderr, "fsimage: bad file system list '%s'\n", v);
            return CLI_BAD;
        }
        o->fs_given = 1;
        break;
    case O_LEVEL: o->level = atoi(v); break;
    case O_UDF: o->udf = parse_udf(v); break;
    case O_NO_MIRROR: o->no_mirror = 1; break;
    case O_VOLUME: o->volume = v; break;
    case O_BASE: o->base = 1; break;
    case O_MEDIA_BLOCKS: o->media_blocks = atol(v); break;
    case O_STRICT: o->strict = 1; break;
    case O_BOOT:
        if (o->nboot == CLI_BOOT_MAX) {
            fprintf(stderr, "fsimage: at most 32 --boot\n");
            return CLI_BAD;
        }
        o->boot[o->nboot++] = v;
        break;
    case O_BOOT_ARRAY: o->boot_array = 1; break;
    case O_MAP: o->map = 1; break;
    case O_APPEND: o->append = 1; break;
    case O_REWRITE: o->append = 2; break;
    case O_IMPORT:
        o->import_fs = parse_fs(v);
        if (o->import_fs != FSI_FS_ISO9660 && o->import_fs != FSI_FS_JOLIET && o->import_fs != FSI_FS_UDF) {
            fprintf(stderr, "fsimage: --import takes one of iso9660, joliet, udf\n");
            return CLI_BAD;
        }
        break;
    case O_QUIET: o->quiet = 1; break;
    case O_HELP: return CLI_HELP;
    case O_VERSION: return CLI_VERSION;
    }
    return CLI_RUN;
}

/* The option "--name[=value]" names (exactly, else by an unambiguous prefix), or -1. */
static int find_long(const char *name, size_t len)
{
    int found = -1;
    for (size_t i = 0; i < NOPTS; i++) {
        if (strncmp(opts[i].long_name, name, len))
            continue;
        if (!opts[i].long_name[len])
            return (int)i;
        found = found == -1 ? (int)i : -2;
    }
    return found < 0 ? -1 : found;
}

static int bad(const char *why, const char *arg)
{
    fprintf(stderr, why, arg);
    cli_usage(stderr);
    return CLI_BAD;
}

int cli_parse(int argc, char **argv, cli_options *o)
{
    const char *pos[2];
    int npos = 0, r = CLI_RUN, only_paths = 0;

    memset(o, 0, sizeof *o);
    o->fs = FSI_FS_ISO9660 | FSI_FS_JOLIET;
    o->level = 2;
    for (int i = 1; i < argc && r == CLI_RUN; i++) {
        const char *a = argv[i];
        if (only_paths || a[0] != '-' || !a[1]) {
            if (npos < 2)
                pos[npos] = a;
            npos++;
        } else if (a[1] == '-' && !a[2])
            only_paths = 1;
        else if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            int k = find_long(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
            if (k < 0 || (eq && !opts[k].arg))
                return bad("fsimage: unknown option '%s'\n", a);
            if (opts[k].arg && !eq && i + 1 >= argc)
                return bad("fsimage: option '%s' needs a value\n", a);
            r = take(o, (enum opt_id)k, !opts[k].arg ? NULL : eq ? eq + 1 : argv[++i]);
        } else {
            /* -abc: flags, the last (or one with the rest as its value) may take a value */
            for (const char *c = a + 1; *c && r == CLI_RUN; c++) {
                size_t k = 0;
                while (k < NOPTS && opts[k].short_name != *c)
                    k++;
                if (k == NOPTS)
                    return bad("fsimage: unknown option '%s'\n", a);
                if (!opts[k].arg) {
                    r = take(o, (enum opt_id)k, NULL);
                    continue;
                }
                if (!c[1] && i + 1 >= argc)
                    return bad("fsimage: option '%s' needs a value\n", a);
                r = take(o, (enum opt_id)k, c[1] ? c + 1 : argv[++i]);
                break;
            }
        }
    }
    if (r != CLI_RUN)
        return r;
    if (npos != 2) {
        cli_usage(stderr);
        return CLI_BAD;
    }
    o->source = pos[0];
    o->output = pos[1];
    return CLI_RUN;
}

/* ---- --boot ----------------------------------------------------------------------------------- */

int cli_boot_parse(char *spec, cli_boot_spec *b)
{
    char *tok, *next;

    memset(b, 0, sizeof *b);
    b->platform = FSI_BOOT_X86;
    b->emulation = -1;
    spec += strspn(spec, ",");
    if (!*spec)
        return 1;
    b->file = spec;
    for (tok = spec; tok; tok = next) {
        char *end = tok + strcspn(tok, ","), *v;
        next = *end ? end + 1 : NULL;
        *end = 0;
        if (tok == spec || !*tok)
            continue;
        if (!(v = strchr(tok, '='))) {
            fprintf(stderr, "fsimage: bad --boot item '%s'\n", tok);
            return 2;
        }
        *v++ = 0;
        if (same(tok, "platform")) {
            if (same(v, "x86")) b->platform = FSI_BOOT_X86;
            else if (same(v, "efi")) b->platform = FSI_BOOT_EFI;
            else if (same(v, "ppc") || same(v, "powerpc")) b->platform = FSI_BOOT_POWERPC;
            else if (same(v, "mac")) b->platform = FSI_BOOT_MAC;
            else b->platform = (unsigned)strtol(v, NULL, 0);
        } else if (same(tok, "emulation")) {
            if (same(v, "none")) b->emulation = FSI_EMUL_NONE;
            else if (!strcmp(v, "1.2")) b->emulation = FSI_EMUL_FLOPPY12;
            else if (!strcmp(v, "1.44")) b->emulation = FSI_EMUL_FLOPPY144;
            else if (!strcmp(v, "2.88")) b->emulation = FSI_EMUL_FLOPPY288;
            else if (same(v, "hd")) b->emulation = FSI_EMUL_HARD_DISK;
            else {
                fprintf(stderr, "fsimage: bad emulation '%s'\n", v);
                return 2;
            }
        } else if (same(tok, "manufacturer"))
            b->manufacturer = v;
        else {
            fprintf(stderr, "fsimage: bad --boot item '%s'\n", tok);
            return 2;
        }
    }
    return 0;
}

/* ---- output ----------------------------------------------------------------------------------- */

static size_t put_utf8(char *out, size_t cap, size_t n, uint32_t c)
{
    char b[4];
    size_t k;
    if (c >= 0xD800 && c <= 0xDFFF)
        c = 0xFFFD;
    if (c < 0x80) b[0] = (char)c, k = 1;
    else if (c < 0x800) b[0] = (char)(0xC0 | c >> 6), b[1] = (char)(0x80 | (c & 0x3F)), k = 2;
    else if (c < 0x10000)
        b[0] = (char)(0xE0 | c >> 12), b[1] = (char)(0x80 | (c >> 6 & 0x3F)), b[2] = (char)(0x80 | (c & 0x3F)), k = 3;
    else
        b[0] = (char)(0xF0 | c >> 18), b[1] = (char)(0x80 | (c >> 12 & 0x3F)), b[2] = (char)(0x80 | (c >> 6 & 0x3F)),
        b[3] = (char)(0x80 | (c & 0x3F)), k = 4;
    if (n + k < cap) {
        memcpy(out + n, b, k);
        n += k;
    }
    return n;
}

/* the code point at s[*i] (a surrogate pair joined), *i moved past it */
static uint32_t next_cp(const uint16_t *s, size_t n, size_t *i)
{
    uint32_t c = s[(*i)++];
    if (c >= 0xD800 && c < 0xDC00 && *i < n && s[*i] >= 0xDC00 && s[*i] < 0xE000)
        c = 0x10000 + ((c - 0xD800) << 10) + (s[(*i)++] - 0xDC00u);
    return c;
}

size_t cli_utf8(const uint16_t *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    if (!cap)
        return 0;
    for (size_t i = 0; i < n;) {
        size_t before = o;
        o = put_utf8(out, cap, o, next_cp(s, n, &i));
        if (o == before)
            break;
    }
    out[o] = 0;
    return o;
}

size_t cli_bar_line(cli_bar *b, uint32_t done, const uint16_t *file, size_t flen, int force, uint64_t now,
                    char *out, size_t cap)
{
    char head[96];
    int pct = b->total ? (int)((uint64_t)done * 100 / b->total) : 100, n;
    size_t o = 0, cols = 0;

    if (!b->live || (!force && pct == b->last_pct && now - b->last_draw < 200))
        return 0;
    b->last_pct = pct;
    b->last_draw = now;
    n = snprintf(head, sizeof head, "writing image: [%.*s%.*s] %3d%% (%u of %u blocks) ", pct / 5,
                 "####################", 20 - pct / 5, "--------------------", pct, done, b->total);
    out[o++] = '\r';
    for (int i = 0; i < n && cols < 79; i++, cols++)
        out[o++] = head[i];
    if (file && n > 0) {
        /* the end of a long path, after "..." */
        size_t room = n < 79 ? 79 - (size_t)n : 0, skip = 0;
        if (flen > room)
            skip = flen - (room > 3 ? room - 3 : room);
        if (flen > room && room > 3)
            for (int i = 0; i < 3; i++, cols++)
                out[o++] = '.';
        for (size_t i = skip; i < flen && cols < 79; cols++)
            o = put_utf8(out, cap, o, next_cp(file, flen, &i));
    }
    for (; cols < 79 && o + 1 < cap; cols++)
        out[o++] = ' ';
    out[o] = 0;
    b->drawn = 1;
    return o;
}

void cli_say_adding(const char *source) { fprintf(stderr, "adding %s\n", source); }

void cli_say_counts(unsigned long long files, unsigned long long dirs, unsigned long long blocks)
{
    fprintf(stderr, "%llu files, %llu directories, %llu blocks\n", files, dirs, blocks);
}

void cli_say_imported(unsigned fs, unsigned long long files, unsigned long long dirs, unsigned long long start)
{
    fprintf(stderr, "imported %s: %llu files, %llu directories; new session at block %llu\n",
            fs == FSI_FS_UDF ? "UDF" : fs == FSI_FS_JOLIET ? "Joliet" : "ISO 9660", files, dirs, start);
}

void cli_say_done(const cli_bar *b, unsigned long long blocks)
{
    fprintf(stderr, "%swriting image: 100%% (%llu of %llu blocks)\n",
            b->live ? "\r                                                                               \r" : "",
            blocks, blocks);
}

void cli_bar_end(cli_bar *b)
{
    if (b && b->drawn) {
        fputc('\n', stderr);
        b->drawn = 0;
    }
}

void cli_say_failure(cli_bar *b, const char *step, uint32_t hr, const char *text)
{
    cli_bar_end(b);
    fprintf(stderr, "fsimage: %s: 0x%08X %s\n", step, (unsigned)hr, text);
}

void cli_map_line(char *out, size_t cap, uint32_t first, uint32_t count, const char *desc)
{
    snprintf(out, cap, "%10u %10u %10u %s", first, first + count - 1, count, desc);
}
