/*
 * bsn.h: the generated patients of the benchmarks: the first n numbers
 * from 100000000 up that pass the BSN 11-check (9*d1 + 8*d2 + ... +
 * 2*d8 - d9 = 0 mod 11).  bench_submit loads them, bench_find asks for
 * them, so both must agree.
 */
#ifndef XDS_BENCH_BSN_H
#define XDS_BENCH_BSN_H

#include <stdio.h>

static void
bsn_table(char (*bsns)[10], int npat)
{
	long n = 100000000;
	int i = 0;

	for (; i < npat; n++) {
		long s8 = n / 10, sum = 0, w, d9;

		for (w = 2; w <= 9; w++, s8 /= 10)
			sum += (s8 % 10) * w;
		d9 = sum % 11;
		if (d9 == 10 || n % 10 != d9)
			continue;
		snprintf(bsns[i++], 10, "%09ld", n % 1000000000);
	}
}

#endif
