/*
 * ebrim.h: the ebRIM 3.0 object model (pure: no I/O, no globals).
 *
 * A SubmitObjectsRequest (or a RegistryObjectList in a query answer) is
 * parsed into a struct rim_list: a flat array of top-level objects
 * (ExtrinsicObject, RegistryPackage, Association, top-level Classification,
 * ObjectRef), each with its slots, nested classifications and external
 * identifiers.  All strings of a list live in one arena owned by the list
 * and are freed together by rim_list_free().  Strings are UTF-8, NUL-
 * terminated, never NULL for required attributes ("" when absent).
 *
 * The model is generic ebRIM; XDS meaning (which classification is a
 * classCode, what a DocumentEntry requires) lives in registry/.
 *
 * Functions return enum xds_status (status.h): the parsers XDS_EFORMAT
 * for malformed input (err says where and why), XDS_EUNSUPPORTED for the
 * ebRIM 2.1 namespace, XDS_ETOOBIG past a limit, XDS_ENOMEM; the others
 * XDS_EINVAL for a bad argument.
 */
#ifndef XDS_EBRIM_H
#define XDS_EBRIM_H

#include <stdarg.h>
#include <stddef.h>
#include <libxml/tree.h>

#include "status.h"

struct buf;

/* Limits: past them parsing fails with XDS_ETOOBIG and a reason. */
#define RIM_MAX_OBJECTS		10000	/* top-level objects per list */
#define RIM_MAX_CHILDREN	1000	/* slots, classifications, ... per object */
#define RIM_MAX_VALUES		1000	/* values per slot */
#define RIM_MAX_TEXT		65536	/* bytes of one attribute or value */

enum rim_kind {
	RIM_EXTRINSIC_OBJECT = 1,	/* DocumentEntry */
	RIM_REGISTRY_PACKAGE,		/* SubmissionSet or Folder */
	RIM_ASSOCIATION,
	RIM_CLASSIFICATION,		/* top level, e.g. SS node classification */
	RIM_OBJECT_REF,
};
#define RIM_KIND_MAX	RIM_OBJECT_REF
/* The ebRIM 3.0 element name of a kind ("ExtrinsicObject"), or NULL. */
const char *rim_kind_elem(enum rim_kind);

struct rim_slot {
	char	 *name;
	char	 *slot_type;		/* optional slotType, or NULL */
	char	**values;
	size_t	  nvalues;
};

struct rim_classification {
	char	*id;
	char	*scheme;		/* classificationScheme, or "" */
	char	*classified;		/* classifiedObject */
	char	*node;			/* classificationNode, or "" */
	char	*noderep;		/* nodeRepresentation, or "" */
	char	*name;			/* Name/LocalizedString@value, or NULL */
	struct rim_slot *slots;
	size_t	 nslots;
};

struct rim_extid {
	char	*id;
	char	*scheme;		/* identificationScheme */
	char	*value;
	char	*registry_object;
	char	*name;			/* or NULL */
};

struct rim_object {
	enum rim_kind kind;
	char	*id;
	char	*lid;			/* or NULL */
	char	*object_type;		/* or NULL */
	char	*status;		/* as submitted, or NULL */
	char	*home;			/* or NULL */
	char	*mime_type;		/* ExtrinsicObject, or NULL */
	char	*is_opaque;		/* ExtrinsicObject, or NULL */
	char	*name;			/* first LocalizedString value, or NULL */
	char	*name_lang;		/* its xml:lang, or NULL */
	char	*name_charset;
	char	*description;		/* or NULL */
	char	*description_lang;
	char	*version_name;		/* VersionInfo@versionName, or NULL */
	struct rim_slot *slots;
	size_t	 nslots;
	struct rim_classification *cls;
	size_t	 ncls;
	struct rim_extid *eids;
	size_t	 neids;
	/* RIM_ASSOCIATION */
	char	*assoc_type, *source, *target;
	/* RIM_CLASSIFICATION (top level) */
	char	*classified, *node, *scheme, *noderep;
};

struct rim_arena;

struct rim_list {
	struct rim_object *obj;
	size_t	 nobj;
	size_t	 capobj;
	struct rim_arena *arena;
};

/* Parse the children of a rim:RegistryObjectList element (or of any
 * element holding top-level rim objects).  Unknown elements in the rim
 * namespace are an error; elements of other namespaces are ignored.
 * Both parsers start by rim_list_init(out) and leave out empty on
 * failure, so calling rim_list_free(out) afterwards is always right.
 * What is accepted (and why a top-level ExternalIdentifier is not) is
 * described at the top of ebrim_parse.c. */
int	rim_parse_list(xmlNode *list, struct rim_list *out, char *err,
	    size_t errlen);
/* Convenience: parse an XML text holding lcm:SubmitObjectsRequest or
 * rim:RegistryObjectList (safe parser options; no DOCTYPE).  Also found
 * inside a SOAP 1.1/1.2 Envelope/Body, an xdsb:ProvideAndRegister-
 * DocumentSetRequest or a query:AdhocQueryResponse (no list: empty). */
int	rim_parse_submit_mem(const char *xml, size_t len, struct rim_list *out,
	    char *err, size_t errlen);
void	rim_list_init(struct rim_list *);
void	rim_list_free(struct rim_list *);

/* Arena strings for callers that build or rewrite objects. */
char	*rim_strdup(struct rim_list *, const char *s);
/* n bytes of s plus a NUL, in the arena. */
char	*rim_strndup(struct rim_list *, const char *s, size_t n);
/* n zeroed bytes in the arena, aligned for any type (e.g. to build a
 * classification or slot array); NULL on failure.  Freed with the list. */
void	*rim_alloc(struct rim_list *, size_t n);
/* Append a new zeroed object to the list; NULL on failure (no memory or
 * RIM_MAX_OBJECTS reached).  The object array may move: pointers from
 * rim_find()/rim_add_object() are valid until the next rim_add_object(). */
struct rim_object *rim_add_object(struct rim_list *, enum rim_kind);
/* Add a slot with one value to an object (or replace the slot's values). */
int	rim_set_slot(struct rim_list *, struct rim_object *, const char *name,
	    const char *value);

/* Lookups (NULL when absent). */
const struct rim_slot *rim_slot(const struct rim_slot *slots, size_t n,
	    const char *name);
const char *rim_slot1(const struct rim_object *, const char *name);
const struct rim_extid *rim_extid(const struct rim_object *, const char *scheme);
/* Classifications of an object with this scheme, in order: returns the
 * count and fills up to max pointers. */
size_t	rim_classifications(const struct rim_object *, const char *scheme,
	    const struct rim_classification **out, size_t max);
struct rim_object *rim_find(const struct rim_list *, const char *id);

/*
 * An index of a list's objects by id, for lookups in O(log n): the
 * objects keep() says yes to (keep NULL: every object with an id),
 * sorted by id, equal ids next to each other.
 */
struct rim_idref {
	const char	*id;
	size_t		 idx;		/* into rim_list.obj */
};
struct rim_index {
	struct rim_idref *v;
	size_t		 n;
};
typedef int (*rim_keep_fn)(const struct rim_list *, size_t i, void *arg);
/* XDS_OK or XDS_ENOMEM (the index is then empty). */
int	rim_index_build(struct rim_index *, const struct rim_list *,
	    rim_keep_fn keep, void *arg);
/* The index into the list of an object with this id, or -1 (id NULL,
 * none, or an empty index). */
long	rim_index_find(const struct rim_index *, const char *id);
void	rim_index_free(struct rim_index *);

/* Serialise one object as ebRIM 3.0 XML (rim: prefix, the namespace
 * declared on the element itself so the text stands alone), appended to
 * out.  The text always starts "<rim:Kind xmlns:rim=\"...\"" followed by
 * the other attributes; NULL attributes are omitted.  On failure
 * (XDS_ENOMEM, XDS_ETOOBIG when out's cap is hit) nothing is appended. */
int	rim_write_object(const struct rim_object *, struct buf *out);
/* Same, only <rim:ObjectRef id=".." [home=".."]/>. */
int	rim_write_objectref(const char *id, const char *home, struct buf *out);

/*
 * Registry responses (rs:RegistryResponse / rs:RegistryErrorList).
 * An error list collects errors with copied strings; codes come from
 * vocab.h, location is optional (XCA: the homeCommunityId).
 */
struct rim_error {
	char	*code;
	char	*context;	/* codeContext: human text */
	char	*location;	/* or NULL */
	int	 warning;	/* severity Warning instead of Error */
};
struct rim_errors {
	struct rim_error *v;
	size_t	 n, cap;
	int	 nomem;		/* an add failed for memory: incomplete */
};
void	rim_errors_init(struct rim_errors *);
void	rim_errors_free(struct rim_errors *);
/* Add an error (warning = 0) or warning; codeContext from fmt. */
int	rim_errors_add(struct rim_errors *, int warning, const char *code,
	    const char *location, const char *fmt, ...)
	    __attribute__((format(printf, 5, 6)));
/* The same with a va_list (for an actor's own printf-like error helper).
 * Both return XDS_OK, XDS_ENOMEM, or XDS_ETOOBIG when the list is full
 * (the error is dropped: the first ones are kept, which is not a failure
 * of the caller). */
int	rim_errors_vadd(struct rim_errors *, int warning, const char *code,
	    const char *location, const char *fmt, va_list ap)
	    __attribute__((format(printf, 5, 0)));
/*
 * An actor's own error (not a warning, no location), codeContext from
 * fmt, also recorded on the transaction x (xact_add_error) unless x is
 * NULL.  XDS_OK, also when the list is full (the first errors are kept),
 * or XDS_ENOMEM (errs->nomem is set).
 */
struct xact;
int	rim_error(struct rim_errors *, struct xact *x, const char *code,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int	rim_errors_nerror(const struct rim_errors *);	/* errors, not warnings */
/* <rs:RegistryResponse xmlns:rs=.. status="..">[<rs:RegistryErrorList>..]
 * </rs:RegistryResponse> */
int	rim_write_registry_response(struct buf *out, const char *status,
	    const struct rim_errors *errs);
/* <rs:RegistryErrorList xmlns:rs=..>..</rs:RegistryErrorList>, nothing
 * when errs has no entries. */
int	rim_write_error_list(struct buf *out, const struct rim_errors *errs);
/*
 * <query:AdhocQueryResponse status=..>[errors]<rim:RegistryObjectList>
 * objs</..></..>: objs is the objects' XML (prefix rim: may be used
 * undeclared), or NULL.  The error list comes first (AdhocQueryResponse
 * extends rs:RegistryResponseType).
 */
int	rim_write_query_response(struct buf *out, const char *status,
	    const struct rim_errors *errs, const struct buf *objs);
/*
 * <xdsb:RetrieveDocumentSetResponse><rs:RegistryResponse status=..>
 * [errors]</..>docs</..>: docs the DocumentResponse elements' XML (prefix
 * xdsb: may be used undeclared), or NULL.  ITI-43, ITI-39, RAD-69, RAD-75.
 */
int	rim_write_retrieve_response(struct buf *out, const char *status,
	    const struct rim_errors *errs, const struct buf *docs);

/*
 * Building submissions (xdsctl submit --patient, the DICOM bridge's KOS
 * publication): element writers that append ebRIM 3.0 with the rim:
 * prefix, which the caller declares on an enclosing element.  Values are
 * escaped; new Classification and ExternalIdentifier ids are fresh
 * urn:uuids.  Each returns XDS_OK, XDS_ENOMEM or XDS_ETOOBIG from the
 * buffer, or XDS_EIO when no UUID could be made.
 */
struct rim_code {
	char	code[128];
	char	display[128];
	char	scheme[128];		/* codingScheme */
};
/* "code^display^codingScheme", each part non-empty; -1 if malformed or
 * too long. */
int	rim_code_parse(const char *spec, struct rim_code *c);
/* <rim:Slot name=..> with one value, or two when v2 is not NULL. */
int	rim_put_slot(struct buf *, const char *name, const char *v1,
	    const char *v2);
int	rim_put_name(struct buf *, const char *name);
/* A coded Classification of obj in scheme (CS_*). */
int	rim_put_code(struct buf *, const char *obj, const char *scheme,
	    const struct rim_code *c);
/* An ExternalIdentifier of obj: scheme (EI_*), value, name (EIN_*). */
int	rim_put_extid(struct buf *, const char *obj, const char *scheme,
	    const char *value, const char *name);

#endif
