/* src/app/cmd_aero_test.c: bins as JSON (what `aerosink get` and `aerosink dry-run` print):
 * doubles JSON cannot hold are written as Jackson writes them, never as null. */
#include <math.h>

#include "../../tests/harness.h"
#include "aerospike/aero.h"
#include "app.h"
#include "cmd_aero.h"

/* @v as the JSON of a bin of @particle made of @n bytes @p. */
static const char *as_json(uint8_t particle, const uint8_t *p, uint32_t n)
{
    static char out[256];
    struct aero_bin_view b = {.particle = particle, .name = "b", .name_len = 1, .value = p, .value_len = n};
    struct buf o = BUF_INIT;

    ASSERT_OK(app_bin_to_json(&b, &o, false));
    snprintf(out, sizeof(out), "%s", buf_cstr(&o));
    buf_free(&o);
    return out;
}

static const char *double_json(double d)
{
    uint8_t be[8];
    uint64_t u;

    memcpy(&u, &d, 8);
    for (int i = 0; i < 8; i++)
        be[i] = (uint8_t)(u >> (56 - 8 * i));
    return as_json(AERO_PT_FLOAT, be, 8);
}

TEST(doubles_json_cannot_hold_are_strings_as_jackson_writes_them)
{
    ASSERT_EQ_STR(double_json(INFINITY), "\"Infinity\"");
    ASSERT_EQ_STR(double_json(-INFINITY), "\"-Infinity\"");
    ASSERT_EQ_STR(double_json(NAN), "\"NaN\"");
    ASSERT_EQ_STR(double_json(2.5), "2.5");
    ASSERT_EQ_STR(double_json(3), "3.0");
    ASSERT_EQ_STR(double_json(1.7976931348623157e308), "1.7976931348623157e+308");
    ASSERT_EQ_STR(double_json(-0.1), "-0.1");
}

TEST(inside_lists_and_maps_too)
{
    /* msgpack [+inf, NaN] and {"x": -inf} */
    static const uint8_t list[] = {0x92, 0xcb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0, 0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0};
    static const uint8_t map[] = {0x81, 0xa2, 0x03, 'x', 0xcb, 0xff, 0xf0, 0, 0, 0, 0, 0, 0};

    ASSERT_EQ_STR(as_json(AERO_PT_LIST, list, sizeof(list)), "[\"Infinity\",\"NaN\"]");
    ASSERT_EQ_STR(as_json(AERO_PT_MAP, map, sizeof(map)), "{\"x\":\"-Infinity\"}");
}

TEST_LIST = {
    T(doubles_json_cannot_hold_are_strings_as_jackson_writes_them),
    T(inside_lists_and_maps_too),
    {0},
};
