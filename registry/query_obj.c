/*
 * query_obj.c: one stored object as a LeafClass answer writes it.
 *
 * The registry stores each object's XML without status and home (see
 * schema.sql); the answer puts them after the element name.  It also
 * makes sure that every DocumentEntry, SubmissionSet and Folder names
 * its logicalId (lid) and carries rim:VersionInfo (ITI TF-3 4.1, as the
 * Metadata Update option extends it): objects registered before the
 * registry numbered versions have neither VersionInfo nor, possibly, lid
 * in their stored XML, and the registry_object columns lid and version
 * hold both.  Pure: the text in, the answer appended to a buffer.
 *
 * The stored XML is the registry's own writing (rim_write_object): one
 * prefix, children in rim.xsd order (Slot*, Name?, Description?,
 * VersionInfo?, Classification*, ...), no comments, '<' and '>' escaped
 * in text.  VersionInfo goes after the object's own Slots, Name and
 * Description, before the next child or the end tag; XML not written so
 * (text among the children, an element not closed) is left as stored.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "query_int.h"
#include "status.h"
#include "str.h"

/* Offset just past the start tag that begins at xml (its '>'), or 0;
 * *lid set when it has a lid attribute, *empty when it ends in "/>".
 * The registry's writing escapes '>' in attribute values. */
static size_t
start_tag(const char *xml, size_t n, int *lid, int *empty)
{
	const char *gt;
	size_t len;

	if ((gt = memchr(xml, '>', n)) == NULL)
		return 0;
	len = (size_t)(gt - xml);
	*empty = len > 0 && gt[-1] == '/';
	*lid = memmem(xml, len, " lid=\"", 6) != NULL;
	return len + 1;
}

/* Is the text at p (up to end) the start tag of prefix:name? */
static int
is_elem(const char *p, const char *end, const char *prefix, size_t plen,
    const char *name)
{
	size_t nlen = strlen(name);

	if ((size_t)(end - p) < 2 + plen + nlen || p[0] != '<' ||
	    memcmp(p + 1, prefix, plen) != 0 ||
	    memcmp(p + 1 + plen, name, nlen) != 0)
		return 0;
	p += 1 + plen + nlen;
	return p < end && (*p == ' ' || *p == '>' || *p == '/' ||
	    *p == '\t' || *p == '\n' || *p == '\r');
}

/* Does the text hold a start tag of prefix:name anywhere? */
static int
has_elem(const char *p, size_t n, const char *prefix, size_t plen,
    const char *name)
{
	char pat[64];
	size_t nlen = strlen(name);

	if (1 + plen + nlen > sizeof pat)
		return 0;
	pat[0] = '<';
	memcpy(pat + 1, prefix, plen);
	memcpy(pat + 1 + plen, name, nlen);
	return memmem(p, n, pat, 1 + plen + nlen) != NULL;
}

/* Past the element of prefix:name that starts at p, or NULL. */
static const char *
skip_elem(const char *p, const char *end, const char *prefix, size_t plen,
    const char *name)
{
	char close[64];
	size_t len, clen;
	int lid, empty;

	if ((len = start_tag(p, (size_t)(end - p), &lid, &empty)) == 0)
		return NULL;
	p += len;
	if (empty)
		return p;
	clen = plen + strlen(name) + 3;
	if (clen >= sizeof close)
		return NULL;
	close[0] = '<';
	close[1] = '/';
	memcpy(close + 2, prefix, plen);
	memcpy(close + 2 + plen, name, clen - 3 - plen);
	close[clen - 1] = '>';
	if ((p = memmem(p, (size_t)(end - p), close, clen)) == NULL)
		return NULL;
	return p + clen;
}

/*
 * Where rim:VersionInfo belongs in the children that start at p: NULL
 * when the object has one already or its children are not as expected.
 */
static const char *
version_at(const char *p, const char *end, const char *prefix, size_t plen)
{
	static const char *const before[] = { "Slot", "Name", "Description" };
	size_t i = 0;

	while (p != NULL && p < end) {
		if (is_elem(p, end, prefix, plen, "VersionInfo"))
			return NULL;
		while (i < 3 && !is_elem(p, end, prefix, plen, before[i]))
			i++;
		if (i == 3)
			return p[0] == '<' ? p : NULL;
		p = skip_elem(p, end, prefix, plen, before[i]);
		if (i > 0)	/* Name and Description come once */
			i++;
	}
	return NULL;
}

static int
add_attr(struct buf *b, const char *name, const char *value)
{
	int rc;

	if ((rc = buf_adds(b, " ")) != XDS_OK ||
	    (rc = buf_adds(b, name)) != XDS_OK ||
	    (rc = buf_adds(b, "=\"")) != XDS_OK ||
	    (rc = buf_add_xml(b, value)) != XDS_OK)
		return rc;
	return buf_adds(b, "\"");
}

int
query_obj_write(struct buf *b, const char *xml, size_t n,
    const struct query_obj *o)
{
	const char *end = xml + n, *colon, *at = NULL;
	char vi[96];
	size_t i = 1, tag, plen = 0;
	int rc, lid, empty;

	if (n < 3 || xml[0] != '<')
		return XDS_EFORMAT;
	while (i < n && xml[i] != ' ' && xml[i] != '\t' && xml[i] != '\n' &&
	    xml[i] != '\r' && xml[i] != '>' && xml[i] != '/')
		i++;
	if (i >= n || i == 1 || (tag = start_tag(xml, n, &lid, &empty)) == 0)
		return XDS_EFORMAT;
	if ((colon = memchr(xml + 1, ':', i - 1)) != NULL)
		plen = (size_t)(colon - xml);	/* "rim:" */
	if (!lid && o->lid == NULL)
		return QUERY_OBJ_NEEDS;
	/* VersionInfo is never nested (rim_write_object writes none in
	 * a Classification or ExternalIdentifier): one look finds it. */
	if (o->versioned &&
	    !has_elem(xml + tag, n - tag, xml + 1, plen, "VersionInfo")) {
		if (o->version <= 0)
			return QUERY_OBJ_NEEDS;
		at = empty ? xml + tag : version_at(xml + tag, end, xml + 1,
		    plen);
		if (at != NULL && str_fmt(vi, sizeof vi, "<%.*sVersionInfo "
		    "versionName=\"%lld\"/>", (int)plen, xml + 1,
		    o->version) < 0)
			return XDS_EFORMAT;
	}
	if ((rc = buf_add(b, xml, i)) != XDS_OK ||
	    (rc = add_attr(b, "status", o->status)) != XDS_OK ||
	    (o->home != NULL && (rc = add_attr(b, "home", o->home)) !=
	    XDS_OK) ||
	    (!lid && o->lid != NULL && (rc = add_attr(b, "lid", o->lid)) !=
	    XDS_OK))
		return rc;
	if (at == NULL)
		return buf_add(b, xml + i, n - i);
	if (empty) {
		/* <x .../> becomes <x ...><VersionInfo/></x> */
		if ((rc = buf_add(b, xml + i, tag - 2 - i)) != XDS_OK ||
		    (rc = buf_adds(b, ">")) != XDS_OK ||
		    (rc = buf_adds(b, vi)) != XDS_OK ||
		    (rc = buf_adds(b, "</")) != XDS_OK ||
		    (rc = buf_add(b, xml + 1, i - 1)) != XDS_OK ||
		    (rc = buf_adds(b, ">")) != XDS_OK)
			return rc;
		return buf_add(b, xml + tag, n - tag);
	}
	if ((rc = buf_add(b, xml + i, (size_t)(at - xml) - i)) != XDS_OK ||
	    (rc = buf_adds(b, vi)) != XDS_OK)
		return rc;
	return buf_add(b, at, (size_t)(end - at));
}
