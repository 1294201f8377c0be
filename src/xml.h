/*
 * xml.h: libxml2 set up safely (c-stack.md section 3.1).
 * No network, no DTD, no entity expansion: a document with any DOCTYPE
 * is refused before anything in it is expanded.  Callers cap sizes
 * before calling (libxml2's own limits are not relied upon).
 */
#ifndef XDS_XML_H
#define XDS_XML_H

#include <stddef.h>
#include <libxml/tree.h>

/* Once in main() before threads: parser init + deny-all entity loader. */
void	xml_init(void);
/* Parse len bytes; NULL with a reason in err (DOCTYPE, not well-formed). */
xmlDoc	*xml_parse(const char *data, size_t len, char *err, size_t errlen);
/* First element child of n (skipping text/comments), or NULL. */
xmlNode	*xml_first_elem(xmlNode *n);
xmlNode	*xml_next_elem(xmlNode *n);
/* Element n is {ns}name. */
int	xml_is(const xmlNode *n, const char *ns, const char *name);
/* Attribute value (borrowed from the tree) or NULL. */
const char *xml_attr(const xmlNode *n, const char *name);
/* Text content of n, trimmed, into out; -1 if it does not fit. */
int	xml_text(const xmlNode *n, char *out, size_t outsz);

#endif
