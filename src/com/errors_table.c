/*
 * errors_table.c - the message table moved to the policy module (src/policy/messages.c); the DLL
 * links it (fsi_policy, CMakeLists.txt). This file stays while src/com/CMakeLists.txt names it.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "errors_table.h"
