/*
 * Civil dates (proleptic Gregorian, UTC) of fsi_time and back, for every format's timestamps:
 * ECMA-119 7- and 17-byte dates, ECMA-167 timestamps, and the dates imported volumes record.
 * Both directions are H. Hinnant's algorithms (days from and to 1970-01-01).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "fsi_internal.h"

#define TICKS_PER_SEC INT64_C(10000000)

/* days since 1970-01-01 -> civil date */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t dd = doy - (153 * mp + 2) / 5 + 1;
    int64_t mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

/* civil date -> days since 1970-01-01 */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void fsi_time_civil(fsi_time t, int *year, int *mon, int *day, int *hour, int *min, int *sec, int *cs)
{
    /* floor division of ticks since the Unix epoch */
    int64_t rel = t - FSI_TIME_UNIX_EPOCH;
    int64_t s = rel / TICKS_PER_SEC, frac = rel % TICKS_PER_SEC;
    if (frac < 0) {
        s--;
        frac += TICKS_PER_SEC;
    }
    int64_t days = s / 86400, rem = s % 86400;
    if (rem < 0) {
        days--;
        rem += 86400;
    }
    civil_from_days(days, year, mon, day);
    *hour = (int)(rem / 3600);
    *min = (int)(rem / 60 % 60);
    *sec = (int)(rem % 60);
    *cs = (int)(frac / 100000);
    if (*year < 1) {
        *year = 1; *mon = 1; *day = 1; *hour = *min = *sec = *cs = 0;
    } else if (*year > 9999) {
        *year = 9999; *mon = 12; *day = 31; *hour = 23; *min = 59; *sec = 59; *cs = 99;
    }
}

fsi_time fsi_time_from_civil(int year, int mon, int day, int hour, int min, int sec, int64_t ticks, int offset_min)
{
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 ||
        sec > 60 || year < 1 || year > 9999)
        return FSI_TIME_UNIX_EPOCH;                     /* unset or invalid: 1970 */
    int64_t s = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec - (int64_t)offset_min * 60;
    return FSI_TIME_UNIX_EPOCH + s * TICKS_PER_SEC + ticks;
}
