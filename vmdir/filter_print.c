/*
 * filter_print.c: the string form of a search filter (RFC 4515), for
 * logs and for replaying a filter.
 */

#include <stdlib.h>
#include <string.h>

#include "vmdir.h"

struct filter_buf {
	char	*p;
	size_t	 len, cap;
	bool	 failed;
};

static void
filter_put(struct filter_buf *b, const char *s, size_t n)
{
	char	*np;
	size_t	 ncap;

	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		for (ncap = b->cap ? b->cap : 64; ncap < b->len + n + 1;)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
filter_puts(struct filter_buf *b, const char *s)
{
	filter_put(b, s, strlen(s));
}

static void
filter_put_value(struct filter_buf *b, const struct berval *v)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 esc[3];
	size_t			 i;
	unsigned char		 ch;

	for (i = 0; i < v->bv_len; i++) {
		ch = v->bv_val[i];
		if (ch != '*' && ch != '(' && ch != ')' && ch != '\\' &&
		    ch != '\0') {
			filter_put(b, (char *)&ch, 1);
			continue;
		}
		esc[0] = '\\';
		esc[1] = hex[ch >> 4];
		esc[2] = hex[ch & 0xf];
		filter_put(b, esc, 3);
	}
}

static void
filter_print(struct filter_buf *b, const struct filter *f)
{
	size_t	 i;

	filter_puts(b, "(");
	switch (f->kind) {
	case FILTER_AND:
	case FILTER_OR:
	case FILTER_NOT:
		filter_puts(b, f->kind == FILTER_AND ? "&" :
		    f->kind == FILTER_OR ? "|" : "!");
		for (i = 0; i < f->nchildren; i++)
			filter_print(b, f->children[i]);
		break;
	case FILTER_PRESENT:
		filter_puts(b, f->attr);
		filter_puts(b, "=*");
		break;
	case FILTER_SUBSTR:
		filter_puts(b, f->attr);
		filter_puts(b, "=");
		if (f->initial.bv_val != NULL)
			filter_put_value(b, &f->initial);
		filter_puts(b, "*");
		for (i = 0; i < f->nany; i++) {
			filter_put_value(b, &f->any[i]);
			filter_puts(b, "*");
		}
		if (f->final.bv_val != NULL)
			filter_put_value(b, &f->final);
		break;
	case FILTER_EXT:
		if (f->attr != NULL)
			filter_puts(b, f->attr);
		if (f->dnattrs)
			filter_puts(b, ":dn");
		if (f->rule != NULL) {
			filter_puts(b, ":");
			filter_puts(b, f->rule);
		}
		filter_puts(b, ":=");
		filter_put_value(b, &f->value);
		break;
	default:
		filter_puts(b, f->attr);
		filter_puts(b, f->kind == FILTER_GE ? ">=" :
		    f->kind == FILTER_LE ? "<=" :
		    f->kind == FILTER_APPROX ? "~=" : "=");
		filter_put_value(b, &f->value);
		break;
	}
	filter_puts(b, ")");
}

char *
filter_to_str(const struct filter *f)
{
	struct filter_buf	 b = { NULL, 0, 0, false };

	if (f == NULL)
		return NULL;
	filter_print(&b, f);
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
