/*
 * mono.h: the monotonic clock, for deadlines and durations (never the
 * wall clock, which NTP may step).
 */
#ifndef XDS_MONO_H
#define XDS_MONO_H

/* Milliseconds, and seconds, since an unspecified point in the past. */
long long mono_ms(void);
double	mono_s(void);

#endif
