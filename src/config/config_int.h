/* src/config/config_int.h: shared inside src/config only.
 * Arena allocator, the parsed document tree (YAML and JSON give the same tree), the key
 * table and the walker state. */
#ifndef AEROSINK_CONFIG_INT_H
#define AEROSINK_CONFIG_INT_H

#include "config.h"

/* --- Arena: many small allocations freed (and wiped) at once --- */
struct cfg_arena;
struct cfg_arena *cfg__arena_new(size_t limit);   /* limit: total bytes, 0 = none */
void *cfg__arena_alloc(struct cfg_arena *a, size_t n);   /* zeroed; NULL when over limit */
char *cfg__arena_strndup(struct cfg_arena *a, const char *s, size_t n);
char *cfg__arena_strdup(struct cfg_arena *a, const char *s);
void cfg__arena_free(struct cfg_arena *a);   /* wipes every chunk, NULL ok */

/* --- Document tree --- */
enum cfg_nkind { CFG_N_NULL, CFG_N_SCALAR, CFG_N_MAP, CFG_N_SEQ };

struct cfg_node;
struct cfg_pair {
    struct cfg_node *key;   /* always a SCALAR (or NULL-kind for an empty key) */
    struct cfg_node *val;
};

struct cfg_node {
    enum cfg_nkind kind;
    int line, col;
    bool quoted;            /* scalar written quoted / as a JSON string */
    const char *s;          /* scalar text, NUL-terminated (may also contain NULs) */
    size_t len;
    size_t n, cap;
    struct cfg_pair *pairs; /* MAP */
    struct cfg_node **items;/* SEQ */
};

struct cfg_doc {
    struct cfg_arena *arena;
    struct cfg_node *root;   /* NULL-kind node for an empty document */
    const char *name;        /* display name (in arena) */
};

/* Parse YAML or JSON text into a tree. Syntax errors and limit breaches go to @d; returns
 * NULL then (the arena is freed). */
struct cfg_doc *cfg__parse(const char *text, size_t len, const char *name, bool json,
                           struct cfg_diags *d);
struct cfg_doc *cfg__parse_yaml(const char *text, size_t len, const char *name,
                                struct cfg_diags *d);
struct cfg_doc *cfg__parse_json(const char *text, size_t len, const char *name,
                                struct cfg_diags *d);
void cfg__doc_free(struct cfg_doc *doc);
bool cfg__looks_like_json(const char *name, const char *text, size_t len);

/* Node helpers. */
struct cfg_node *cfg__node_new(struct cfg_arena *a, enum cfg_nkind k, int line, int col);
bool cfg__map_add(struct cfg_arena *a, struct cfg_node *map, struct cfg_node *k,
                  struct cfg_node *v);
bool cfg__seq_add(struct cfg_arena *a, struct cfg_node *seq, struct cfg_node *v);
/* The value for @key in @map (NULL if absent or @map is not a map). */
struct cfg_node *cfg__map_get(const struct cfg_node *map, const char *key);
const struct cfg_pair *cfg__map_pair(const struct cfg_node *map, const char *key);
/* Remove the pair at index i. */
void cfg__map_remove(struct cfg_node *map, size_t i);
/* Follow a dotted path of keys ("mapping.namespace.value"). */
struct cfg_node *cfg__node_at(const struct cfg_node *n, const char *dotted);
const char *cfg__kind_name(const struct cfg_node *n);   /* "a map", "a list", ... */
bool cfg__is_null(const struct cfg_node *n);

/* Incremental limits shared by both parsers. */
struct cfg_budget {
    size_t nodes;
    size_t bytes;   /* scalar bytes, aliases expanded */
};

/* --- UTF-8 helpers --- */
/* Append code point @cp as UTF-8 (cp <= 0x10FFFF) to @out; returns bytes written. */
size_t cfg__utf8_put(uint32_t cp, char out[4]);
/* Length of the valid UTF-8 sequence at s (1..4), 0 if invalid. */
size_t cfg__utf8_len(const unsigned char *s, size_t n);

/* --- The key table --- */
enum cfg_ktype {
    CFG_K_MAP,      /* fixed keys below it */
    CFG_K_NAMED,    /* map of user-chosen names (topics, bins.map); children pattern ".*" */
    CFG_K_SEQ,      /* list; item pattern "[]" */
    CFG_K_STR,
    CFG_K_PATH,     /* a file path (string) */
    CFG_K_INT,
    CFG_K_BOOL,
    CFG_K_ENUM,
    CFG_K_SCALAR,   /* any scalar (operations[].value) */
    CFG_K_CODES,    /* list of result codes: numbers or names */
    CFG_K_ANY,      /* handled by code (seeds[], message-transformer) */
};

enum cfg_scope { CFG_S_NONE, CFG_S_ROOT, CFG_S_TOPIC, CFG_S_SEED, CFG_S_BIN, CFG_S_ROP };

enum {
    CFG_F_REQUIRED = 1u << 0,
    CFG_F_NONEMPTY = 1u << 1,     /* string / list / map must not be empty */
    CFG_F_ICASE = 1u << 2,        /* enum matched case-insensitively */
    CFG_F_SECRET = 1u << 3,
    /* origin (connector-spec tags) */
    CFG_F_DOC = 1u << 8,          /* documented by Aerospike */
    CFG_F_SIBLING = 1u << 9,      /* seen in a sibling connector */
    CFG_F_UNVERIFIED = 1u << 10,  /* believed to exist in the original */
    CFG_F_AEROSINK = 1u << 11,    /* aerosink's spelling where the original is unknown */
    CFG_F_BEYOND = 1u << 12,      /* aerosink feature the original lacks */
    CFG_F_OLD = 1u << 13,         /* v1.1 spelling: rewritten with a warning */
    CFG_F_DEPRECATED = 1u << 14,  /* accepted, ignored, warning */
    CFG_F_UNSUPPORTED = 1u << 15, /* known key aerosink does not implement: error */
};

struct cfg_enum_val {
    const char *name;
    int value;
};

struct cfg_key {
    const char *path;                 /* "topics.*.mapping.ttl.value" */
    enum cfg_ktype type;
    const char *def;                  /* default as text, NULL = none */
    const struct cfg_enum_val *vals;  /* ENUM: {name, value} ..., {NULL} */
    int64_t min, max;                 /* INT */
    unsigned flags;
    enum cfg_scope scope;             /* struct the value is stored in */
    size_t off;                       /* offsetof in that struct */
    enum cfg_scope opens;             /* MAP/ANY: each value starts a new object of this
                                       * scope (a topic, a seed, a bin, an operation) */
    const char *help;
    const char *range;                /* INT: how to say the allowed range, NULL = min..max */
    const char *def_doc;              /* docs: default when not a literal ("CPU count") */
};

extern const struct cfg_key cfg__keys[];
extern const size_t cfg__n_keys;

const struct cfg_key *cfg__key_find(const char *pattern);
/* The best "did you mean" among the children of @parent_pattern for @key, or NULL. */
const char *cfg__key_suggest(const char *parent_pattern, const char *key);
/* Best match of @s among @cands (NULL-terminated) by edit distance / case / '_' vs '-'. */
const char *cfg__suggest(const char *s, const char *const *cands, size_t n);
const char *cfg__enum_name(const struct cfg_enum_val *vals, int value);

/* --- Building the typed result from a tree --- */
struct cfg_walk {
    struct cfg *cfg;
    struct cfg_arena *arena;      /* = cfg->arena */
    struct cfg_diags *d;
    const char *file;             /* display name (in cfg arena) */
    unsigned flags;
    struct cfg_topic *topic;      /* current scope objects */
    struct cfg_seed *seed;
    struct cfg_bin *bin;
    struct cfg_record_op *rop;
    char path[1024];              /* display path of the current node */
    size_t plen;
    bool oom;                     /* arena over its limit: one error, then stop */
};

void cfg__path_push_key(struct cfg_walk *w, const char *key);
void cfg__path_push_index(struct cfg_walk *w, size_t i);
void cfg__path_pop(struct cfg_walk *w, size_t saved);

void cfg__err(struct cfg_walk *w, const struct cfg_node *at, const char *sub, const char *fmt,
              ...) PRINTF_LIKE(4, 5);
void cfg__warn(struct cfg_walk *w, const struct cfg_node *at, const char *sub, const char *fmt,
               ...) PRINTF_LIKE(4, 5);

/* v1.1 flat mapping -> 2.x form, in place, with "deprecated" warnings (cfg_legacy.c). */
void cfg__legacy_rewrite(struct cfg_walk *w, struct cfg_node *mapping);
/* Cross-key rules for one topic / the aerospike section (cfg_rules.c). */
void cfg__rules_topic(struct cfg_walk *w, struct cfg_topic *t, const struct cfg_node *tnode);
void cfg__rules_aerospike(struct cfg_walk *w, const struct cfg_node *anode);
void cfg__rules_rop(struct cfg_walk *w, struct cfg_record_op *r, const struct cfg_node *item);
/* Bin names: 1..15 bytes, no NUL. @sub: path below the current one, NULL = here. */
bool cfg__check_bin_name(struct cfg_walk *w, const struct cfg_node *name, const char *sub);
void cfg__read_files(struct cfg_walk *w, const struct cfg_node *root);
bool cfg__valid_topic_name(const char *s, size_t n);
/* topics.regex (Java) as a POSIX extended regex matching whole names, "^(...)$" (owned), or
 * NULL with @why (static text) for what the translation refuses or a pattern that does not
 * compile. cfg_connect.c. */
char *cfg__topics_regex_posix(const char *java, const char **why);
bool cfg__topics_regex_matches(const char *posix, const char *topic);

/* Known connector / worker properties (cfg_connect.c; documentation in cfg_doc.c). */
struct cfg__prop_key {
    const char *name;
    const char *def;
    const char *help;
};
extern const struct cfg__prop_key cfg__connector_keys[];
extern const struct cfg__prop_key cfg__worker_keys[];

/* Printable, bounded copy of user text for messages: control bytes become \xNN, long text
 * is cut with "...". Returns @out. */
const char *cfg__q(const char *s, size_t n, char *out, size_t cap);
#define CFG_Q_LEN 100

/* Config providers (cfg_providers.c; documentation in cfg_doc.c). */
extern const struct cfg__prop_key cfg__provider_keys[];

/* cfg_worker_new / cfg_connector_new that also return the object when it has errors (not
 * when out of memory), for `check` to go on with what it can (the mapping a connector names,
 * client settings). Never run such an object. */
struct cfg_worker *cfg__worker_new_partial(struct cfg_props *props, enum cfg_worker_mode mode,
                                           struct cfg_diags *d);
struct cfg_connector *cfg__connector_new_partial(struct cfg_props *props, struct cfg_diags *d);

#endif
