/* src/common/mem.c: the one allocator hook. Counts allocations (for the
 * zero-allocation tests) and can fail the N-th one (for failure tests). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static _Atomic uint64_t alloc_count;  /* process-wide by nature; see common.h */
static _Atomic uint64_t fail_at;      /* 0 = never */

static bool should_fail(void)
{
    uint64_t n = atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed) + 1;
    uint64_t f = atomic_load_explicit(&fail_at, memory_order_relaxed);
    return f != 0 && n == f;
}

void *mem_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n ? n : 1);
}

void *mem_calloc(size_t n, size_t size)
{
    return should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
}

void *mem_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n ? n : 1);
}

void mem_free(void *p)
{
    free(p);
}

bool mem_grow(void *arr, size_t *cap, size_t need, size_t elem, size_t first)
{
    size_t ncap = *cap;
    void *old, *p;

    if (need <= *cap)
        return true;
    ncap = ncap ? (ncap > SIZE_MAX / 2 ? SIZE_MAX : ncap * 2) : first;
    if (ncap < need)
        ncap = need;
    if (elem && ncap > SIZE_MAX / elem)
        return false;
    memcpy(&old, arr, sizeof(old));   /* arr is a T **: read and write it as bytes */
    if (!(p = mem_realloc(old, ncap * elem)))
        return false;
    memcpy(arr, &p, sizeof(p));
    *cap = ncap;
    return true;
}

char *mem_strndup(const char *s, size_t n)
{
    char *d = mem_malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *mem_strdup(const char *s)
{
    return s ? mem_strndup(s, strlen(s)) : NULL;
}

uint64_t mem_alloc_count(void)
{
    return atomic_load_explicit(&alloc_count, memory_order_relaxed);
}

void mem_fail_after(uint64_t n)
{
    atomic_store(&fail_at, n ? mem_alloc_count() + n : 0);
}
