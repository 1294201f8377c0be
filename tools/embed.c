/*
 * embed: files as C arrays, for data compiled into a program.
 *
 *	embed [-t TABLE] NAME=FILE... > out.c
 *
 * writes one array per file (its bytes and a NUL, which is not counted)
 * and a table `const struct soap_schema TABLE[]` (soap_schemas unless -t
 * says otherwise) of { name, data, length }, ended by a row of NULLs.  Run at build time; the output is not
 * kept in the repository.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
emit(const char *name, const char *path, size_t idx)
{
	FILE *fp;
	size_t n = 0;
	int c, rc = -1;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	printf("/* %s: %s */\nstatic const char d%zu[] = {", name, path, idx);
	while ((c = getc(fp)) != EOF) {
		printf("%s0x%02x,", n % 16 == 0 ? "\n\t" : " ", (unsigned)c);
		n++;
	}
	if (ferror(fp))
		perror(path);
	else {
		printf("\n\t0x00\n};\n");
		rc = 0;
	}
	fclose(fp);
	return rc;
}

int
main(int argc, char *argv[])
{
	const char *eq, *table = "soap_schemas";
	int i, first = 1;

	printf("/* Made by tools/embed at build time: do not edit. */\n"
	    "#include <stddef.h>\n\n#include \"soap.h\"\n\n");
	if (argc > 2 && strcmp(argv[1], "-t") == 0) {
		table = argv[2];
		first = 3;
	}
	for (i = first; i < argc; i++) {
		if ((eq = strchr(argv[i], '=')) == NULL || eq == argv[i]) {
			fprintf(stderr, "usage: embed [-t TABLE] NAME=FILE...\n");
			return 2;
		}
		if (emit(argv[i], eq + 1, (size_t)i) != 0)
			return 1;
	}
	printf("\nconst struct soap_schema %s[] = {\n", table);
	for (i = first; i < argc; i++) {
		eq = strchr(argv[i], '=');
		printf("\t{ \"%.*s\", d%d, sizeof d%d - 1 },\n",
		    (int)(eq - argv[i]), argv[i], i, i);
	}
	printf("\t{ NULL, NULL, 0 }\n};\n");
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
