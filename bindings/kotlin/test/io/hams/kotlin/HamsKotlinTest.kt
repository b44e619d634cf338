// The Kotlin layer's tests on JUnit 5, over a real server on 127.0.0.1:0:
// bindings/kotlin/run.sh (no arguments) after bindings/kotlin/build.sh.
package io.hams.kotlin

import io.hams.Hams
import io.hams.HamsException
import java.net.HttpURLConnection
import java.net.URI
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertThrows
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test

class HamsKotlinTest {
    private fun Hams.get(path: String): Pair<Int, String> {
        val c = URI("http://127.0.0.1:$port$path").toURL().openConnection() as HttpURLConnection
        c.setRequestProperty("Connection", "close")
        val status = c.responseCode
        val body = (if (status >= 400) c.errorStream else c.inputStream)?.use { it.readBytes().decodeToString() } ?: ""
        c.disconnect()
        return status to body
    }

    private fun assertContains(haystack: String, needle: String) =
        assertTrue(haystack.contains(needle)) { "expected <$needle> in <$haystack>" }

    @Test
    fun `hams {} names Kotlin in the version endpoint and closes at the end`() {
        val h = hams("kt-test", "1.0.0", address = "127.0.0.1:0") {
            it.start()
            val (status, body) = it.get("/hams/version")
            assertEquals(200, status)
            assertContains(body, "\"runtime\":\"$kotlinRuntime\"")
            assertContains(body, "\"library\":\"hams-kotlin\"")
            assertContains(body, "\"library_version\":\"$VERSION\"")
            assertTrue(kotlinRuntime.startsWith("Kotlin ${KotlinVersion.CURRENT} (Java "), kotlinRuntime)
            it
        }
        assertTrue(h.closed)
        assertThrows(HamsException::class.java) { h.start() }
    }

    @Test
    fun `probes with named arguments, checks as lambdas`() {
        hams("kt-test", "1.0.0", address = "127.0.0.1:0") { h ->
            val db = h.manualProbe("db", checks = Checks.READY + Checks.STARTUP)
            h.kickProbe("loop", marginMs = 60_000).kick()
            var full = true
            h.healthCheck("disk", intervalMs = 20, timeoutMs = 1000) { if (full) "disk full" else null }
            h.start()
            assertEquals(503, h.get("/hams/startup").first)
            db.update(false, "connecting")
            assertContains(h.get("/hams/ready?verbose").second, "[-]db failed: connecting")
            db.update(true)
            eventually { assertContains(h.get("/hams/ready?verbose").second, "[-]disk failed: disk full") }
            full = false
            eventually { assertEquals(200, h.get("/hams/ready").first) }
            assertEquals(200, h.get("/hams/alive").first)
        }
    }

    @Test
    fun `metrics - operators, vectors by index, default buckets, labels as pairs, callback`() {
        hams("kt-test", "1.0.0", address = "127.0.0.1:0") { h ->
            val jobs = h.counter("jobs_total", "Jobs.", "queue" to "mail")
            jobs += 2.0
            val depth = h.gauge("depth", "Depth.")
            depth += 5.0
            depth -= 1.5
            val requests = h.counterVec("requests_total", "Requests.", listOf("path", "code"))
            requests["/", "200"].inc()
            requests["/", "200"] += 1.0
            val latency = h.histogram("latency_seconds", "Latency.")
            assertEquals(42, latency.time { 42 })
            h.histogramVec("rpc_seconds", "RPCs.", listOf("method"), buckets = listOf(0.1, 1.0))["get"].observe(0.5)
            h.metricsCallback { "# TYPE app_extra gauge\napp_extra 7\n" }
            h.start()
            val m = h.get("/hams/metrics").second
            assertContains(m, "jobs_total{queue=\"mail\"} 2\n")
            assertContains(m, "\ndepth 3.5\n")
            assertContains(m, "requests_total{path=\"/\",code=\"200\"} 2\n")
            assertContains(m, "latency_seconds_bucket{le=\"0.005\"}")
            assertContains(m, "latency_seconds_count 1\n")
            assertContains(m, "rpc_seconds_bucket{method=\"get\",le=\"1\"} 1\n")
            assertContains(m, "app_extra 7\n")
            assertContains(m, "library=\"hams-kotlin\"")
        }
    }

    @Test
    fun `yaml and shutdown with a lambda`() {
        val h = hamsFromYaml("service:\n  name: kt-yaml\n  version: \"2.0.0\"\nserver:\n  address: 127.0.0.1:0\nshutdown:\n  drain_ms: 50\n")
        h.use {
            var ran = false
            it.onShutdown { ran = true }
            it.start()
            assertContains(it.get("/hams/version").second, "\"library\":\"hams-kotlin\"")
            it.shutdown()
            assertTrue(it.awaitShutdown(5000))
            assertTrue(ran)
        }
        assertThrows(HamsException::class.java) { hamsFromYaml("service: [unclosed") }
    }

    private fun eventually(body: () -> Unit) {
        val end = System.nanoTime() + 3_000_000_000L
        while (true) {
            try {
                return body()
            } catch (e: AssertionError) {
                if (System.nanoTime() > end) throw e
            }
            Thread.sleep(20)
        }
    }
}
