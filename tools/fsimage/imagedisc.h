/*
 * An image file presented as a disc to IMAPI2FS: caller-side IMultisessionSequential2 and
 * IMultisessionRandomWrite objects whose ImportRecorder is an IDiscRecorder2 that also answers
 * QueryInterface for IStream with the image (how imapi2fs.dll reads a previous session from a
 * file; docs/behaviour.md). Used by fsimage.exe --append and by the tests.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef IMAGEDISC_H
#define IMAGEDISC_H
#include <windows.h>
#include "imapi2fs.h"

/* A multisession object over stream (its size is the recorded part of the "disc"). random = 0:
 * IMultisessionSequential2 (the next writable address is the end of the image, the previous
 * session the last one found by imagedisc_last_session); 1: IMultisessionRandomWrite. The object
 * holds a reference on stream. */
HRESULT imagedisc_create(IStream *stream, int random, IMultisession **out);

/* The first block of the last session of the image in stream (fsi_last_session: sessions follow
 * one another, each starting where the volume before it ends or within 1024 blocks after it). */
LONG imagedisc_last_session(IStream *stream);

#endif
