/*
 * C API tests: hams_set_runtime — the language runtime and binding in
 * /hams/version and as hams_build_info labels, its validation, and that it
 * is refused while started.
 */
#include "helpers.h"

#include <stdio.h>
#include <string.h>

static hams_t *new_local(void) {
    hams_t *h = hams_new("runtime-test", "1.2.3");
    if (h != NULL && hams_set_address(h, "127.0.0.1:0") != HAMS_OK) {
        hams_free(h);
        return NULL;
    }
    return h;
}

TEST(runtime_absent_by_default) {
    int port = 0;
    hams_t *h = start_server("runtime-none", &port);
    REQUIRE(h != NULL);
    CHECK_GET(port, "/hams/version", 200);
    CHECK_BODY_LACKS("\"runtime\"");
    CHECK_BODY_LACKS("\"library\"");
    CHECK_GET(port, "/hams/metrics", 200);
    char line[128];
    snprintf(line, sizeof(line), "hams_build_info{version=\"%s\"} 1", hams_version());
    CHECK_BODY_HAS(line);
    hams_free(h);
}

TEST(runtime_in_version_and_build_info) {
    hams_t *h = new_local();
    REQUIRE(h != NULL);
    CHECK_OK(hams_set_runtime(h, "C11", "first", "0.0.1"));
    /* The last call before start wins. */
    CHECK_OK(hams_set_runtime(h, "CPython 3.11.7", "hams-python", "0.2.0"));
    CHECK_OK(hams_start(h));
    int port = hams_port(h);
    REQUIRE(port > 0);
    CHECK_GET(port, "/hams/version", 200);
    char want[512];
    snprintf(want, sizeof(want),
             "{\"service\":\"runtime-test\",\"version\":\"1.2.3\",\"runtime\":\"CPython 3.11.7\","
             "\"library\":\"hams-python\",\"library_version\":\"0.2.0\",\"hams_version\":\"%s\"}",
             hams_version());
    CHECK(body_is(g_resp.body, want));
    CHECK_GET(port, "/hams/metrics", 200);
    snprintf(want, sizeof(want),
             "hams_build_info{version=\"%s\",runtime=\"CPython 3.11.7\",library=\"hams-python\","
             "library_version=\"0.2.0\"} 1",
             hams_version());
    CHECK_BODY_HAS(want);

    /* Refused while started, and the answers stay what they were. */
    CHECK_ERR(hams_set_runtime(h, "C11", "other", "1"), HAMS_ERR_STATE);
    CHECK(strstr(hams_last_error(), "before hams_start") != NULL);
    CHECK_GET(port, "/hams/version", 200);
    CHECK_BODY_HAS("\"library\":\"hams-python\"");
    hams_free(h);
}

TEST(runtime_validation) {
    hams_t *h = new_local();
    REQUIRE(h != NULL);
    CHECK_ERR(hams_set_runtime(NULL, "C11", "lib", "1"), HAMS_ERR_NULL);
    CHECK_ERR(hams_set_runtime(h, NULL, "lib", "1"), HAMS_ERR_NULL);
    CHECK_ERR(hams_set_runtime(h, "C11", NULL, "1"), HAMS_ERR_NULL);
    CHECK_ERR(hams_set_runtime(h, "C11", "lib", NULL), HAMS_ERR_NULL);
    CHECK_ERR(hams_set_runtime(h, "\xff\xfe", "lib", "1"), HAMS_ERR_INVALID);
    CHECK_ERR(hams_set_runtime(h, "C11", "li\nb", "1"), HAMS_ERR_INVALID);
    CHECK_ERR(hams_set_runtime(h, "C11", "lib", "1\t"), HAMS_ERR_INVALID);
    CHECK_ERR(hams_set_runtime(h, "", "lib", "1"), HAMS_ERR_INVALID);
    char big[130];
    memset(big, 'x', 129);
    big[129] = '\0';
    CHECK_ERR(hams_set_runtime(h, big, "lib", "1"), HAMS_ERR_INVALID);
    big[128] = '\0';
    CHECK_OK(hams_set_runtime(h, big, "lib", "1"));
    /* A refused call changes nothing, and after stop it may be set again. */
    CHECK_OK(hams_start(h));
    int port = hams_port(h);
    REQUIRE(port > 0);
    CHECK_GET(port, "/hams/version", 200);
    CHECK_BODY_HAS("\"library\":\"lib\"");
    CHECK_OK(hams_stop(h));
    CHECK_OK(hams_set_runtime(h, "C11", "again", "2"));
    hams_free(h);
}
