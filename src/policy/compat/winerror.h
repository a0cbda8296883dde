/*
 * The one type imapi2fserror.h needs from <winerror.h>, so that the policy module (portable, no
 * Windows header even in the MinGW builds) and native fsimage take the codes from the DLL's header.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef FSI_POLICY_COMPAT_WINERROR_H
#define FSI_POLICY_COMPAT_WINERROR_H
#include <stdint.h>
typedef int32_t HRESULT;
#endif
