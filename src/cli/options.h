/*
 * The command line of both fsimage front ends: native fsimage (src/cli) and fsimage.exe
 * (tools/fsimage, through COM), so that they cannot drift: one option table and usage text, one
 * --boot parser, one progress line, the messages they print alike. Portable C11; strings are UTF-8
 * (fsimage.exe converts its wide argv first), UTF-16 where they come from the engine or the DLL.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FSI_CLI_OPTIONS_H
#define FSI_CLI_OPTIONS_H

#include <stdint.h>
#include <stdio.h>

#define CLI_BOOT_MAX 32                 /* --boot entries: FSI_BOOT_MAX, IMAPI2FS_BOOT_ENTRY_COUNT_MAX */

typedef struct cli_options {
    unsigned fs;                        /* 1 ISO 9660 | 2 Joliet | 4 UDF (FSI_FS_*, FsiFileSystems) */
    int fs_given;                       /* --fs was given */
    int level;                          /* ISO 9660 interchange level (default 2) */
    int udf;                            /* UDF revision (0x102 ...); 0: not given */
    int no_mirror, base, strict, quiet, map, boot_array;
    int append;                         /* 1: --append (sequential), 2: --rewrite (random-write) */
    unsigned import_fs;                 /* --import: one of 1, 2, 4; 0: ImportFileSystem's choice */
    long media_blocks;                  /* FreeMediaBlocks; 0: no limit */
    const char *volume;                 /* NULL: not given */
    const char *boot[CLI_BOOT_MAX];     /* --boot SPECs, in catalog order */
    int nboot;
    const char *source, *output;
} cli_options;

enum { CLI_RUN, CLI_HELP, CLI_VERSION, CLI_BAD };

/* Parse argv as getopt_long does (options and the two paths in any order, "--" ends the options,
 * "--opt=value", "-xVALUE", bundled flags, unambiguous prefixes of long options). Returns CLI_RUN,
 * CLI_HELP, CLI_VERSION, or CLI_BAD after printing why on stderr (exit status 2). argv is not
 * changed; o points into it. */
int cli_parse(int argc, char **argv, cli_options *o);

/* The usage text (--help on stdout; after a usage error on stderr). */
void cli_usage(FILE *f);

/* "FILE[,platform=P][,emulation=E][,manufacturer=NAME]" (--boot). */
typedef struct cli_boot_spec {
    const char *file;
    unsigned platform;                  /* FSI_BOOT_* / PlatformId; may be out of range (checked later) */
    int emulation;                      /* FSI_EMUL_* / EmulationType; -1: not given */
    const char *manufacturer;           /* NULL: not given */
} cli_boot_spec;

/* Parse spec, cut at its commas (spec is changed; b points into it). Returns 0; 1 when there is no
 * FILE (the caller reports E_INVALIDARG for "--boot"); 2 after printing a bad item on stderr (exit
 * status 2). */
int cli_boot_parse(char *spec, cli_boot_spec *b);

/* ---- output ----------------------------------------------------------------------------------- */

/* UTF-16 (n units) as UTF-8 into out (cap bytes, terminated, cut at a character), an unpaired
 * surrogate as U+FFFD. Returns the bytes written. */
size_t cli_utf8(const uint16_t *s, size_t n, char *out, size_t cap);

/* The progress line: "writing image: [####----] 42% (done of total blocks) ...end of the path",
 * 79 columns, redrawn when the percentage changes or every 200 ms, on one terminal line. */
typedef struct cli_bar {
    int live;                           /* stderr is a terminal and not --quiet: draw */
    uint32_t total;                     /* blocks */
    int last_pct;                       /* -1 at first */
    uint64_t last_draw;                 /* ms */
    int drawn;                          /* a line is on the terminal: end it before a message */
} cli_bar;

/* The line to draw now ("\r" and 79 columns, UTF-8, into out of cap bytes: 640 is enough) for done
 * blocks and the file being copied (file: its image path, flen units; NULL: none), or 0 when no
 * redraw is due (force: draw anyway). now: a monotonic clock in ms. */
size_t cli_bar_line(cli_bar *b, uint32_t done, const uint16_t *file, size_t flen, int force, uint64_t now,
                    char *out, size_t cap);

/* End a drawn progress line (a new line on stderr), before a message. */
void cli_bar_end(cli_bar *b);

/* The messages both front ends print on stderr (not with --quiet). */
void cli_say_adding(const char *source);
void cli_say_counts(unsigned long long files, unsigned long long dirs, unsigned long long blocks);
void cli_say_imported(unsigned fs, unsigned long long files, unsigned long long dirs, unsigned long long start);
void cli_say_done(const cli_bar *b, unsigned long long blocks);

/* A failure: "fsimage: STEP: 0xHRESULT TEXT" on stderr (the line of a drawn bar ended first). */
void cli_say_failure(cli_bar *b, const char *step, uint32_t hr, const char *text);

/* A --map line without its line end: "%10u %10u %10u DESCRIPTION" (first, last block, count). */
void cli_map_line(char *out, size_t cap, uint32_t first, uint32_t count, const char *desc);

#endif /* FSI_CLI_OPTIONS_H */
