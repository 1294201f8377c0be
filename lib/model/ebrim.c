/*
 * ebrim.c: the list and its arena, builders and lookups of the ebRIM 3.0
 * object model.  Parsing is in ebrim_parse.c, writing in ebrim_write.c.
 *
 * Every string and every child array of a list lives in the list's arena:
 * a chain of blocks that is only ever freed as a whole (rim_list_free).
 * The top-level object array is a separate realloc'd array, so pointers
 * to objects stay valid only until the next rim_add_object().
 */
#include "config.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ebrim.h"

#define ARENA_BLOCK	(16 * 1024)
#define ARENA_ALIGN	(alignof(max_align_t))

struct rim_block {
	struct rim_block *next;
	size_t	 used, size;
	alignas(max_align_t) unsigned char data[];
};

struct rim_arena {
	struct rim_block *head;
	size_t	 total;			/* bytes allocated in blocks */
};

void
rim_list_init(struct rim_list *l)
{
	memset(l, 0, sizeof *l);
}

void
rim_list_free(struct rim_list *l)
{
	struct rim_block *b, *next;

	if (l == NULL)
		return;
	if (l->arena != NULL) {
		for (b = l->arena->head; b != NULL; b = next) {
			next = b->next;
			free(b);
		}
		free(l->arena);
	}
	free(l->obj);
	memset(l, 0, sizeof *l);
}

void *
rim_alloc(struct rim_list *l, size_t n)
{
	struct rim_arena *a;
	struct rim_block *b;
	size_t need, bsz;
	void *p;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX / 2)
		return NULL;
	need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if ((a = l->arena) == NULL) {
		if ((a = calloc(1, sizeof *a)) == NULL)
			return NULL;
		l->arena = a;
	}
	b = a->head;
	if (b == NULL || b->size - b->used < need) {
		bsz = need > ARENA_BLOCK ? need : ARENA_BLOCK;
		if ((b = malloc(sizeof *b + bsz)) == NULL)
			return NULL;
		b->used = 0;
		b->size = bsz;
		/* A big private block goes second so the current block keeps
		 * serving small requests. */
		if (need > ARENA_BLOCK && a->head != NULL) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
		a->total += bsz;
	}
	p = b->data + b->used;
	b->used += need;
	memset(p, 0, n);
	return p;
}

char *
rim_strndup(struct rim_list *l, const char *s, size_t n)
{
	char *p;

	if (s == NULL)
		return NULL;
	if ((p = rim_alloc(l, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
rim_strdup(struct rim_list *l, const char *s)
{
	if (s == NULL)
		return NULL;
	return rim_strndup(l, s, strlen(s));
}

struct rim_object *
rim_add_object(struct rim_list *l, enum rim_kind kind)
{
	struct rim_object *o;
	size_t ncap;

	if (l->nobj >= RIM_MAX_OBJECTS)
		return NULL;
	if (l->nobj == l->capobj) {
		ncap = l->capobj ? l->capobj * 2 : 16;
		if (ncap > RIM_MAX_OBJECTS)
			ncap = RIM_MAX_OBJECTS;
		if ((o = reallocarray(l->obj, ncap, sizeof *o)) == NULL)
			return NULL;
		l->obj = o;
		l->capobj = ncap;
	}
	o = &l->obj[l->nobj++];
	memset(o, 0, sizeof *o);
	o->kind = kind;
	return o;
}

int
rim_set_slot(struct rim_list *l, struct rim_object *o, const char *name,
    const char *value)
{
	struct rim_slot *ns;
	char **vals;
	size_t i;

	if (name == NULL || value == NULL)
		return XDS_EINVAL;
	if ((vals = rim_alloc(l, sizeof *vals)) == NULL ||
	    (vals[0] = rim_strdup(l, value)) == NULL)
		return XDS_ENOMEM;
	for (i = 0; i < o->nslots; i++)
		if (strcmp(o->slots[i].name, name) == 0) {
			o->slots[i].values = vals;
			o->slots[i].nvalues = 1;
			return XDS_OK;
		}
	if (o->nslots >= RIM_MAX_CHILDREN)
		return XDS_ETOOBIG;
	/* Grow by copying into the arena; the old array stays there unused. */
	if ((ns = rim_alloc(l, (o->nslots + 1) * sizeof *ns)) == NULL)
		return XDS_ENOMEM;
	if (o->nslots > 0)
		memcpy(ns, o->slots, o->nslots * sizeof *ns);
	if ((ns[o->nslots].name = rim_strdup(l, name)) == NULL)
		return XDS_ENOMEM;
	ns[o->nslots].slot_type = NULL;
	ns[o->nslots].values = vals;
	ns[o->nslots].nvalues = 1;
	o->slots = ns;
	o->nslots++;
	return XDS_OK;
}

const struct rim_slot *
rim_slot(const struct rim_slot *slots, size_t n, const char *name)
{
	size_t i;

	if (slots == NULL || name == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (slots[i].name != NULL && strcmp(slots[i].name, name) == 0)
			return &slots[i];
	return NULL;
}

const char *
rim_slot1(const struct rim_object *o, const char *name)
{
	const struct rim_slot *s;

	if ((s = rim_slot(o->slots, o->nslots, name)) == NULL ||
	    s->nvalues == 0)
		return NULL;
	return s->values[0];
}

const struct rim_extid *
rim_extid(const struct rim_object *o, const char *scheme)
{
	size_t i;

	for (i = 0; i < o->neids; i++)
		if (o->eids[i].scheme != NULL &&
		    strcmp(o->eids[i].scheme, scheme) == 0)
			return &o->eids[i];
	return NULL;
}

size_t
rim_classifications(const struct rim_object *o, const char *scheme,
    const struct rim_classification **out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < o->ncls; i++) {
		if (o->cls[i].scheme == NULL ||
		    strcmp(o->cls[i].scheme, scheme) != 0)
			continue;
		if (n < max && out != NULL)
			out[n] = &o->cls[i];
		n++;
	}
	return n;
}

struct rim_object *
rim_find(const struct rim_list *l, const char *id)
{
	size_t i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < l->nobj; i++)
		if (l->obj[i].id != NULL && strcmp(l->obj[i].id, id) == 0)
			return &l->obj[i];
	return NULL;
}

static int
idref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct rim_idref *)a)->id,
	    ((const struct rim_idref *)b)->id);
}

int
rim_index_build(struct rim_index *x, const struct rim_list *l,
    rim_keep_fn keep, void *arg)
{
	size_t i;

	x->n = 0;
	if ((x->v = calloc(l->nobj + 1, sizeof *x->v)) == NULL)
		return XDS_ENOMEM;
	for (i = 0; i < l->nobj; i++) {
		if (l->obj[i].id == NULL ||
		    (keep != NULL && !keep(l, i, arg)))
			continue;
		x->v[x->n].id = l->obj[i].id;
		x->v[x->n].idx = i;
		x->n++;
	}
	qsort(x->v, x->n, sizeof *x->v, idref_cmp);
	return XDS_OK;
}

long
rim_index_find(const struct rim_index *x, const char *id)
{
	struct rim_idref k, *p;

	if (id == NULL || x->v == NULL)
		return -1;
	k.id = id;
	k.idx = 0;
	p = bsearch(&k, x->v, x->n, sizeof *x->v, idref_cmp);
	return p == NULL ? -1 : (long)p->idx;
}

void
rim_index_free(struct rim_index *x)
{
	free(x->v);
	x->v = NULL;
	x->n = 0;
}

const char *
rim_kind_elem(enum rim_kind k)
{
	static const char *const elem[] = {
		[RIM_EXTRINSIC_OBJECT] = "ExtrinsicObject",
		[RIM_REGISTRY_PACKAGE] = "RegistryPackage",
		[RIM_ASSOCIATION] = "Association",
		[RIM_CLASSIFICATION] = "Classification",
		[RIM_OBJECT_REF] = "ObjectRef",
	};

	if ((int)k < RIM_EXTRINSIC_OBJECT || k > RIM_KIND_MAX)
		return NULL;
	return elem[k];
}
