/* Native build: imapi2fserror.h includes <winerror.h>; the HRESULT type comes from windows.h. */
#include "windows.h"
