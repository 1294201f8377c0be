/*
 * fuzz_sqparam.c: the stored query slot parser.
 *
 * Input: byte 0 picks the query; the rest is lines "name<TAB>value"; a
 * line starting with TAB adds a Value to the previous slot; a name of one
 * character 'a'.. picks that parameter of the query's table.  The whole
 * input is also fed to sqp_split() as one value.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sqparam.h"

#define MAX_SLOTS	(SQP_MAX_SLOTS + 4)
#define MAX_VALS	64

static int
nop(void *arg, const char *item, size_t n, int quoted)
{
	(void)arg;
	(void)quoted;
	/* Touch every byte so ASan checks the item. */
	return n > 0 && item[n - 1] == '\0' ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sqp_slot slots[MAX_SLOTS];
	static const char *vals[MAX_SLOTS][MAX_VALS];
	const struct sqp_query *q;
	struct sqp_set ps;
	char err[256], *text, *line, *next, *tab;
	size_t nslots = 0, k;

	if (size == 0 || size > 1 << 16)
		return 0;
	sqp_split((const char *)data, size, nop, NULL, err, sizeof err);
	q = sqp_query_at(data[0] % SQP_NQUERIES);
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	for (line = text; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if ((tab = strchr(line, '\t')) == NULL)
			continue;
		*tab = '\0';
		if (tab == line) {
			struct sqp_slot *s;

			if (nslots == 0)
				continue;
			s = &slots[nslots - 1];
			if (s->nvalues < MAX_VALS)
				vals[nslots - 1][s->nvalues++] = tab + 1;
			continue;
		}
		if (nslots == MAX_SLOTS)
			break;
		slots[nslots].name = line;
		if (line[0] >= 'a' && line[1] == '\0' &&
		    (k = (size_t)(line[0] - 'a')) < q->nparams)
			slots[nslots].name = q->params[k].name;
		slots[nslots].values = vals[nslots];
		slots[nslots].nvalues = 1;
		vals[nslots][0] = tab + 1;
		nslots++;
	}
	if (sqp_parse(q, slots, nslots, &ps, err, sizeof err) == XDS_OK) {
		for (k = 0; k < q->nparams; k++)
			(void)sqp_get(&ps, q->params[k].name);
		(void)sqp_metadata_level(&ps);
	}
	sqp_free(&ps);
	free(text);
	return 0;
}
