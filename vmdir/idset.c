/*
 * idset.c: sorted, duplicate-free sets of entry ids, as index lookups and
 * scope walks produce them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmdir.h"

void
idset_free(struct idset *s)
{
	if (s == NULL)
		return;
	free(s->ids);
	s->ids = NULL;
	s->n = s->cap = 0;
}

static int
idset_grow(struct idset *s, size_t need)
{
	uint64_t	*ids;
	size_t		 cap;

	if (need <= s->cap)
		return 0;
	cap = s->cap ? s->cap : 16;
	while (cap < need) {
		if (cap > SIZE_MAX / 2 / sizeof(*ids)) {
			errno = ENOMEM;
			return -1;
		}
		cap *= 2;
	}
	if ((ids = realloc(s->ids, cap * sizeof(*ids))) == NULL)
		return -1;
	s->ids = ids;
	s->cap = cap;
	return 0;
}

int
idset_add(struct idset *s, uint64_t id)
{
	size_t	 lo = 0, hi = s->n, mid;

	/* Ids mostly arrive in ascending order: try the end first. */
	if (s->n > 0 && s->ids[s->n - 1] < id)
		lo = s->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->ids[mid] == id)
			return 0;
		if (s->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (idset_grow(s, s->n + 1) == -1)
		return -1;
	memmove(s->ids + lo + 1, s->ids + lo, (s->n - lo) * sizeof(*s->ids));
	s->ids[lo] = id;
	s->n++;
	return 0;
}

void
idset_intersect(struct idset *a, const struct idset *b)
{
	size_t	 i = 0, j = 0, k = 0;

	while (i < a->n && j < b->n) {
		if (a->ids[i] < b->ids[j])
			i++;
		else if (a->ids[i] > b->ids[j])
			j++;
		else {
			a->ids[k++] = a->ids[i];
			i++;
			j++;
		}
	}
	a->n = k;
}

int
idset_union(struct idset *a, const struct idset *b)
{
	uint64_t	*ids;
	size_t		 i = 0, j = 0, k = 0, cap;

	if (b->n == 0)
		return 0;
	if (a->n > SIZE_MAX / sizeof(*ids) - b->n) {
		errno = ENOMEM;
		return -1;
	}
	cap = a->n + b->n;
	if ((ids = malloc(cap * sizeof(*ids))) == NULL)
		return -1;
	while (i < a->n && j < b->n) {
		if (a->ids[i] < b->ids[j])
			ids[k++] = a->ids[i++];
		else if (a->ids[i] > b->ids[j])
			ids[k++] = b->ids[j++];
		else {
			ids[k++] = a->ids[i++];
			j++;
		}
	}
	while (i < a->n)
		ids[k++] = a->ids[i++];
	while (j < b->n)
		ids[k++] = b->ids[j++];
	free(a->ids);
	a->ids = ids;
	a->n = k;
	a->cap = cap;
	return 0;
}
