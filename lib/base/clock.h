/*
 * clock.h: the node's clocks, in one place a test can move.
 *
 * Code whose behaviour depends on how much time has passed (submission
 * and update times in the registry, a study's quiet time before the
 * DICOM bridge publishes it, the age of a repository's live marks) reads
 * the time here, never from time() or clock_gettime() directly, so a
 * test can move time forward instead of sleeping for it to pass.
 *
 * The node itself never sets the offset: in production both clocks are
 * the system's.  Condition-variable deadlines (pthread_cond_timedwait)
 * keep using the system clock they are bound to.
 */
#ifndef XDS_CLOCK_H
#define XDS_CLOCK_H

/* Seconds since the epoch (CLOCK_REALTIME), plus the test offset. */
long long	clock_wall(void);
/* Milliseconds on CLOCK_MONOTONIC (an arbitrary origin), plus the test
 * offset. */
long long	clock_mono(void);

/*
 * Milliseconds on CLOCK_MONOTONIC that no test moves: for the deadlines
 * of I/O (a peer's answer, a progress bar), which must pass in real time
 * whatever a test does to the clocks above.
 */
long long	clock_real_ms(void);

/*
 * The time ms milliseconds from now on the system clock clockid
 * (CLOCK_REALTIME or CLOCK_MONOTONIC, as the condition variable was
 * made with), for pthread_cond_timedwait.
 */
struct timespec;
void		clock_deadline_ts(int clockid, long long ms, struct timespec *ts);

/*
 * For tests only: move both clocks forward by sec seconds (cumulative;
 * thread-safe: an atomic offset read by every call above), and the
 * offset moved so far.
 */
void		clock_test_advance(long long sec);
long long	clock_test_offset(void);

#endif /* XDS_CLOCK_H */
