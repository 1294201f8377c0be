/*
 * conform_plan.c: one conformance test definition read from its text
 * (xdsnode-conformance(5)): "key = value" lines, '#' comments, then a
 * line "---" and the message template.  Pure: no I/O.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conform.h"
#include "status.h"
#include "str.h"
#include "vocab.h"

static const struct {
	const char	*send, *action;
	int		 mtom;
} sends[] = {
	{ "ITI-18", ACT_ITI18, 0 },
	{ "ITI-38", ACT_ITI38, 0 },
	{ "ITI-39", ACT_ITI39, 1 },
	{ "ITI-41", ACT_ITI41, 1 },
	{ "ITI-42", ACT_ITI42, 0 },
	{ "ITI-43", ACT_ITI43, 1 },
	{ "ITI-57", ACT_ITI57, 0 },
	{ "ITI-62", ACT_ITI62, 0 },
	{ "RAD-69", ACT_RAD69, 1 },
	{ "RAD-75", ACT_RAD75, 1 },
};

/* Keys of one value; expect.* and attach.* are lists. */
static const char *const expect_keys[] = {
	"expect.status", "expect.error", "expect.count.ExtrinsicObject",
	"expect.count.RegistryPackage", "expect.count.ObjectRef",
	"expect.count.Association", "expect.count.DocumentResponse",
	"expect.count.RegistryError", "expect.home", "expect.document",
	"expect.objstatus", "expect.slot", "expect.location", "expect.dicom",
	"expect.version",
};

int
conform_send_action(const char *send, const char **action, int *mtom)
{
	size_t i;

	for (i = 0; i < sizeof sends / sizeof sends[0]; i++)
		if (strcmp(sends[i].send, send) == 0) {
			*action = sends[i].action;
			*mtom = sends[i].mtom;
			return 0;
		}
	return -1;
}

const char *
conform_test_get(const struct conform_test *t, const char *key)
{
	size_t i;

	for (i = 0; i < t->nkv; i++)
		if (strcmp(t->kv[i].key, key) == 0)
			return t->kv[i].val;
	return NULL;
}

void
conform_test_free(struct conform_test *t)
{
	size_t i;

	for (i = 0; i < t->nkv; i++) {
		free(t->kv[i].key);
		free(t->kv[i].val);
	}
	free(t->body);
	memset(t, 0, sizeof *t);
}

static int
name_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < CONFORM_NAME_MAX && strspn(s,
	    "abcdefghijklmnopqrstuvwxyz0123456789-_.") == n;
}

/* One "key = value" line into t. */
static int
header_line(struct conform_test *t, char *key, char *val, char *err,
    size_t errlen)
{
	struct { const char *key; char *dst; size_t sz; } one[] = {
		{ "test", t->name, sizeof t->name },
		{ "title", t->title, sizeof t->title },
		{ "actor", t->actor, sizeof t->actor },
		{ "send", t->send, sizeof t->send },
		{ "target", t->target, sizeof t->target },
		{ "needs", t->needs, sizeof t->needs },
		{ "option", t->option, sizeof t->option },
	};
	size_t i;
	int list = 0;

	for (i = 0; i < sizeof one / sizeof one[0]; i++)
		if (strcmp(key, one[i].key) == 0) {
			if (str_lcpy(one[i].dst, val, one[i].sz) >= one[i].sz) {
				str_fmt(err, errlen, "%s: longer than %zu", key,
				    one[i].sz - 1);
				return XDS_EFORMAT;
			}
			return XDS_OK;
		}
	for (i = 0; i < sizeof expect_keys / sizeof expect_keys[0]; i++)
		if (strcmp(key, expect_keys[i]) == 0)
			list = 1;
	if (strncmp(key, "attach.", 7) == 0 && name_ok(key + 7))
		list = 1;
	if (!list) {
		str_fmt(err, errlen, "unknown key \"%s\"", key);
		return XDS_EFORMAT;
	}
	if (t->nkv >= CONFORM_MAX_KV) {
		str_fmt(err, errlen, "more than %d expectations", CONFORM_MAX_KV);
		return XDS_EFORMAT;
	}
	if ((t->kv[t->nkv].key = strdup(key)) == NULL ||
	    (t->kv[t->nkv].val = strdup(val)) == NULL) {
		free(t->kv[t->nkv].key);
		t->kv[t->nkv].key = NULL;
		return XDS_ENOMEM;
	}
	t->nkv++;
	return XDS_OK;
}

static int
check_header(struct conform_test *t, char *err, size_t errlen)
{
	const char *a;
	int m;

	if (!name_ok(t->name)) {
		str_fmt(err, errlen, "test: a name of a-z, 0-9, '-', '_', '.'");
		return XDS_EFORMAT;
	}
	if (t->actor[0] == '\0') {
		str_fmt(err, errlen, "actor: missing");
		return XDS_EFORMAT;
	}
	if (conform_send_action(t->send, &a, &m) != 0) {
		str_fmt(err, errlen, "send: \"%s\" is none of ITI-18, ITI-38, "
		    "ITI-39, ITI-41, ITI-42, ITI-43, ITI-57, ITI-62, RAD-69, "
		    "RAD-75", t->send);
		return XDS_EFORMAT;
	}
	if (t->target[0] != '\0' && strcmp(t->target, "registry") != 0 &&
	    strcmp(t->target, "repository") != 0) {
		str_fmt(err, errlen, "target: registry or repository");
		return XDS_EFORMAT;
	}
	if (t->option[0] != '\0' && strspn(t->option,
	    "abcdefghijklmnopqrstuvwxyz0123456789-_. ") != strlen(t->option)) {
		str_fmt(err, errlen, "option: names of a-z, 0-9, '-', '_', "
		    "'.'");
		return XDS_EFORMAT;
	}
	if (conform_test_get(t, "expect.status") == NULL) {
		str_fmt(err, errlen, "expect.status: missing");
		return XDS_EFORMAT;
	}
	return XDS_OK;
}

int
conform_test_parse(const char *name, const char *buf, size_t len,
    struct conform_test *t, char *err, size_t errlen)
{
	const char *p = buf, *end = buf + len, *nl;
	char line[4096], e[256];
	int lineno = 0, rc;

	memset(t, 0, sizeof *t);
	str_lcpy(t->file, name, sizeof t->file);
	if (len > CONFORM_MAX_FILE || memchr(buf, '\0', len) != NULL) {
		str_fmt(err, errlen, "%s: too long, or not text", name);
		return XDS_EFORMAT;
	}
	for (;;) {
		char *key, *val, *eq;
		size_t n;

		if (p >= end) {
			str_fmt(err, errlen, "%s: no \"---\" line before the "
			    "message", name);
			rc = XDS_EFORMAT;
			goto fail;
		}
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl ? nl : end) - p);
		if (n >= sizeof line) {
			str_fmt(err, errlen, "%s:%d: line too long", name, lineno);
			rc = XDS_EFORMAT;
			goto fail;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl ? nl + 1 : end;
		key = str_trim(line);
		if (strcmp(key, "---") == 0)
			break;
		if (key[0] == '\0' || key[0] == '#')
			continue;
		if ((eq = strchr(key, '=')) == NULL) {
			str_fmt(err, errlen, "%s:%d: expected key = value", name,
			    lineno);
			rc = XDS_EFORMAT;
			goto fail;
		}
		*eq = '\0';
		key = str_trim(key);
		val = str_trim(eq + 1);
		if ((rc = header_line(t, key, val, e, sizeof e)) != XDS_OK) {
			str_fmt(err, errlen, "%s:%d: %s", name, lineno,
			    rc == XDS_ENOMEM ? "out of memory" : e);
			goto fail;
		}
	}
	if ((rc = check_header(t, e, sizeof e)) != XDS_OK) {
		str_fmt(err, errlen, "%s: %s", name, e);
		goto fail;
	}
	if ((t->body = str_ndup(p, (size_t)(end - p))) == NULL) {
		rc = XDS_ENOMEM;
		str_fmt(err, errlen, "out of memory");
		goto fail;
	}
	return XDS_OK;
fail:
	conform_test_free(t);
	return rc;
}
