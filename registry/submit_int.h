/*
 * submit_int.h: the state of one submission while it is checked and
 * stored, shared by submit.c (ITI-42, and the common part of ITI-57)
 * and update.c (what Metadata Update adds); not a public interface.
 */
#ifndef XDS_SUBMIT_INT_H
#define XDS_SUBMIT_INT_H

#include <stddef.h>
#include <sqlite3.h>

#include "ebrim.h"
#include "hl7dt.h"
#include "validate.h"

#define SUB_CX_MAX	(2 * HL7_ID_MAX + 16)

struct buf;
struct registry;
struct store_conn;

struct sub {
	struct registry	*reg;
	struct rim_list	*l;
	int		 mu;		/* ITI-57: a Metadata Update */
	enum xds_kind	*kind;		/* per object */
	sqlite3_int64	*row;		/* per object, once inserted */
	/* Per object, ITI-57: the version it gets (0: 1, a new object),
	 * the row of the version it follows (0: none). */
	long		*version;
	sqlite3_int64	*prev;
	struct rim_index byid;		/* DE/SS/Folder/Assoc by id */
	long		 ss;		/* index of the SubmissionSet */
	char		 patient[SUB_CX_MAX];	/* canonical SS patient id */
	char		 now[15];
	struct rim_errors terr;		/* errors of the current attempt */
	sqlite3_int64	*touched;	/* folders whose lastUpdateTime moved */
	size_t		 ntouched;
	int		 first_docs;	/* the patient had no document entry */
};

/* A stored object an association points at. */
struct stored {
	sqlite3_int64	 row;
	int		 kind;
	char		 status[128];
	char		 patient[SUB_CX_MAX];
};

/* Helpers of submit.c for update.c. */
int	sub_bind_text(sqlite3_stmt *, int, const char *);
int	sub_step_done(struct store_conn *, sqlite3_stmt *);
/* 1 found (filling *out), 0 not found, < 0 error. */
int	sub_lookup(struct store_conn *, const char *uuid, struct stored *);
int	sub_insert_assoc(struct sub *, struct store_conn *, const char *src,
	    sqlite3_int64 srcrow, const char *dst, sqlite3_int64 dstrow,
	    struct buf *xml);
int	sub_join_folders(struct sub *, struct store_conn *,
	    sqlite3_int64 newrow, const char *newid, sqlite3_int64 oldrow,
	    struct buf *xml);
/* Index of the new object (not an ObjectRef) with this id, or -1. */
long	sub_find_new(const struct sub *, const char *id);

/*
 * update.c.  update_prepare: the rules of ITI-57 that need no database,
 * after validation (every finding into errs; 0, or VALIDATE_INVALID, or
 * XDS_ENOMEM).  update_check: inside the store transaction, before the
 * ITI-42 checks, the rules against the stored versions (findings into
 * s->terr); it sets s->version and s->prev.  update_apply: once every
 * object is stored, the previous versions deprecated, folder
 * memberships carried to the new versions, the status changes made.
 */
int	update_prepare(struct sub *, struct rim_errors *errs);
int	update_check(struct sub *, struct store_conn *);
int	update_apply(struct sub *, struct store_conn *, struct buf *xml);

#endif
