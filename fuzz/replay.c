/*
 * replay.c: main() for fuzz targets in ordinary builds.  Runs
 * LLVMFuzzerTestOneInput on every file of the target's seed corpus
 * ($top_srcdir/fuzz/corpus/<name>/, name = program name without
 * "fuzz_"), or on the files given as arguments.  Each input is read into
 * an exactly-sized heap buffer so ASan sees any over-read.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
run_file(const char *path)
{
	FILE *fp;
	struct stat st;
	uint8_t *data;
	size_t n;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	if ((fp = fopen(path, "rb")) == NULL)
		return -1;
	data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (data == NULL) {
		fclose(fp);
		return -1;
	}
	n = fread(data, 1, (size_t)st.st_size, fp);
	fclose(fp);
	LLVMFuzzerTestOneInput(data, n);
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *top = getenv("top_srcdir");
	const char *prog = strrchr(argv[0], '/');
	char dir[4096], path[8192];
	struct dirent *de;
	DIR *d;
	int i, passed = 0, failed = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			run_file(argv[i]) == 0 ? passed++ : failed++;
		printf("%d passed, %d failed\n", passed, failed);
		return failed ? 1 : 0;
	}
	prog = prog ? prog + 1 : argv[0];
	if (strncmp(prog, "fuzz_", 5) == 0)
		prog += 5;
	snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", top ? top : ".", prog);
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "%s: no seed corpus\n", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (run_file(path) == 0)
			passed++;
	}
	closedir(d);
	if (passed == 0) {
		fprintf(stderr, "%s: empty seed corpus\n", dir);
		return 1;
	}
	printf("%d passed, 0 failed\n", passed);
	return 0;
}
