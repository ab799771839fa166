/*
 * filter_int.h: what the filter_*.c files share: the bounds on what a
 * client can make us build, the decoding and parsing context, and the
 * helpers of filter.c that build a filter. The public side is the filter
 * section of vmdir.h.
 */
#ifndef FILTER_INT_H
#define FILTER_INT_H

#include "vmdir.h"

/* Bounds on what a client can make us build and recurse through. */
#define FILTER_MAX_DEPTH	64
#define FILTER_MAX_ELEMS	10000

/* Where decoding or parsing stands. */
struct filter_ctx {
	const struct schema	*s;
	size_t			 nelems;
	int			 err;		/* code for malformed input */
	const char		*p;		/* string parser position */
};

/* filter.c */

/* A new, empty filter of kind; caller frees. c->err once the filter has
 * FILTER_MAX_ELEMS elements. */
int		 filter_new(struct filter_ctx *c, enum filter_kind kind,
		    struct filter **out);
/* Appends child to an AND, OR or NOT; takes ownership (frees child if it
 * cannot be added). */
int		 filter_add_child(struct filter *f, struct filter *child);
/* True once f takes no more children: a NOT has its one child. */
bool		 filter_set_full(const struct filter *f);
/* c->err unless a NOT has exactly one child. */
int		 filter_check_set(struct filter_ctx *c, const struct filter *f);
/* Copies [p, p + len) into out, NUL-terminated; caller frees. */
int		 filter_bvdup(const char *p, size_t len, struct berval *out);
int		 filter_add_any(struct filter *f, const char *p, size_t len);
/* A character of an attribute description, or of a matching rule id. */
bool		 filter_attr_char(int ch);
bool		 filter_rule_char(int ch);
/* Length of the type part of an attribute description (before options). */
size_t		 filter_type_len(const char *desc);
/* The schema type of a description, options ignored; NULL without a
 * schema or for an unknown type. Borrowed from the schema. */
const struct at_def *filter_lookup_at(const struct schema *s,
		    const char *desc);
/* Sets f's attribute description (checked) and its schema type. */
int		 filter_set_attr(struct filter_ctx *c, struct filter *f,
		    const char *p, size_t len);

#endif /* FILTER_INT_H */
